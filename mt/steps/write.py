"""write: finished documents -> the corpus files in OUTPUT_DIR (a :class:`~mt.write.CorpusWriter`)."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ..config import RunConfig
from ..records import Doc
from .base import Resources, Step


class WriteStep(Step):
    """Streams documents into the run's corpus writer (opened at the first document, so that a signature
    reported by remote workers -- e.g. a GPU actor's compute type -- is the one stamped on the files)."""

    name = "write"
    resources = Resources(pool="driver")

    def __init__(self, config: RunConfig, output: Any = None, signature: dict[str, Any] | None = None):
        super().__init__(config)
        self.output = output
        self.run_signature = dict(signature or {})
        self.writer: Any = None

    def spec(self) -> tuple[type, dict[str, Any]]:
        return type(self), {"config": self.config, "signature": self.run_signature}

    def update_signature(self, signature: dict[str, Any]) -> None:
        """What the workers actually ran (may differ from the driver's plan); only before the first document."""
        if self.writer is None:
            self.run_signature.update(signature)

    def open(self) -> Any:
        if self.writer is None:
            from ..write import CorpusWriter
            from ..write.filters import RowFilters

            out = self.config.output
            filters = RowFilters(min_scores=dict(out.min_scores), drop_flags=tuple(out.drop_flags))
            self.writer = CorpusWriter(out.dir, list(out.formats), self.run_signature, out.parquet_rows_per_shard,
                                       output=self.output, filters=filters)
        return self.writer

    def apply(self, docs: Iterable[Doc]) -> Iterator[Doc]:
        writer = self.open()
        for doc in docs:
            writer.write(doc)
            yield doc

    def finish(self, manifest: dict[str, Any], after_files: Any = None) -> Any:
        """Write manifest and card and commit the corpus (also when no document came)."""
        return self.open().finish(manifest, after_files=after_files)

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.abort()
