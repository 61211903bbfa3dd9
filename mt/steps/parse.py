"""parse: type every line of a page (title, body, caption_vi, chrome, ...) and fill the document fields."""
from __future__ import annotations

import logging

from ..config import RunConfig
from ..records import Doc, Line, check_kinds, number_blocks
from ..sources import restore_provenance
from .base import Resources, Step

log = logging.getLogger(__name__)


def fail_document(doc: Doc, step: str, exc: BaseException) -> None:
    """Per-document isolation: a page that breaks a step becomes a problem record (file, error, fix) and
    every one of its lines is set aside as ``invalid``; the batch goes on (exit 3 at the end)."""
    log.error("%s: %s failed (%s: %s); its lines are set aside", doc.file, step, type(exc).__name__, exc)
    doc.lines = [Line(line=i, text=text, kind="invalid") for i, text in enumerate(doc.raw_lines, 1)]
    doc.units, doc.vi_lines, doc.meta = [], [], {}
    doc.problems.append({"line": None, "error": f"the {step} step failed on this page: {type(exc).__name__}: "
                         f"{str(exc)[:200]}", "fix": "report it with this file; the rest of the batch is written",
                         "all_lines": True})


class ParseStep(Step):
    name = "parse"
    resources = Resources(pool="prep")

    def __init__(self, config: RunConfig):
        from ..parse import PageParser

        super().__init__(config)
        self.parser = PageParser()  # builds its language identifier once for every page

    def process(self, doc: Doc) -> Doc:
        before = doc.meta   # the reader's provenance of a record (mt.sources)
        try:
            self.parser.parse(doc)
            check_kinds(doc)
        except Exception as exc:  # noqa: BLE001 - per-document isolation: one bad page never stops the batch
            fail_document(doc, self.name, exc)
        restore_provenance(doc, before)
        number_blocks(doc)   # blocks of one source line get distinct row ids and their own accounting
        return doc

    def observe(self, doc: Doc) -> None:
        self.stats.counts.update(f"kind:{ln.kind}" for ln in doc.lines)
