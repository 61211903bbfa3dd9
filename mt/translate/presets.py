"""Named model presets and their language-code logic.

Everything here is pure (no weights, no network): given a preset and a source
language, :func:`plan_for` says which model to load, which ``src_lang`` to set
on the tokenizer, which text prefix to add and which token to force as the
first target token. The engines only execute such a plan.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ConfigError

TARGET_LANG = "en"
SOURCE_LANGS = ("th", "vi")


@dataclass(frozen=True)
class Preset:
    name: str
    family: str                        # "nllb" | "marian" | "m2m100" | "madlad" | "tiny"
    models: dict[str, str]             # source lang -> model id ("*" = every source language)
    src_codes: dict[str, str] = field(default_factory=dict)   # source lang -> tokenizer src_lang
    tgt_code: str | None = None        # forced-BOS target token (string), if the family uses one
    prefix: str = ""                   # text prefix added to every source sentence
    is_real: bool = True
    note: str = ""


@dataclass(frozen=True)
class ModelPlan:
    """What an engine does for one (preset, source language)."""

    model: str                          # model id or local path ("tiny" resolved later by the builder)
    src_lang: str                       # pipeline language code ("th" / "vi")
    tokenizer_src_lang: str | None      # value for tokenizer.src_lang, or None
    prefix: str                         # prepended to every source text
    forced_bos_token: str | None        # token string forced as first target token, or None
    family: str


_NLLB_CODES = {"th": "tha_Thai", "vi": "vie_Latn", "en": "eng_Latn"}


def _nllb(name: str, model: str) -> Preset:
    return Preset(name=name, family="nllb", models={"*": model},
                  src_codes={"th": _NLLB_CODES["th"], "vi": _NLLB_CODES["vi"]}, tgt_code=_NLLB_CODES["en"])


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        _nllb("nllb-200-distilled-600M", "facebook/nllb-200-distilled-600M"),
        _nllb("nllb-200-distilled-1.3B", "facebook/nllb-200-distilled-1.3B"),
        _nllb("nllb-200-1.3B", "facebook/nllb-200-1.3B"),
        _nllb("nllb-200-3.3B", "facebook/nllb-200-3.3B"),
        Preset(name="opus-mt", family="marian",
               models={"th": "Helsinki-NLP/opus-mt-th-en", "vi": "Helsinki-NLP/opus-mt-vi-en"},
               note="one Marian model per language pair"),
        Preset(name="m2m100_418M", family="m2m100", models={"*": "facebook/m2m100_418M"},
               src_codes={"th": "th", "vi": "vi"}, tgt_code="__en__",
               note="forced BOS = tokenizer.get_lang_id('en') -> token '__en__'"),
        Preset(name="m2m100_1.2B", family="m2m100", models={"*": "facebook/m2m100_1.2B"},
               src_codes={"th": "th", "vi": "vi"}, tgt_code="__en__"),
        Preset(name="madlad400-3b-mt", family="madlad", models={"*": "google/madlad400-3b-mt"},
               prefix="<2en> "),
        Preset(name="tiny", family="tiny", models={"*": "tiny"}, is_real=False,
               note="random-weight Marian built locally (mt.tinymodel); outputs are NOT translations"),
    )
}

DEFAULT_PRESET = "nllb-200-distilled-600M"


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"unknown translate preset '{name}'", where="translate.preset",
                          fix=f"use one of: {', '.join(sorted(PRESETS))}") from None


def plan_for(preset: str | Preset, src_lang: str, model: str | None = None, model_vi: str | None = None) -> ModelPlan:
    """The model plan for translating ``src_lang`` -> English with ``preset``.

    ``model`` overrides the preset's model for every source language;
    ``model_vi`` overrides it for Vietnamese only (it wins over ``model``).
    The language codes still come from the preset's family.
    """
    p = get_preset(preset) if isinstance(preset, str) else preset
    if src_lang not in SOURCE_LANGS:
        raise ConfigError(f"unsupported source language '{src_lang}'", where="translate",
                          fix=f"source languages: {', '.join(SOURCE_LANGS)}")
    model_id = p.models.get(src_lang) or p.models.get("*")
    if model:
        model_id = model
    if src_lang == "vi" and model_vi:
        model_id = model_vi
    if model_id is None:  # pragma: no cover - every preset covers both languages
        raise ConfigError(f"preset '{p.name}' has no model for '{src_lang}'", where="translate.preset",
                          fix="set translate.model")
    return ModelPlan(
        model=model_id,
        src_lang=src_lang,
        tokenizer_src_lang=p.src_codes.get(src_lang),
        prefix=p.prefix,
        forced_bos_token=p.tgt_code,
        family=p.family,
    )


def missing_path_hint(path: str) -> str:
    """What to do when a model given as a local path is not there."""
    return (f"check the path '{path}': it must be a model directory (config.json, weights, tokenizer files), e.g. "
            "one made by `hf download MODEL --local-dir DIR`; or pass a hub id such as "
            "facebook/nllb-200-distilled-600M")


def download_hint(model_id: str) -> str:
    """How to get a model onto a machine without hub access."""
    return (f"on a machine with internet run `hf download {model_id} --local-dir DIR`, copy DIR here "
            f"and pass `--model DIR` (or set translate.model = \"DIR\"); or use translate.preset = \"tiny\" "
            f"for a local random-weight test model")
