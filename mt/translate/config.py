from __future__ import annotations

from typing import Literal

from pydantic import field_validator, model_validator

from .._config_base import Section, at_least


class TranslateConfig(Section):
    """[translate]: MT model, engine and decoding."""

    preset: str = "nllb-200-distilled-600M"   # see mt.translate.presets.PRESETS
    model: str | None = None        # model id or local path; overrides the preset's model for every source language
    model_vi: str | None = None     # model for Vietnamese sources when the preset uses one model per pair
    revision: str | None = None     # hub revision (commit, tag or branch)
    engine: str = "transformers"    # registry name: see mt.translate.ENGINES ("transformers", "ctranslate2", "tm")
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
    # engine "tm" (mt.translate.tm): translation memory file(s) -- TMX, JSONL with th/vi + en, Parquet, a Moses
    # source file (corpus.th with corpus.en beside it) or an mt corpus directory; one path or a list
    memory: str | list[str] | None = None
    fallback: str | None = None     # engine "tm": engine for what the memory lacks ("ctranslate2"/"ct2", "transformers"); None: left untranslated, flag tm_miss
    fuzzy: float | None = None      # engine "tm": fuzzy-match threshold in (0, 1] (similarity of the texts); None: exact and joined matches only

    @field_validator("engine")
    @classmethod
    def _known_engine(cls, v: str) -> str:
        from .engines import ENGINES

        if v not in ENGINES:
            raise ValueError(f"unknown translate engine '{v}'; valid engines: {', '.join(ENGINES.names())}")
        return v

    @field_validator("fallback")
    @classmethod
    def _known_fallback(cls, v: str | None) -> str | None:
        from .engines import ENGINES
        from .tm import FALLBACK_ALIASES

        names = [n for n in ENGINES.names() if n != "tm"]
        if v is not None and FALLBACK_ALIASES.get(v, v) not in names:
            raise ValueError(f"unknown fallback engine '{v}'; valid: {', '.join(sorted(names + list(FALLBACK_ALIASES)))}")
        return v

    @field_validator("fuzzy")
    @classmethod
    def _threshold(cls, v: float | None) -> float | None:
        if v is not None and not 0 < v <= 1:
            raise ValueError("must be in (0, 1] (a similarity threshold), or unset for exact matches only")
        return v

    @model_validator(mode="after")
    def _memory_for_tm(self) -> "TranslateConfig":
        if self.engine == "tm" and not self.memory:
            raise ValueError('engine "tm" needs translate.memory = "PATH" (a TMX, JSONL, Parquet or Moses file, '
                             "or an mt corpus directory; or a list of them)")
        return self

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
        return at_least(1, v)
