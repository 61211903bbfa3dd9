"""The translator front end: everything around an engine's ``generate``.

``Translator.translate(texts, src_lang)`` does, in order:

1. normalise sources (NFC, collapsed whitespace); empty sources give empty results;
2. de-duplicate: identical sources are translated once per call, and once per run
   (persistent SQLite cache, or an in-memory memo when the cache is disabled);
   An engine may know some results without generating (:meth:`~mt.translate.base.Engine.lookup`,
   a translation memory): those are guarded (no retry) and not cached;
3. split sources longer than the model's input limit with
   :func:`mt.text.split_long` (never truncate), translate the pieces and
   join them with a space (flag ``split``);
4. batch pieces by length (:func:`~mt.translate.batching.length_batches`) within
   ``batch_tokens`` (default: the engine's preferred size), cap each output by its own source
   length, stream the batches through the engine (:meth:`~mt.translate.base.Engine.generate_stream`);
5. guard every output (:mod:`mt.translate.guard`), retry degenerate ones once with a
   repetition penalty and no repeated trigrams, keep the better output and flag what is
   still degenerate (flags ``retried``, ``degenerate:*``; score ``guard``);
6. write finished rows to the cache after every batch (one commit per batch);
7. return results in input order.
"""
from __future__ import annotations

import logging
import re
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from .base import Engine, GenParams, Translation
from .batching import length_batches
from .cache import TranslationCache, cache_key
from .config import TranslateConfig
from .guard import GUARD_VERSION, check
from ..text import split_long as seg_split_long

log = logging.getLogger(__name__)

_WS = re.compile(r"\s+")
MEMO_LIMIT = 200_000
TARGET_LANG = "en"
RETRY_REPETITION_PENALTY = 1.3
RETRY_NO_REPEAT_NGRAM = 3


def normalise(text: str) -> str:
    return _WS.sub(" ", unicodedata.normalize("NFC", text)).strip()


def split_long(text: str, too_long: Callable[[str], bool]) -> list[str]:
    """Pieces of ``text`` none of which is ``too_long`` (cut at the best boundaries, see
    :func:`mt.text.split_long`), stripped, in order."""
    pieces = [text[a:b].strip() for a, b in seg_split_long(text, too_long)]
    return [p for p in pieces if p] or [text]


class Translator:
    """A loaded translation model behind a uniform interface (see module docstring)."""

    def __init__(self, cfg: TranslateConfig, engine: Engine, progress: bool | None = None):
        self.cfg = cfg
        self.engine = engine
        self.is_real = bool(engine.is_real)
        self.params = GenParams(beam_size=cfg.beam_size, max_new_tokens=cfg.max_new_tokens)
        self.cache = TranslationCache(cfg.cache) if cfg.cache else None
        self._memo: dict[str, Translation] = {}
        if progress is None:
            progress = cfg.progress
        if progress is None:
            progress = sys.stderr.isatty()
        self._progress_on = bool(progress)
        self._bar: Any = None
        self._models = engine.models()
        self.stats = {"sources": 0, "unique": 0, "cached": 0, "translated": 0, "engine_calls": 0,
                      "retried": 0, "degenerate": 0, "split": 0, "target_tokens": 0}
        self._context = {
            "engine": engine.name,
            "compute_type": engine.compute_type,
            "models": self._models,
            "tgt": TARGET_LANG,
            "decoding": self.params.to_dict(),
            "max_length_ratio": cfg.max_length_ratio,
            "max_input_tokens": cfg.max_input_tokens,
            "guard": [GUARD_VERSION, cfg.guard, cfg.retry_degenerate],
        }
        if cfg.target_vocab != "full":      # (absent when "full": cache keys of earlier runs stay valid)
            self._context["target_vocab"] = cfg.target_vocab

    # -- public API ---------------------------------------------------------------------------
    def signature(self) -> dict[str, Any]:
        th = self._models.get("th", {})
        return {
            "preset": self.cfg.preset if self.engine.uses_model else None,
            "model": th.get("model"),
            "revision": th.get("revision"),
            "models": self._models,
            "engine": self.engine.name,
            "compute_type": self.engine.compute_type,
            "device": self.engine.device,
            "decoding": {**self.params.to_dict(), "max_length_ratio": self.cfg.max_length_ratio,
                         "max_input_tokens": self.cfg.max_input_tokens, "target_vocab": self.cfg.target_vocab},
            "guard": {"version": GUARD_VERSION, "enabled": self.cfg.guard, "retry": self.cfg.retry_degenerate},
            "is_real": self.is_real,
            "note": None if self.is_real else "random-weight test model: outputs are NOT translations",
        }

    def translate(self, texts: list[str], src_lang: str) -> list[Translation]:
        texts = list(texts)
        results: list[Translation | None] = [None] * len(texts)
        norm = [normalise(t or "") for t in texts]
        self.stats["sources"] += len(texts)
        bar = self._progress(len(texts))

        # 1. empty sources and de-duplication
        by_source: dict[str, list[int]] = {}
        for i, n in enumerate(norm):
            if not n:
                results[i] = Translation(text="", flags=[], scores={})
            else:
                by_source.setdefault(n, []).append(i)
        if bar is not None and len(by_source) < len(texts):
            bar.update(sum(1 for r in results if r is not None))
        uniq = list(by_source)
        self.stats["unique"] += len(uniq)

        def finish(source: str, tr: Translation) -> None:
            for i in by_source[source]:
                results[i] = Translation(text=tr.text, flags=list(tr.flags), scores=dict(tr.scores))
            if bar is not None:
                bar.update(len(by_source[source]))

        # 2. cache / memo
        keys = {s: cache_key(self._context, src_lang, s) for s in uniq}
        known: dict[str, Translation] = {}
        for s in uniq:
            if keys[s] in self._memo:
                known[s] = self._memo[keys[s]]
        if self.cache is not None:
            missing = [keys[s] for s in uniq if s not in known]
            got = self.cache.get_many(missing)
            for s in uniq:
                if s not in known and keys[s] in got:
                    known[s] = got[keys[s]]
        for s, tr in known.items():
            finish(s, tr)
        self.stats["cached"] += len(known)
        todo = [s for s in uniq if s not in known]
        log.debug("translate %s: %d texts, %d unique, %d from the cache, %d for the engine", src_lang, len(texts),
                  len(uniq), len(known), len(todo))
        if todo:
            todo = self._look_up(todo, src_lang, finish)
        if todo:
            self._translate_missing(todo, src_lang, keys, finish)
        return [r if r is not None else Translation(text="") for r in results]

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self.cache is not None:
            self.cache.close()
        self.engine.close()

    def __enter__(self) -> "Translator":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- internals ----------------------------------------------------------------------------
    def _progress(self, n: int) -> Any:
        if not self._progress_on:
            return None
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=0, unit="sent", desc="translate", dynamic_ncols=True, file=sys.stderr)
        self._bar.total += n
        self._bar.refresh()
        return self._bar

    def _look_up(self, todo: list[str], src_lang: str, finish: Callable[[str, Translation], None]) -> list[str]:
        """Finish the sources the engine knows without generating (:meth:`Engine.lookup`: a translation
        memory), guarded but not retried or cached; return the others."""
        found = self.engine.lookup(todo, src_lang)
        if not found:
            return todo
        self.stats["memory"] = self.stats.get("memory", 0) + len(found)
        untranslated = sum(tr.text is None for tr in found.values())
        if untranslated:
            self.stats["untranslated"] = self.stats.get("untranslated", 0) + untranslated
        for s, tr in found.items():
            if self.cfg.guard and tr.text is not None:
                v = check(s, tr.text, src_lang)
                tr = Translation(text=tr.text, flags=tr.flags + [f for f in v.flags if f not in tr.flags],
                                 scores={**tr.scores, "guard": v.score})
                self.stats["degenerate"] += bool(v.flags)
            finish(s, tr)
        return [s for s in todo if s not in found]

    def _translate_missing(self, todo: list[str], src_lang: str, keys: dict[str, str],
                           finish: Callable[[str, Translation], None]) -> None:
        engine = self.engine
        limit = engine.max_input_tokens(src_lang)
        lengths = engine.token_lengths(todo, src_lang)

        def too_long(piece: str) -> bool:
            return engine.token_lengths([piece], src_lang)[0] > limit

        # pieces: unique texts actually sent to the engine
        pieces_of: dict[str, list[str]] = {}
        piece_len: dict[str, int] = {}
        for s, n in zip(todo, lengths):
            if n > limit:
                parts = split_long(s, too_long)
                self.stats["split"] += 1
            else:
                parts = [s]
                piece_len[s] = n
            pieces_of[s] = parts
        extra = [p for parts in pieces_of.values() for p in parts if p not in piece_len]
        extra = list(dict.fromkeys(extra))
        for p, n in zip(extra, engine.token_lengths(extra, src_lang)):
            piece_len[p] = n
        pieces = list(piece_len)
        waiting: dict[str, list[str]] = {}          # piece -> sources that need it
        for s, parts in pieces_of.items():
            for p in dict.fromkeys(parts):           # a piece repeated inside one source counts once
                waiting.setdefault(p, []).append(s)
        done: dict[str, Translation] = {}
        remaining = {s: len(set(parts)) for s, parts in pieces_of.items()}

        # length buckets within batch_tokens, streamed through the engine (an engine with parallel
        # translators keeps several batches in flight); every text has its own output cap, so greedy
        # outputs do not depend on the batching. Finished rows are committed after every batch.
        batches = [[pieces[i] for i in b]
                   for b in length_batches([piece_len[p] for p in pieces], self._batch_tokens())]
        jobs = [(batch, self._params_for([piece_len[p] for p in batch])) for batch in batches]
        tokens_before = engine.generated_tokens     # retries included: counted once, after the loop
        t_batch = time.perf_counter()
        for n, ((batch, params), outs) in enumerate(zip(jobs, engine.generate_stream(jobs, src_lang)), 1):
            log.debug("batch %d/%d (%s): %d pieces, %.2f s", n, len(jobs), src_lang, len(batch),
                      time.perf_counter() - t_batch)
            t_batch = time.perf_counter()
            self.stats["engine_calls"] += 1
            self.stats["translated"] += len(batch)
            finished: list[tuple[str, str, Translation]] = []
            for p, tr in zip(batch, self._checked(batch, params, outs, src_lang)):
                done[p] = tr
                for s in waiting[p]:
                    remaining[s] -= 1
                    if remaining[s] == 0:
                        full = self._assemble(pieces_of[s], done)
                        finished.append((keys[s], s, full))
            if self.cache is not None:
                self.cache.put_many(finished)      # one committed transaction per batch
            for key, s, full in finished:
                if len(self._memo) < MEMO_LIMIT:
                    self._memo[key] = full
                finish(s, full)
        self.stats["target_tokens"] += engine.generated_tokens - tokens_before

    def _assemble(self, parts: list[str], done: dict[str, Translation]) -> Translation:
        if len(parts) == 1:
            return done[parts[0]]
        trs = [done[p] for p in parts]
        flags = ["split"]
        for tr in trs:
            flags.extend(f for f in tr.flags if f not in flags)
        guards = [tr.scores.get("guard") for tr in trs if tr.scores.get("guard") is not None]
        scores: dict[str, float | None] = {"guard": min(guards)} if guards else {}
        return Translation(text=" ".join(tr.text for tr in trs if tr.text), flags=flags, scores=scores)

    def _params_for(self, src_lens: list[int]) -> GenParams:
        """A batch's parameters: each text's output is capped by its own source length
        (``max_length_ratio`` x tokens + 16, at most ``max_new_tokens``), so what a text gets
        does not depend on the batch it landed in (a resumed run batches differently)."""
        caps = tuple(max(1, min(self.params.max_new_tokens, int(self.cfg.max_length_ratio * n) + 16))
                     for n in src_lens)
        return replace(self.params, max_new_tokens=max(caps), caps=caps)

    def _batch_tokens(self) -> int:
        """``translate.batch_tokens``, or the engine's preferred batch size when it is not set."""
        return self.cfg.batch_tokens or self.engine.batch_tokens

    def _checked(self, batch: list[str], params: GenParams, outs: list[str], src_lang: str) -> list[Translation]:
        """Guard one batch's outputs; retry the degenerate ones once (penalised) and keep the better output."""
        if not self.cfg.guard:
            return [Translation(text=o) for o in outs]
        verdicts = [check(src, out, src_lang) for src, out in zip(batch, outs)]
        bad = [i for i, v in enumerate(verdicts) if not v.ok]
        retried: dict[int, tuple[str, Any]] = {}
        if self.cfg.retry_degenerate and bad:
            # one retry with repetition penalty + no repeated trigrams, same beam (greedy stays greedy:
            # cheap, and both engines agree on penalised greedy search; they differ on penalised beams)
            retry = replace(params, repetition_penalty=RETRY_REPETITION_PENALTY,
                            no_repeat_ngram_size=RETRY_NO_REPEAT_NGRAM)
            log.debug("retrying %d degenerate output(s) of a batch of %d", len(bad), len(batch))
            (again,) = self.engine.generate_many([([batch[i] for i in bad], retry.subset(bad))], src_lang)
            self.stats["engine_calls"] += 1
            self.stats["retried"] += len(bad)
            for i, out in zip(bad, again):
                retried[i] = (out, check(batch[i], out, src_lang))
        results: list[Translation] = []
        for i, (out, v) in enumerate(zip(outs, verdicts)):
            flags: list[str] = []
            if i in retried:
                flags.append("retried")
                out2, v2 = retried[i]
                if v2.score >= v.score:
                    out, v = out2, v2
            flags.extend(v.flags)
            if v.flags:
                self.stats["degenerate"] += 1
            results.append(Translation(text=out, flags=flags, scores={"guard": v.score}))
        return results
