"""The translation-memory engine: ``[translate] engine = "tm"``.

Reuses translations from parallel files (``translate.memory``: one path or a list; formats in
:mod:`mt.translate.memory`) and hands the rest to a fallback engine (``translate.fallback``), as
translation tools do with reviewed translations. It runs behind the same
:class:`~mt.translate.translator.Translator` as the MT engines: the translator asks
:meth:`TMEngine.lookup` first, for every source that is not in its cache, and sends what the memory
does not know to :meth:`TMEngine.generate` (the fallback's), with the usual splitting, batching,
guard and cache. Memory hits are guarded too (score ``guard``, flags) but never retried or cached
(a lookup is cheaper than the cache).

For one Thai or Vietnamese source, in order (texts compared by :func:`~mt.translate.memory.match_key`):

1. **exact**: the source is a memory entry -> its English; score ``tm`` = 1.0;
2. **joined**: the segmenter may merge two sentences into one MT unit, so a source that is the
   concatenation of memory entries (spaces between them ignored; the fewest entries, 2 to
   ``MAX_JOIN``) -> their English joined with a space, in order; score ``tm`` = 1.0, flag ``tm_joined``;
3. **fuzzy** (only with ``translate.fuzzy`` = a threshold in (0, 1]): the most similar entry whose
   similarity (difflib ratio of the two texts without spaces) is at least the threshold -> its
   English; score ``tm`` = the similarity, flag ``tm_fuzzy`` (the English is that of a *similar*
   sentence: review it);
4. otherwise the **fallback** engine (``"transformers"``, ``"ctranslate2"`` or ``"ct2"``, with the
   model of ``translate.preset`` / ``translate.model``; no ``tm`` score); without a fallback the source
   stays untranslated: English ``None`` (``en`` null in the corpus), flag ``tm_miss``.

The run signature names every memory file (file name, SHA-256 of its bytes, entries per language,
skipped rows by reason; never a directory), the fuzzy threshold and the fallback's model, and the
cache keys depend on them. ``is_real`` is the fallback's (True without one: the memory's English
is real), which decides whether the aligner uses the MT signal.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from ..errors import ConfigError
from .base import Engine, GenParams, Translation
from .config import TranslateConfig
from .memory import MEMORY_LANGS, Memory, load_memory, match_key

log = logging.getLogger(__name__)

MODEL_NAME = "translation-memory"
#: other names accepted for ``translate.fallback``
FALLBACK_ALIASES = {"ct2": "ctranslate2"}


def fallback_engine_name(name: str) -> str:
    return FALLBACK_ALIASES.get(name, name)


class TMEngine(Engine):
    """Memory lookups (:meth:`lookup`) in front of an optional fallback engine (everything else)."""

    name = "tm"

    def __init__(self, cfg: TranslateConfig):
        if not cfg.memory:
            raise ConfigError("translate engine 'tm' needs a translation memory", where="translate.memory",
                              fix='set translate.memory = "PATH" (or a list of paths): a TMX, JSONL, Parquet or '
                                  "Moses file, or an mt corpus directory")
        paths = [cfg.memory] if isinstance(cfg.memory, str) else list(cfg.memory)
        self.memory: Memory = load_memory(paths)
        self.fuzzy = cfg.fuzzy
        self.fallback = self._load_fallback(cfg)
        self.stats: Counter = Counter()
        self.uses_model = self.fallback is not None
        if self.fallback is not None:
            fb = self.fallback
            self.name = f"tm+{fb.name}"
            self.device, self.compute_type, self.is_real = fb.device, fb.compute_type, fb.is_real
            self.parallel_batches, self.batch_tokens = fb.parallel_batches, fb.batch_tokens

    @staticmethod
    def _load_fallback(cfg: TranslateConfig) -> Engine | None:
        if cfg.fallback is None:
            return None
        from .engines import ENGINES

        return ENGINES.get(fallback_engine_name(cfg.fallback))(cfg)

    # -- the memory ---------------------------------------------------------------------------
    def lookup(self, texts: list[str], src_lang: str) -> dict[str, Translation]:
        """What the memory gives for each of ``texts`` (see the module docstring); without a
        fallback, every text gets a result (misses: English None, flag ``tm_miss``)."""
        found: dict[str, Translation] = {}
        for text in texts:
            tr = self._match(match_key(text), src_lang)
            if tr is None and self.fallback is None:
                tr = Translation(text=None, flags=["tm_miss"], scores={"tm": None})
            if tr is None:
                self.stats["tm_fallback"] += 1
                continue
            self.stats[tr.flags[0] if tr.flags else "tm_exact"] += 1
            found[text] = tr
        return found

    def _match(self, key: str, src_lang: str) -> Translation | None:
        mem = self.memory
        english = mem.exact(src_lang, key)
        if english is not None:
            return Translation(text=english, scores={"tm": 1.0})
        parts = mem.joined(src_lang, key)
        if parts is not None:
            return Translation(text=" ".join(parts), flags=["tm_joined"], scores={"tm": 1.0})
        if self.fuzzy is not None:
            hit = mem.fuzzy(src_lang, key, self.fuzzy)
            if hit is not None:
                return Translation(text=hit[0], flags=["tm_fuzzy"], scores={"tm": hit[1]})
        return None

    # -- the fallback (the Translator calls these only for sources the memory did not give) ------
    def _fb(self) -> Engine:
        if self.fallback is None:     # pragma: no cover - lookup() answers every source without a fallback
            raise ConfigError("translate engine 'tm' has no fallback engine", where="translate.fallback",
                              fix='set translate.fallback = "ctranslate2" or "transformers"')
        return self.fallback

    def token_lengths(self, texts: list[str], src_lang: str) -> list[int]:
        return self._fb().token_lengths(texts, src_lang)

    def max_input_tokens(self, src_lang: str) -> int:
        return self._fb().max_input_tokens(src_lang)

    def generate(self, texts: list[str], src_lang: str, params: GenParams) -> list[str]:
        return self._fb().generate(texts, src_lang, params)

    def generate_many(self, jobs: list[tuple[list[str], GenParams]], src_lang: str) -> list[list[str]]:
        return self._fb().generate_many(jobs, src_lang)

    def generate_stream(self, jobs: Iterable[tuple[list[str], GenParams]], src_lang: str) -> Iterator[list[str]]:
        return self._fb().generate_stream(jobs, src_lang)

    @property
    def generated_tokens(self) -> int:  # type: ignore[override]
        return self.fallback.generated_tokens if self.fallback is not None else 0

    def models(self) -> dict[str, dict[str, Any]]:
        fb_models = self.fallback.models() if self.fallback is not None else {}
        files = [f.to_dict() for f in self.memory.files]
        return {lang: {"model": MODEL_NAME, "revision": self.memory.digest()[:16], "memory": files,
                       "entries": self.memory.size(lang), "fuzzy": self.fuzzy, "fallback": fb_models.get(lang)}
                for lang in MEMORY_LANGS}

    def close(self) -> None:
        if self.stats:
            log.info("translation memory: %s", dict(sorted(self.stats.items())))
        if self.fallback is not None:
            self.fallback.close()
