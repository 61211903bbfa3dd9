"""Translation subsystem: Thai / Vietnamese -> English.

``load_translator(cfg)`` returns a :class:`~mt.translate.translator.Translator` with
``translate(texts, src_lang) -> list[Translation]``, ``signature()``, ``is_real`` and
``close()``. Engines are registered in :data:`ENGINES` ("transformers", "ctranslate2");
model presets and their language codes live in :mod:`mt.translate.presets`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Engine, GenParams, Translation
from .config import TranslateConfig
from .engines import ENGINES
from .presets import PRESETS, plan_for

if TYPE_CHECKING:
    from .translator import Translator

__all__ = ["ENGINES", "PRESETS", "Engine", "GenParams", "Translation", "TranslateConfig", "Translator",
           "load_translator", "plan_for"]


def load_translator(cfg: TranslateConfig | None = None, progress: bool | None = None, **overrides: Any) -> "Translator":
    """Load the configured model on the configured engine.

    ``progress``: show a tqdm bar (None: ``cfg.progress``, else only when stderr is a terminal).
    ``overrides``: TranslateConfig fields to change, e.g. ``load_translator(preset="tiny", cache=None)``.
    Raises ModelError (model missing / not loadable, with how to get it), ConfigError (unknown engine,
    bad device / compute type), MissingExtraError (engine "ctranslate2" without ``pip install 'mt[ct2]'``).
    """
    from .translator import Translator

    cfg = cfg or TranslateConfig()
    if overrides:
        cfg = cfg.model_copy(update=overrides)
        cfg = TranslateConfig.model_validate(cfg.model_dump())
    engine_cls = ENGINES.get(cfg.engine)
    engine = engine_cls(cfg)
    return Translator(cfg, engine, progress=progress)


def __getattr__(name: str) -> Any:
    if name == "Translator":
        from .translator import Translator

        return Translator
    raise AttributeError(name)
