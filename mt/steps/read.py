"""read: sources (:class:`mt.sources.Source`: page files, records) -> :class:`~mt.records.Doc` with decoded lines or problems."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..read import InputFile
from ..records import Doc
from ..sources import Source, read_sources
from .base import Resources, Step


class ReadStep(Step):
    """Decode each source into lines; a file or record that cannot be read becomes a document with a problem."""

    name = "read"
    resources = Resources(pool="prep")

    def apply(self, items: Iterable[Source | InputFile]) -> Iterator[Doc]:
        yield from read_sources(items, self.config.input)

    def observe(self, doc: Doc) -> None:
        self.stats.counts["problems"] += len(doc.problems)
