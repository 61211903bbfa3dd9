"""Local paths or fsspec URLs: the one test of which a path is, and the file system of a URL (inputs and
OUTPUT_DIR alike). Low-level: imports nothing of mt but the registry."""
from __future__ import annotations

from typing import Any

from .registry import require


def is_url(path: Any) -> bool:
    """An fsspec URL (``s3://``, ``memory://``...); ``file://`` counts as a local path."""
    return "://" in str(path) and not str(path).startswith("file://")


def url_fs(path: str) -> tuple[Any, str]:
    """The fsspec file system of a URL and the path inside it."""
    fsspec = require("fsspec", f"URL {path}")
    return fsspec.core.url_to_fs(path)
