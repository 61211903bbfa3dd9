from __future__ import annotations

from typing import Literal

from .._config_base import Section


class SegmentConfig(Section):
    """[segment]: Thai sentence segmentation and MT-unit policy."""

    engine: str = "e5seg"           # registry name; see mt.segment.SEGMENTERS (e5seg, thaiseg = fast CRF, crfcut, whitespace)
    min_unit_chars: int = 12        # fragments shorter than this (characters) merge into a neighbour
    max_unit_chars: int = 600       # units longer than this (characters) are split at the best boundary
    max_unit_tokens: int = 200      # units longer than this (model tokens) are split by the translator
    device: str = "auto"            # e5seg: "auto" (a CUDA GPU when torch sees one) | "cpu" | "cuda" | "cuda:N"
    # e5seg matmuls: "auto" = bfloat16 where the CPU has native bf16 (AVX512-BF16 / AMX) or on CUDA, else float32;
    # bfloat16 is ~2x faster on such CPUs for ~0.002 F1 (benchmarks/segment.md), float32 is the exact model
    compute_type: Literal["auto", "float32", "bfloat16"] = "auto"
