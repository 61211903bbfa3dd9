"""Shared fixtures.

``tiny_model_dir``: the tiny random-weight Marian model (mt.tinymodel), built once per test
session into a temporary ``MT_CACHE_DIR`` and loaded by everyone through ``from_pretrained``.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def mt_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session-wide MT_CACHE_DIR (models, CTranslate2 conversions) under pytest's tmp dir."""
    path = tmp_path_factory.mktemp("mt-cache")
    old = os.environ.get("MT_CACHE_DIR")
    os.environ["MT_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("MT_CACHE_DIR", None)
    else:
        os.environ["MT_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def tiny_model_dir(mt_cache_dir: Path) -> Path:
    """Directory of the tiny Marian model (save_pretrained layout: config, weights, source/target.spm, vocab.json)."""
    from mt.tinymodel import build_tiny_model

    return build_tiny_model()
