"""read: shards (:class:`mt.shards.Shard`) or sources (:class:`mt.sources.Source`: page files, records) ->
:class:`~mt.records.Doc` with decoded lines or problems; each shard's documents are followed by its
:class:`~mt.steps.base.ShardEnd`."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import groupby
from typing import Any

from ..read import InputFile
from ..records import Doc
from ..shards import Shard
from ..sources import RecordFields, Source, read_sources
from .base import Resources, ShardEnd, Step


class ReadStep(Step):
    """Decode each source into lines; a file or record that cannot be read becomes a document with a problem."""

    name = "read"
    resources = Resources(pool="prep")

    def apply(self, items: Iterable[Shard | Source | InputFile]) -> Iterator[Doc | ShardEnd]:
        fields = RecordFields.of(self.config.input)
        for is_shard, group in groupby(items, key=lambda item: isinstance(item, Shard)):
            if not is_shard:
                yield from read_sources(group, self.config.input)
                continue
            for shard in group:
                yield from self._shard(shard, fields)

    def _shard(self, shard: Shard, fields: RecordFields) -> Iterator[Any]:
        n = 0
        for doc in read_sources(shard.iter_sources(fields), self.config.input):
            n += 1
            yield doc
        yield ShardEnd(shard, docs=n)

    def observe(self, doc: Doc) -> None:
        self.stats.counts["problems"] += len(doc.problems)
