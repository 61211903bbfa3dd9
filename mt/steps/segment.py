"""segment: Thai lines -> sentences -> MT units (the corpus rows)."""
from __future__ import annotations

from typing import Any

from ..config import RunConfig
from ..records import Doc
from .base import Resources, Step
from .parse import fail_document


class SegmentStep(Step):
    name = "segment"
    resources = Resources(pool="prep", loads_model=True)

    def __init__(self, config: RunConfig):
        from ..segment import get_segmenter

        super().__init__()
        self.config = config
        self.segmenter = get_segmenter(config.segment.engine)

    def process(self, doc: Doc) -> Doc:
        from ..segment.units import build_units

        try:
            build_units(doc, self.segmenter, self.config.segment)
        except Exception as exc:  # noqa: BLE001 - per-document isolation, as in ParseStep
            fail_document(doc, self.name, exc)
        return doc

    def signature(self) -> dict[str, Any]:
        return {"segmenter": self.config.segment.engine}
