"""Library entry point behind ``mt align FILE... --jsonl``: parse + align pages, one dict per Vietnamese line."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..config import RunConfig
from ..parse import PageParser
from ..read import read_docs
from ..records import number_blocks
from .aligner import Aligner


def align_files(paths: Iterable[str | Path], config: RunConfig | None = None) -> Iterator[dict[str, Any]]:
    """Yield ``{file, line, vi, relation, th_line, th, score, reason}`` per Vietnamese-language line, in file order.

    Uses the pipeline's own reader, parser and aligner (no MT: the MT signal needs
    translations, which ``mt align`` does not compute). Accepts .txt, .md and .html files
    and folders.
    """
    config = config or RunConfig()
    aligner = Aligner(config.align, use_mt=False)
    parser = PageParser()
    for doc in read_docs(paths, config.input.patterns):
        parser.parse(doc)
        number_blocks(doc)
        aligner.align(doc)
        for v in doc.vi_lines:
            yield {"file": doc.file, "line": v.line, "vi": v.raw, "relation": v.relation,
                   "th_line": v.th_line, "th": v.th, "score": v.score, "reason": v.reason}
