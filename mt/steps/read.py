"""read: input files (:class:`mt.read.InputFile`) -> :class:`~mt.records.Doc` with decoded lines or problems."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ..config import RunConfig
from ..read import InputFile, read_doc
from ..records import Doc
from .base import Resources, Step


class ReadStep(Step):
    """Decode each input file into lines; a file that cannot be read becomes a document with a problem."""

    name = "read"
    resources = Resources(pool="prep")

    def __init__(self, config: RunConfig):
        super().__init__()
        self.config = config

    def apply(self, items: Iterable[InputFile]) -> Iterator[Doc]:
        for item in items:
            yield read_doc(*item)

    def observe(self, doc: Doc) -> None:
        self.stats.counts["problems"] += len(doc.problems)

    def signature(self) -> dict[str, Any]:
        return {}
