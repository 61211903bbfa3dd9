"""Side-by-side review of an OUTPUT_DIR: static report, review server, reviewed export.

* :func:`build_report` -- ``OUTPUT_DIR/review.html``, one self-contained file (no extra needed).
* :func:`serve` / :func:`create_app` -- local review server (needs the ``[review]`` extra:
  starlette, uvicorn); decisions go to ``OUTPUT_DIR/review.sqlite``, corpus files are never modified.
* :func:`export` -- the reviewed corpus (HF dataset + JSONL + TMX), default ``OUTPUT_DIR/reviewed/``;
  :class:`ExportFilters` drop rejected rows, rows under a score, rows with a flag (counted on the card).
* :func:`row_flags` -- the review flags of one corpus row (shared by all three).

Heavy imports are lazy: importing ``mt.review`` imports neither starlette nor uvicorn.
"""
from __future__ import annotations

from typing import Any

__all__ = ["build_report", "serve", "create_app", "export", "row_flags", "flag_details",
           "severity", "FlagConfig", "load_corpus", "ExportFilters"]

_LAZY = {
    "build_report": ".report",
    "serve": ".server",
    "create_app": ".server",
    "export": ".exporter",
    "row_flags": ".flags",
    "flag_details": ".flags",
    "severity": ".flags",
    "FlagConfig": ".flags",
    "load_corpus": ".corpus",
    "ExportFilters": ".filters",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module = importlib.import_module(_LAZY[name], __name__)
        return getattr(module, name)
    raise AttributeError(name)
