"""Page parsing: type every line (title, caption_vi, chrome, ...), fill Doc.meta and Doc.vi_lines."""
from __future__ import annotations

from .parser import PageParser, parse_doc

__all__ = ["PageParser", "parse_doc"]
