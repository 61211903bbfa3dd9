"""segment: Thai lines -> sentences -> MT units (the corpus rows)."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ..config import RunConfig
from ..records import Doc
from .base import Resources, Step, batches
from .parse import fail_document


class SegmentStep(Step):
    """Documents are taken ``docs_per_batch`` at a time, so that a batched segmenter (``segment_many``: one
    encoder pass) sees the lines of many pages at once; output order is input order."""

    name = "segment"
    resources = Resources(pool="prep", loads_model=True)

    def __init__(self, config: RunConfig, docs_per_batch: int = 16):
        from ..segment import get_segmenter

        super().__init__(config)
        self.docs_per_batch = docs_per_batch
        self.segmenter = get_segmenter(config.segment.engine, config.segment)

    def spec(self) -> tuple[type, dict[str, Any]]:
        return type(self), {"config": self.config, "docs_per_batch": self.docs_per_batch}

    def apply(self, docs: Iterable[Doc]) -> Iterator[Doc]:
        for batch in batches(docs, self.docs_per_batch):
            yield from self.process_batch(batch)

    def process(self, doc: Doc) -> Doc:
        return self.process_batch([doc])[0]

    def process_batch(self, docs: list[Doc]) -> list[Doc]:
        from ..segment import Prepared
        from ..segment.units import segment_inputs

        try:
            segmenter: Any = Prepared(self.segmenter, [t for d in docs for t in segment_inputs(d)])
        except Exception:  # noqa: BLE001 - one bad page must not fail its batch: segment page by page instead
            segmenter = self.segmenter
        for doc in docs:
            self._units(doc, segmenter)
        return docs

    def _units(self, doc: Doc, segmenter: Any) -> None:
        from ..segment.units import build_units

        try:
            build_units(doc, segmenter, self.config.segment)
        except Exception as exc:  # noqa: BLE001 - per-document isolation, as in ParseStep
            doc.units = []
            fail_document(doc, self.name, exc)

    def signature(self) -> dict[str, Any]:
        """The engine name and, for a trained model, its version (a retrained model changes the signature)
        and the compute type it runs in (``e5seg@<version>/bfloat16``)."""
        version = getattr(self.segmenter, "model_version", None)
        compute = getattr(self.segmenter, "compute_type", None)
        return {"segmenter": self.config.segment.engine + (f"@{version}" if version else "")
                + (f"/{compute}" if compute else "")}
