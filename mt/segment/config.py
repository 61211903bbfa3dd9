from __future__ import annotations

from .._config_base import Section


class SegmentConfig(Section):
    """[segment]: Thai sentence segmentation and MT-unit policy."""

    engine: str = "crfcut"          # registry name; see mt.segment.SEGMENTERS
    min_unit_chars: int = 12        # fragments shorter than this merge into a neighbour
    max_unit_tokens: int = 200      # units longer than this (model tokens) are split
