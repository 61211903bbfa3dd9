"""align: every Vietnamese line gets a relation and Thai counterpart; th<->en units get their scores."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from ..config import RunConfig
from ..records import Doc, check_relations
from .base import Resources, Step, batches


class EmbeddingPipeline:
    """Embeds the texts of the next chunk of documents in a worker thread while the current one is scored.

    The embedder's native code runs without the GIL, so embedding overlaps with scoring and with the upstream
    steps. Keys being embedded for a pending chunk are not asked for again; at most two chunks are held.
    """

    def __init__(self, aligner: Any, worker: ThreadPoolExecutor):
        self.aligner = aligner
        self.worker = worker
        self.pending: list[tuple[list[Doc], Future, set[str]]] = []
        self.inflight: set[str] = set()

    def submit(self, chunk: list[Doc]) -> None:
        aligner = self.aligner
        texts = [t for d in chunk for t in aligner.texts_for(d)]
        keys = aligner.missing(texts, self.inflight if aligner.cache_size else ())
        aligner.embedder        # the model is loaded in this thread, before the worker uses it
        self.inflight.update(keys)
        self.pending.append((chunk, self.worker.submit(aligner.encode_keys, keys), set(keys)))

    def finish_one(self) -> Iterator[Doc]:
        chunk, fut, keys = self.pending.pop(0)
        vecs = fut.result()
        self.aligner.remember(vecs)
        self.inflight.difference_update(keys)
        for doc in chunk:
            self.aligner.align(doc, vecs)
            check_relations(doc)
            yield doc


class AlignStep(Step):
    """Documents are taken ``docs_per_batch`` at a time through an :class:`EmbeddingPipeline`;
    output order is input order."""

    name = "align"
    resources = Resources(pool="align", loads_model=True)

    def __init__(self, config: RunConfig, mt_is_real: bool = True, docs_per_batch: int = 16):
        from ..align import Aligner

        super().__init__(config)
        self.mt_is_real = mt_is_real
        self.docs_per_batch = docs_per_batch
        self.aligner = Aligner(config.align, use_mt=config.align.use_mt and mt_is_real)

    def spec(self) -> tuple[type, dict[str, Any]]:
        return type(self), {"config": self.config, "mt_is_real": self.mt_is_real,
                            "docs_per_batch": self.docs_per_batch}

    def apply(self, docs: Iterable[Doc]) -> Iterator[Doc]:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mt-embed") as worker:
            flow = EmbeddingPipeline(self.aligner, worker)
            for batch in batches(docs, self.docs_per_batch):
                flow.submit(batch)
                if len(flow.pending) > 1:
                    yield from flow.finish_one()
            while flow.pending:
                yield from flow.finish_one()

    def process(self, doc: Doc) -> Doc:
        self.aligner.align(doc)
        check_relations(doc)
        return doc

    def observe(self, doc: Doc) -> None:
        self.stats.counts.update(f"relation:{v.relation}" for v in doc.vi_lines)

    def signature(self) -> dict[str, Any]:
        return self.aligner.signature()
