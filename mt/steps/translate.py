"""translate: every unit th -> en and every Vietnamese line vi -> en, in batches of documents."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ..config import RunConfig
from ..errors import ConfigError
from ..records import Doc
from ..translate.base import TranslatorLike
from .base import Resources, Step, batches


class TranslateStep(Step):
    """Documents are buffered ``docs_per_batch`` at a time so that the translator sees large batches it can
    sort by length; output order is input order. The translator is loaded when the step is built (a missing
    model fails before any page is read) unless one is passed in."""

    name = "translate"
    resources = Resources(pool="translate", loads_model=True, wants_gpu=True, fills_cpus=True)

    def __init__(self, config: RunConfig, translator: TranslatorLike | None = None, docs_per_batch: int = 16):
        super().__init__(config)
        self.docs_per_batch = docs_per_batch
        self._given = translator is not None
        self._closed = False
        if translator is None:
            from ..translate import load_translator

            translator = load_translator(config.translate, progress=False if config.quiet else None)
        if not isinstance(translator, TranslatorLike):
            raise ConfigError(f"the translator passed in ({type(translator).__name__}) lacks translate(texts, "
                              "src_lang), signature(), close() or is_real", where="run_pipeline(translator=...)",
                              fix="pass an mt.translate.load_translator(...) result, or None to load from [translate]")
        self.translator: TranslatorLike = translator

    @property
    def is_real(self) -> bool:
        """False for a test model whose output is not a translation (the aligner then skips MT signals)."""
        return bool(getattr(self.translator, "is_real", True))

    def spec(self) -> tuple[type, dict[str, Any]]:
        return type(self), {"config": self.config, "docs_per_batch": self.docs_per_batch,
                            "translator": self.translator if self._given else None}

    def apply(self, docs: Iterable[Doc]) -> Iterator[Doc]:
        for batch in batches(docs, self.docs_per_batch):
            yield from self.translate_batch(batch)

    def translate_batch(self, docs: list[Doc]) -> list[Doc]:
        th_items = [u for d in docs for u in d.units]
        vi_items = [v for d in docs for v in d.vi_lines]
        if th_items:
            for unit, res in zip(th_items, self.translator.translate([u.th for u in th_items], "th")):
                unit.en = res.text
                unit.flags.extend(f for f in res.flags if f not in unit.flags)
                unit.scores.update(res.scores)
        if vi_items:
            for vline, res in zip(vi_items, self.translator.translate([v.vi for v in vi_items], "vi")):
                vline.en_from_vi = res.text
                vline.flags.extend(f for f in res.flags if f not in vline.flags)
                vline.scores.update(res.scores)
        return docs

    def observe(self, doc: Doc) -> None:
        self.stats.counts["translated_units"] += sum(1 for u in doc.units if u.en)

    def signature(self) -> dict[str, Any]:
        return self.translator.signature()

    def engine_stats(self) -> dict[str, Any]:
        stats = getattr(self.translator, "stats", None)
        if callable(stats):
            stats = stats()
        return dict(stats) if isinstance(stats, dict) else {}

    def close(self) -> None:
        """Close the translator this step loaded (one passed in belongs to the caller)."""
        if not self._given and not self._closed and hasattr(self.translator, "close"):
            self.translator.close()
        self._closed = True
