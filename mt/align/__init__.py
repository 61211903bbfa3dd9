"""Vietnamese caption alignment: relation + Thai counterpart for every Vietnamese line."""
from __future__ import annotations

from .aligner import Aligner, decide

__all__ = ["Aligner", "decide"]
