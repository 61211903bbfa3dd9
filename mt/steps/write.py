"""write: a shard's finished documents -> its part of the corpus in the run's work folder
(:class:`~mt.write.PartWriter`), marked done with the shard's report when its :class:`ShardEnd` arrives.
Nothing goes on from here but the ShardEnd: no row leaves the process that wrote it."""
from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..config import RunConfig
from ..errors import ConfigError
from ..records import Doc
from .base import Resources, ShardEnd, Step


class WriteStep(Step):
    """Streams each shard's documents into a part folder of ``work`` (the run's :class:`~mt.write.work.WorkDir`
    root), renamed into place with its marker at the end of the shard."""

    name = "write"
    resources = Resources(pool="")      # with the step before it (on Ray: in the align actors)

    def __init__(self, config: RunConfig, work: str | Path | None = None, signature: dict[str, Any] | None = None):
        super().__init__(config)
        self.work = None if work is None else str(work)
        self.run_signature = dict(signature or {})
        self.writer: Any = None
        self._tmp: Path | None = None

    def spec(self) -> tuple[type, dict[str, Any]]:
        return type(self), {"config": self.config, "work": self.work, "signature": self.run_signature}

    def _open(self) -> Any:
        if self.writer is None:
            from ..write import PartWriter
            from ..write.filters import RowFilters
            from ..write.work import WorkDir

            if self.work is None:
                raise ConfigError("the write step has no work folder", where="build_steps(work=...)",
                                  fix="build the steps with mt.pipeline.build_steps inside run_pipeline")
            out = self.config.output
            filters = RowFilters(min_scores=dict(out.min_scores), drop_flags=tuple(out.drop_flags))
            self._tmp = WorkDir(self.work).new_part()
            self.writer = PartWriter(self._tmp, list(out.formats), self.run_signature, out.parquet_rows_per_shard,
                                     filters=filters)
        return self.writer

    def apply(self, docs: Iterable[Doc]) -> Iterator[Doc]:
        for doc in docs:
            self._open().write(doc)
            self._count(doc)
        return
        yield   # a generator that yields no document

    def end_shard(self, end: ShardEnd) -> None:
        """Close the shard's part (an empty shard has one too), make it final and write its marker."""
        from ..write.work import WorkDir

        end.counts = self._open().close()
        self.writer = None
        WorkDir(self.work).finish(end, self._tmp)
        self._tmp = None
        end.shard = dataclasses.replace(end.shard, sources=()) if end.shard.sources else end.shard

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.abort()
            self.writer = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def close(self) -> None:
        self.abort()
