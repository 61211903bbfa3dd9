from __future__ import annotations

from typing import Literal

from .._config_base import Section


class TranslateConfig(Section):
    """[translate]: MT model, engine and decoding."""

    preset: str = "nllb-200-distilled-600M"   # see mt.translate.presets.PRESETS
    model: str | None = None        # model id or local path; overrides the preset's model for every source language
    model_vi: str | None = None     # model for Vietnamese sources when the preset uses one model per pair
    revision: str | None = None     # hub revision (commit, tag or branch)
    engine: Literal["transformers", "ctranslate2"] = "transformers"
    device: str = "auto"            # "auto" | "cpu" | "cuda" | "cuda:N"
    compute_type: str = "auto"      # ctranslate2: int8 / float16 / int8_float16 / float32; transformers: float32 / float16 / bfloat16
    beam_size: int = 4
    max_new_tokens: int = 256
    batch_tokens: int = 4096        # target tokens per batch (length-bucketed)
    cache: str | None = "outputs/.cache/translations.sqlite"   # persistent translation cache; None disables it
    local_files_only: bool = False  # never reach for the hub
