"""mt: scraped Thai news pages -> reviewed Thai/English/Vietnamese parallel corpus."""
from __future__ import annotations

from ._version import __version__

__all__ = ["__version__", "run_pipeline", "load_config"]


def __getattr__(name: str):  # lazy: importing mt must stay cheap
    if name == "run_pipeline":
        from .pipeline import run_pipeline

        return run_pipeline
    if name == "load_config":
        from .config import load_config

        return load_config
    raise AttributeError(name)
