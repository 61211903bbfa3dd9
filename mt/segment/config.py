from __future__ import annotations

from .._config_base import Section


class SegmentConfig(Section):
    """[segment]: Thai sentence segmentation and MT-unit policy."""

    engine: str = "e5seg"           # registry name; see mt.segment.SEGMENTERS (e5seg, thaiseg = fast CRF, crfcut, whitespace)
    min_unit_chars: int = 12        # fragments shorter than this (characters) merge into a neighbour
    max_unit_chars: int = 600       # units longer than this (characters) are split at the best boundary
    max_unit_tokens: int = 200      # units longer than this (model tokens) are split by the translator
