"""Registry of translation engines (lazy: importing it imports no ML library)."""
from __future__ import annotations

from ..registry import Registry

ENGINES: Registry = Registry("translate engine")
ENGINES.register("transformers", "mt.translate.hf:TransformersEngine")
ENGINES.register("ctranslate2", "mt.translate.ct2:CT2Engine")
ENGINES.register("tm", "mt.translate.tm:TMEngine")
