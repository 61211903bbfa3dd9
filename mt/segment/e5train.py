"""Training and batched inference of the ``e5seg`` boundary model (see :mod:`mt.segment.e5seg`).

* :func:`load_tud` -> UD Thai-TUD files as :class:`mt.segment.train.Article` (a file's sentences, whose
  order upstream shuffled; joined they still have real boundaries between them);
* :func:`augment` -> one training paragraph with SaT-style noise: dropped / added final punctuation,
  corrupted spacing (inner spaces removed, doubled, NBSP / ZWSP) -- the boundary spaces stay spaces;
* :func:`train` -> a seeded fine-tuning run: the top layers of e5 and the head, weighted BCE, AdamW,
  linear decay; deterministic for a given seed and thread count;
* :func:`run_windows` -> logits for many :class:`~mt.segment.e5seg.Window` s, batched by length.
"""
from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from .e5seg import BATCH_TOKENS, BoundaryHead, SegModel, Window, batches, collate, line_windows
from .features import find_candidates
from .train import Article, training_paragraphs

log = logging.getLogger(__name__)

FINAL_PUNCT = ".!?"


def load_tud(path: Path) -> list[Article]:
    """Sentences of each ``# filename`` of a CoNLL-U file, in file order."""
    files: dict[str, list[str]] = {}
    name = ""
    for row in path.read_text(encoding="utf-8").splitlines():
        if row.startswith("# filename = "):
            name = row[len("# filename = "):].strip()
        elif row.startswith("# text = "):
            files.setdefault(name, []).append(row[len("# text = "):].strip())
    return [Article(n, "tud", s) for n, s in files.items()]


@dataclass
class Recipe:
    """Every setting of a training run (recorded in the model's json); the defaults are the shipped model's."""

    layers: int = 8            # e5 layers kept (of 12); 6 all trained: same F1, precision 0.02 lower cross-domain
    frozen: int = 2            # lowest layers not trained
    epochs: int = 2            # the cross-domain runs of benchmarks/segment.md used 3
    lr: float = 1e-4           # encoder layers
    head_lr: float = 1e-3
    pos_weight: float = 1.0
    batch_tokens: int = 4096
    max_tokens: int = 256      # training windows (inference uses 510)
    regroupings: int = 2
    cross: int = 1
    noise: float = 0.1         # per-space probability of a spacing corruption
    seed: int = 13
    threshold: float = 0.5
    aux_domain: str = ""       # articles of this domain train a second, training-only head (multi-task)


def augment(sentences: list[str], rng: random.Random, noise: float) -> tuple[str, set[int]]:
    """Joined text and the start offsets of its boundary spaces, with seeded noise."""
    parts: list[str] = []
    joins: set[int] = set()
    pos = 0
    for k, s in enumerate(sentences):
        if noise and s and s[-1] in FINAL_PUNCT and rng.random() < 0.3:
            s = s[:-1].rstrip() or s
        elif noise and s and s[-1] not in FINAL_PUNCT and rng.random() < 0.03:
            s += rng.choice(FINAL_PUNCT)
        s = _noisy_spaces(s, rng, noise) if noise else s
        if k:
            sep = rng.choice([" ", " ", " ", "  ", "\u00a0", " \u200b"]) if noise and rng.random() < noise else " "
            joins.add(pos)
            parts.append(sep)
            pos += len(sep)
        parts.append(s)
        pos += len(s)
    return "".join(parts), joins


def _noisy_spaces(s: str, rng: random.Random, noise: float) -> str:
    out = []
    for ch in s:
        if ch == " " and rng.random() < noise:
            ch = rng.choice(["", "", "  ", "\u00a0", "\u200b "])
        out.append(ch)
    return "".join(out)


def examples(paras: list[list[str]], tok, recipe: Recipe, rng: random.Random) -> list[tuple[Window, list[float]]]:
    """Training windows with their labels (1.0 at a sentence join)."""
    out = []
    for sents in paras:
        text, joins = augment(sents, rng, recipe.noise)
        cands = find_candidates(text)
        if not cands:
            continue
        labels = [1.0 if c.start in joins else 0.0 for c in cands]
        for w in line_windows(tok, text, cands, 0, recipe.max_tokens, recipe.max_tokens // 4):
            out.append((w, [labels[i] for i in w.slots]))
    return out


def run_windows(model: SegModel, wins: list[Window], pad: int, budget: int = BATCH_TOKENS, device: str = "cpu",
                dtype: torch.dtype | None = None):
    """``(window, logits of its slots)`` for every window, in batches of about ``budget`` tokens, on ``device``
    (``dtype``: matmuls under ``torch.autocast``, e.g. bfloat16; None = float32)."""
    kind = "cuda" if device.startswith("cuda") else "cpu"
    with torch.inference_mode(), torch.autocast(kind, dtype=dtype, enabled=dtype is not None):
        for group in batches(wins, budget):
            logits = model(*(t.to(device) for t in collate(group, pad))).float().cpu()
            for i, w in enumerate(group):
                yield w, logits[i, : len(w.slots)]


def train(articles: list[Article], encoder, tok, recipe: Recipe, progress=None) -> SegModel:
    """Fine-tune the top ``layers - frozen`` layers of ``encoder`` and a head on ``articles``.

    With ``recipe.aux_domain`` the articles of that domain are labelled through a second head that is
    thrown away after training: they shape the shared encoder, the kept head learns the other domain's
    notion of a sentence."""
    torch.manual_seed(recipe.seed)
    rng = random.Random(recipe.seed)
    model = SegModel(encoder, recipe.layers, recipe.frozen)
    aux = BoundaryHead(encoder.hidden) if recipe.aux_domain else None
    sides = [(model.head, [a for a in articles if a.domain != recipe.aux_domain])]
    if aux is not None:
        sides.append((aux, [a for a in articles if a.domain == recipe.aux_domain]))
    paras = [(head, p) for head, arts in sides if arts for p in
             training_paragraphs(arts, seed=recipe.seed, regroupings=recipe.regroupings, cross=recipe.cross)]
    enc_params = [p for p in model.encoder.parameters() if p.requires_grad]
    heads = [p for head, _ in sides for p in head.parameters()]
    opt = torch.optim.AdamW([{"params": enc_params, "lr": recipe.lr},
                             {"params": heads, "lr": recipe.head_lr}], weight_decay=0.01)
    loss_fn = torch.nn.BCEWithLogitsLoss(reduction="none", pos_weight=torch.tensor(recipe.pos_weight))
    plan = [_epoch_batches(paras, tok, recipe, rng) for _ in range(recipe.epochs)]
    total = sum(len(groups) for groups in plan)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: max(0.0, 1.0 - s / max(1, total)))
    model.train()
    step, t0 = 0, time.perf_counter()
    for epoch, groups in enumerate(plan):
        rng.shuffle(groups)
        for head, group in groups:
            ids, mask, left, right = collate([w for w, _ in group], tok.pad)
            c = left.shape[1]
            y = torch.tensor([labels + [0.0] * (c - len(labels)) for _, labels in group])
            valid = torch.tensor([[1.0] * len(w.slots) + [0.0] * (c - len(w.slots)) for w, _ in group])
            logits = model(ids, mask, left, right, head=head)
            loss = (loss_fn(logits, y) * valid).sum() / valid.sum().clamp(min=1)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            if progress and step % 20 == 0:
                progress(f"epoch {epoch + 1} step {step}/{total} loss {loss.item():.4f} "
                         f"{time.perf_counter() - t0:.0f}s")
    model.eval()
    return model


def _epoch_batches(paras, tok, recipe: Recipe, rng: random.Random):
    """One epoch's batches ``(head, [(window, labels)])``: fresh noise, each batch from one head's paragraphs."""
    out = []
    for head in dict.fromkeys(h for h, _ in paras):
        ex = examples([p for h, p in paras if h is head], tok, recipe, rng)
        label_of = {id(w): y for w, y in ex}
        out += [(head, [(w, label_of[id(w)]) for w in g]) for g in batches([w for w, _ in ex], recipe.batch_tokens)]
    return out
