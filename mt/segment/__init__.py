"""Thai sentence segmentation and MT units.

Engines live in :data:`SEGMENTERS` (a :class:`mt.registry.Registry`):

* ``thaiseg`` (default) -- our CRF over candidate spaces, trained on FLORES-200 dev
  paragraphs (see ``mt/segment/DATA.md`` and ``benchmarks/segment.md``);
* ``crfcut`` -- PyThaiNLP's CRF sentence segmenter (TED subtitles);
* ``whitespace`` -- every space ends a sentence.

A segmenter has ``name`` and ``segment(text) -> list[(start, end)]``: character spans
into ``text`` of each sentence, in order, with no whitespace at either edge;
empty or whitespace-only text gives ``[]``.

MT units (corpus rows) are built from sentences by :mod:`mt.segment.units`.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from ..registry import Registry


class Segmenter(Protocol):
    name: str

    def segment(self, text: str) -> list[tuple[int, int]]: ...


SEGMENTERS: Registry[type] = Registry("segmenter")
SEGMENTERS.register("thaiseg", "mt.segment.engines:ThaiSeg")
SEGMENTERS.register("crfcut", "mt.segment.engines:CrfcutSegmenter")
SEGMENTERS.register("whitespace", "mt.segment.engines:WhitespaceSegmenter")


def get_segmenter(name: str) -> Segmenter:
    """A fresh segmenter instance (its model is loaded on the instance).

    Unknown names raise :class:`mt.errors.ConfigError` listing the valid names.
    """
    return SEGMENTERS.get(name)()


def segment_paragraphs(lines: Iterable[str], segmenter: Segmenter) -> Iterator[list[str]]:
    """For each input paragraph (one per line), the list of its sentences as strings."""
    for line in lines:
        line = line.rstrip("\r\n")
        yield [line[s:e] for s, e in segmenter.segment(line)]


__all__ = ["SEGMENTERS", "Segmenter", "get_segmenter", "segment_paragraphs"]
