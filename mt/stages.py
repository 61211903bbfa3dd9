"""The named pipeline stages: parse -> segment -> translate -> align.

A stage is a callable that takes an iterable of :class:`~mt.records.Doc` and
yields ``Doc``. *What* a stage does lives here and in the subsystem packages;
*where* it runs (a local loop, Ray Data batches) lives in :mod:`mt.executors`.
Engines (segmenter, translator, embedder) are created once per stage instance
and kept on it -- there is no global model cache.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from .config import RunConfig
from .records import Doc

log = logging.getLogger(__name__)


class Stage:
    name = "stage"

    def __call__(self, docs: Iterable[Doc]) -> Iterator[Doc]:
        for doc in docs:
            yield self.process(doc)

    def process(self, doc: Doc) -> Doc:  # pragma: no cover - overridden
        raise NotImplementedError

    def signature(self) -> dict[str, Any]:
        return {}


class ParseStage(Stage):
    """Type every line of a page (title, body, caption_vi, chrome, ...) and fill the document fields."""

    name = "parse"

    def __init__(self) -> None:
        from .parse import PageParser

        self.parser = PageParser()  # builds its language identifier once for every page

    def process(self, doc: Doc) -> Doc:
        self.parser.parse(doc)
        doc.stages.append(self.name)
        return doc


class SegmentStage(Stage):
    """Split Thai lines into sentences and sentences into MT units (corpus rows)."""

    name = "segment"

    def __init__(self, config: RunConfig):
        from .segment import get_segmenter

        self.config = config.segment
        self.docs_per_batch = config.executor.docs_per_batch
        self.segmenter = get_segmenter(self.config.engine)

    def __call__(self, docs: Iterable[Doc]) -> Iterator[Doc]:
        buffer: list[Doc] = []      # the segmenter sees many documents' lines at once (batched encoder)
        for doc in docs:
            buffer.append(doc)
            if len(buffer) >= self.docs_per_batch:
                yield from self.process_batch(buffer)
                buffer = []
        yield from self.process_batch(buffer)

    def process(self, doc: Doc) -> Doc:
        return self.process_batch([doc])[0]

    def process_batch(self, docs: list[Doc]) -> list[Doc]:
        from .segment import Prepared
        from .segment.units import build_units, segment_inputs

        segmenter = Prepared(self.segmenter, [t for d in docs for t in segment_inputs(d)])
        for doc in docs:
            build_units(doc, segmenter, self.config)
            doc.stages.append(self.name)
        return docs

    def signature(self) -> dict[str, Any]:
        return {"segmenter": self.config.engine}


class TranslateStage(Stage):
    """Translate every unit (th -> en) and every Vietnamese line (vi -> en).

    Documents are buffered ``docs_per_batch`` at a time so that the translator
    sees large batches it can sort by length; output order is input order.
    """

    name = "translate"

    def __init__(self, config: RunConfig, translator: Any = None):
        self.config = config
        self._translator = translator

    @property
    def translator(self) -> Any:
        if self._translator is None:
            from .translate import load_translator

            # the local executor shows a document bar; the translator's own bar only when asked for
            self._translator = load_translator(self.config.translate, progress=False if self.config.quiet else None)
        return self._translator

    def __call__(self, docs: Iterable[Doc]) -> Iterator[Doc]:
        buffer: list[Doc] = []
        for doc in docs:
            buffer.append(doc)
            if len(buffer) >= self.config.executor.docs_per_batch:
                yield from self.translate_batch(buffer)
                buffer = []
        if buffer:
            yield from self.translate_batch(buffer)

    def translate_batch(self, docs: list[Doc]) -> list[Doc]:
        th_items = [(u, u.th) for d in docs for u in d.units]
        vi_items = [(v, v.vi) for d in docs for v in d.vi_lines]
        if th_items:
            for (unit, _), res in zip(th_items, self.translator.translate([t for _, t in th_items], "th")):
                unit.en = res.text
                unit.flags.extend(f for f in res.flags if f not in unit.flags)
                unit.scores.update(res.scores)
        if vi_items:
            for (vline, _), res in zip(vi_items, self.translator.translate([t for _, t in vi_items], "vi")):
                vline.en_from_vi = res.text
                vline.flags.extend(f for f in res.flags if f not in vline.flags)
                vline.scores.update(res.scores)
        for d in docs:
            d.stages.append(self.name)
        return docs

    def signature(self) -> dict[str, Any]:
        return self.translator.signature()

    def close(self) -> None:
        if self._translator is not None and hasattr(self._translator, "close"):
            self._translator.close()


class AlignStage(Stage):
    """Give every Vietnamese line a relation and Thai counterpart; score th<->en units.

    Documents are taken ``docs_per_batch`` at a time: the texts of a chunk that the aligner
    has not embedded yet are embedded in one worker thread (the embedder's native code runs
    without the GIL) while this thread scores the previous chunk and the upstream stages
    prepare the next one. Output order is input order; at most two chunks are held.
    """

    name = "align"

    def __init__(self, config: RunConfig, mt_is_real: bool = True):
        from .align import Aligner

        self.chunk = config.executor.docs_per_batch
        self.aligner = Aligner(config.align, use_mt=config.align.use_mt and mt_is_real)

    def __call__(self, docs: Iterable[Doc]) -> Iterator[Doc]:
        from concurrent.futures import Future, ThreadPoolExecutor

        aligner = self.aligner
        pending: list[tuple[list[Doc], Future, set[str]]] = []
        inflight: set[str] = set()  # keys being embedded for a pending chunk

        def submit(chunk: list[Doc]) -> None:
            # keys being embedded for the previous chunk are in the cache by the time this chunk is scored
            texts = [t for d in chunk for t in aligner.texts_for(d)]
            keys = aligner.missing(texts, inflight if aligner.cache_size else ())
            aligner.embedder        # the model is loaded in this thread, before the worker uses it
            inflight.update(keys)
            pending.append((chunk, worker.submit(aligner.encode_keys, keys), set(keys)))

        def finish() -> Iterator[Doc]:
            chunk, fut, keys = pending.pop(0)
            vecs = fut.result()
            aligner.remember(vecs)
            inflight.difference_update(keys)
            for doc in chunk:
                aligner.align(doc, vecs)
                doc.stages.append(self.name)
                yield doc

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mt-embed") as worker:
            buffer: list[Doc] = []
            for doc in docs:
                buffer.append(doc)
                if len(buffer) >= self.chunk:
                    submit(buffer)
                    buffer = []
                    if len(pending) > 1:
                        yield from finish()
            if buffer:
                submit(buffer)
            while pending:
                yield from finish()

    def process(self, doc: Doc) -> Doc:
        self.aligner.align(doc)
        doc.stages.append(self.name)
        return doc

    def signature(self) -> dict[str, Any]:
        return self.aligner.signature()
