"""Shards: the units of work of a run. Each shard is read, processed and written by one task (locally in
turn, on Ray by the actor pools) into its own part of OUTPUT_DIR, and marked done there with its counts, so a
re-run skips the shards that finished (:mod:`mt.write.work`).

:func:`iter_shards` lists them lazily, in corpus order, from the same listing as :func:`mt.sources.iter_sources`
(same documents, same ids): ``[executor] shard_docs`` page files (or streamed Hugging Face records) per shard,
one JSONL / WARC container per shard, and a Parquet container in ranges of ``shard_docs`` rows (its row count
is in its metadata). Only the shards in flight are held: a shard of page files carries its sources, a
container shard only its path and range (the task lists its records).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count, islice
from typing import Any

from .config import InputConfig
from .sources import (_LISTING_ERRORS, RecordFields, Source, _is_container_path, container_sources, containers,
                      file_sources, hf_sources, parquet_rows)


@dataclass(frozen=True)
class Shard:
    """One unit of work: the sources it carries, or a container (and a record range of it)."""

    id: str                                 # its number in corpus order, zero-padded ("000012")
    sources: tuple[Source, ...] = ()        # page files or streamed records (when not a container shard)
    container: str = ""                     # container shard: the file, its format and id stem
    format: str = ""
    stem: str = ""
    start: int = 0                          # container shard: records [start, stop) (stop None: to the end)
    stop: int | None = None

    def iter_sources(self, fields: RecordFields) -> Iterator[Source]:
        """The shard's sources in order (a container shard lists its records from the container)."""
        if not self.container:
            yield from self.sources
            return
        for src in container_sources(self.container, self.format, self.stem, fields, self.stop):
            if src.index is not None and src.index >= self.start:
                yield src

    @property
    def size(self) -> int | None:
        """Documents in the shard when known without reading it."""
        if not self.container:
            return len(self.sources)
        return None if self.stop is None else self.stop - self.start

    def describe(self) -> dict[str, Any]:
        """What the shard is, for its marker and for messages."""
        if self.container:
            return {"container": self.container, "format": self.format, "start": self.start, "stop": self.stop}
        first, last = self.sources[0], self.sources[-1]
        return {"documents": len(self.sources), "first": first.name if first.kind == "file" else first.doc_id,
                "last": last.name if last.kind == "file" else last.doc_id}

    def digest(self) -> str:
        """A digest of what the shard holds (its sources' paths and ids, or its container and range)."""
        h = hashlib.sha256(json.dumps(self.describe(), sort_keys=True).encode())
        for src in self.sources:
            h.update(f"{src.path}\0{src.doc_id}\0{src.index}\0".encode())
        return h.hexdigest()[:32]


def iter_shards(config: InputConfig, size: int) -> Iterator[Shard]:
    """The run's shards, lazily, in the order of :func:`mt.sources.iter_sources` (page files first)."""
    fields = RecordFields.of(config)
    numbers = count()
    if config.format == "hf":
        for p in config.paths:
            yield from _groups(hf_sources(p.removeprefix("hf:"), config.hf_split, fields), size, numbers)
        return
    pages = [p for p in config.paths if not p.startswith("hf:") and not _is_container_path(p, config.format)]
    yield from _groups(file_sources(pages, config.patterns), size, numbers)
    for p in config.paths:
        if p.startswith("hf:"):
            yield from _groups(hf_sources(p[3:], config.hf_split, fields), size, numbers)
        elif _is_container_path(p, config.format):
            for container, fmt, stem in containers(p, config.format):
                yield from _container_shards(container, fmt, stem, size, numbers)


def _groups(sources: Iterator[Source], size: int, numbers: Iterator[int]) -> Iterator[Shard]:
    while group := tuple(islice(sources, size)):
        yield Shard(f"{next(numbers):06d}", sources=group)


def _container_shards(container: str, fmt: str, stem: str, size: int, numbers: Iterator[int]) -> Iterator[Shard]:
    rows = None
    if fmt == "parquet":
        try:
            rows = parquet_rows(container)
        except _LISTING_ERRORS:      # not readable as Parquet: one shard, whose task reports the problem
            rows = None
    if rows is None or rows <= size:
        yield Shard(f"{next(numbers):06d}", container=container, format=fmt, stem=stem)
        return
    for start in range(0, rows, size):
        stop = min(start + size, rows)
        yield Shard(f"{next(numbers):06d}", container=container, format=fmt, stem=stem, start=start, stop=stop)
