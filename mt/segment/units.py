"""MT units: the corpus rows made from the sentences of one Thai line.

Policy (:func:`make_units`):

1. every sentence starts as a unit;
2. a unit shorter than ``min_chars`` (a fragment that translates badly on its own:
   a credit in brackets, "ครับ", a dangling name) merges into its previous unit, or
   into the next one when it is the first, as long as the merged unit stays within
   ``max_chars``;
3. a unit longer than ``max_chars`` is split by :func:`split_long` at the best
   boundaries: sentence boundaries first, then spaces, then Thai word boundaries
   (newmm), and a hard cut only when a single word is still too long.

Units are contiguous spans of the original line: ``line.text[u.start:u.end] == u.th``
for every unit, so each corpus row stays faithful to its Thai text. Unit ids are
``"{doc_id}:{line}:{n}"`` with ``n`` counting from 1 within the line.
"""
from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from ..records import CORPUS_KINDS, Doc, Unit, unit_id
from .config import SegmentConfig
from ..text import split_long  # noqa: F401  (kept here for callers of mt.segment.units)
from ..text import split_span, strip_span
from .features import SPACE_RUN, has_thai

log = logging.getLogger(__name__)

# Kinds kept whole (one unit) unless over the length limit.
WHOLE_KINDS = ("title", "caption_th")


@dataclass
class UnitSpan:
    """A unit before it becomes a :class:`mt.records.Unit`: offsets into the line text.

    ``flags`` holds ``"split"`` when the unit starts or ends inside a sentence (a
    sentence longer than the limit was cut at a space, word or character).
    """

    start: int
    end: int
    n_sentences: int = 1
    flags: list[str] = field(default_factory=list)


def make_units(text: str, sentence_spans: list[tuple[int, int]], min_chars: int, max_chars: int,
               segmenter=None) -> list[UnitSpan]:
    """Turn sentence spans of ``text`` into MT unit spans (see the module docstring).

    ``sentence_spans`` must be in order and not overlap. ``max_chars <= 0`` disables
    splitting. Returns spans in order; they never overlap and each is stripped of
    whitespace at both edges.
    """
    units = [UnitSpan(s, e, 1) for s, e in sentence_spans if e > s]
    if not units:
        return []

    def fits(a: UnitSpan, b: UnitSpan) -> bool:
        return max_chars <= 0 or b.end - a.start <= max_chars

    def merged(a: UnitSpan, b: UnitSpan) -> UnitSpan:
        return UnitSpan(a.start, b.end, a.n_sentences + b.n_sentences, sorted({*a.flags, *b.flags}))

    # short fragments merge into the previous unit ...
    out: list[UnitSpan] = []
    for u in units:
        if out and u.end - u.start < min_chars and fits(out[-1], u):
            out[-1] = merged(out[-1], u)
        else:
            out.append(u)
    # ... or into the next one when they come first (or the previous one was full)
    units, out = out, []
    i = 0
    while i < len(units):
        u = units[i]
        if u.end - u.start < min_chars and i + 1 < len(units) and fits(u, units[i + 1]):
            units[i + 1] = merged(u, units[i + 1])
        else:
            out.append(u)
        i += 1
    if max_chars <= 0:
        return out
    # long units are split
    final: list[UnitSpan] = []
    for u in out:
        if u.end - u.start <= max_chars:
            final.append(u)
            continue
        inner = [(s, e) for s, e in sentence_spans if s >= u.start and e <= u.end]
        pieces = split_span(text, u.start, u.end, lambda s: len(s) > max_chars, inner, segmenter)
        starts = {a for a, _ in inner}
        ends = {b for _, b in inner}
        for s, e in pieces:
            n = sum(1 for a, b in inner if a >= s and b <= e) or 1
            # "split": the unit starts or ends inside a sentence
            flags = u.flags if (s in starts and e in ends) else sorted({*u.flags, "split"})
            final.append(UnitSpan(s, e, n, list(flags)))
    return final


def _corpus_contents(doc: Doc):
    """``(line, start, end, content)`` of every corpus line of ``doc`` whose content has Thai letters."""
    for line in doc.lines:
        if line.kind not in CORPUS_KINDS:
            continue
        cs, ce = line.info.get("content", [0, len(line.text)])
        cs, ce = max(0, int(cs)), min(len(line.text), int(ce))
        content = line.text[cs:ce]
        if has_thai(content):
            yield line, cs, ce, content


def segment_inputs(doc: Doc) -> list[str]:
    """The texts :func:`build_units` hands to ``segmenter.segment`` for ``doc`` (to batch them beforehand)."""
    return [content for line, _, _, content in _corpus_contents(doc) if line.kind not in WHOLE_KINDS]


def build_units(doc: Doc, segmenter, cfg: SegmentConfig) -> None:
    """Append the MT units of every corpus line of ``doc`` to ``doc.units``.

    For each line whose kind is in :data:`mt.records.CORPUS_KINDS`, the content span
    ``line.info["content"]`` (default: the whole line; the parser leaves photo credits
    out of it) is segmented into sentences -- titles and Thai captions stay one unit
    unless over ``cfg.max_unit_chars`` -- and the sentences become units by
    :func:`make_units`. Content without Thai letters gives no unit. Offsets are into
    ``line.text``.
    """
    for line, cs, ce, content in _corpus_contents(doc):
        if line.kind in WHOLE_KINDS:
            whole = strip_span(line.text, cs, ce)
            spans = [whole] if whole else []
        else:
            spans = [(cs + s, cs + e) for s, e in segmenter.segment(content)]
        for n, u in enumerate(make_units(line.text, spans, cfg.min_unit_chars, cfg.max_unit_chars, segmenter),
                              start=1):
            doc.units.append(Unit(
                id=unit_id(doc.doc_id, line.line, line.block, n),
                line=line.line,
                block=line.block,
                kind=line.kind,
                start=u.start,
                end=u.end,
                th=line.text[u.start:u.end],
                n_sentences=u.n_sentences,
                flags=list(u.flags),
            ))
