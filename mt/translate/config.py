from __future__ import annotations

from typing import Literal

from pydantic import field_validator

from .._config_base import Section


class TranslateConfig(Section):
    """[translate]: MT model, engine and decoding."""

    preset: str = "nllb-200-distilled-600M"   # see mt.translate.presets.PRESETS
    model: str | None = None        # model id or local path; overrides the preset's model for every source language
    model_vi: str | None = None     # model for Vietnamese sources when the preset uses one model per pair
    revision: str | None = None     # hub revision (commit, tag or branch)
    engine: str = "transformers"    # registry name: see mt.translate.ENGINES ("transformers", "ctranslate2")
    device: str = "auto"            # "auto" | "cpu" | "cuda" | "cuda:N"
    compute_type: str = "auto"      # ctranslate2: int8 / float16 / int8_float16 / float32; transformers: float32 / float16 / bfloat16
    beam_size: int = 4
    max_new_tokens: int = 256
    max_length_ratio: float = 2.0   # at most ratio * source tokens + 16 target tokens (caps runaway loops)
    max_input_tokens: int = 200     # longer sources are split at sentence/clause boundaries, never truncated
    # padded source tokens per length-bucketed batch; None: the engine's default (transformers 4096, ctranslate2 on
    # CPU 2048). Each text's output is cut at its own cap (max_length_ratio * its tokens + 16), so greedy outputs do
    # not depend on the batching; with beam search a row that reaches its cap still may (the search saw the batch's).
    batch_tokens: int | None = None
    cache: str | None = "outputs/.cache/translations.sqlite"   # persistent translation cache; None disables it
    local_files_only: bool = False  # never reach for the hub
    # output vocabulary: "full", or "script" = only pieces in the target language's script plus pieces without
    # letters and special tokens (mt.translate.vocab): CTranslate2 then computes the output layer for those
    # pieces only (faster); transformers masks the others (same greedy outputs, no speed-up)
    target_vocab: Literal["full", "script"] = "full"
    guard: bool = True              # detect degenerate outputs (empty, copy, wrong script, loops)
    retry_degenerate: bool = True   # retry degenerate rows once with repetition penalties / another beam
    inter_threads: int | None = None   # ctranslate2: parallel translators (default: CPU cores on CPU, 1 on CUDA)
    intra_threads: int | None = None   # ctranslate2: threads per translator (default 1 on CPU); transformers: torch threads (process-wide; default torch's, 1 for the tiny model)
    ct2_dir: str | None = None      # where converted CTranslate2 models go (default $MT_CACHE_DIR/ct2)
    progress: bool | None = None    # tqdm progress bar; None = only when stderr is a terminal

    @field_validator("engine")
    @classmethod
    def _known_engine(cls, v: str) -> str:
        from .engines import ENGINES

        if v not in ENGINES:
            raise ValueError(f"unknown translate engine '{v}'; valid engines: {', '.join(ENGINES.names())}")
        return v

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, v: str) -> str:
        from .presets import PRESETS

        if v not in PRESETS:
            raise ValueError(f"unknown translate preset '{v}'; valid presets: {', '.join(sorted(PRESETS))}")
        return v

    @field_validator("beam_size", "max_new_tokens", "max_input_tokens", "batch_tokens")
    @classmethod
    def _positive(cls, v: int | None) -> int | None:
        if v is not None and v < 1:
            raise ValueError("must be >= 1")
        return v
