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
from .features import SPACE_RUN, has_thai, strip_span

log = logging.getLogger(__name__)

# Kinds kept whole (one unit) unless over the length limit.
WHOLE_KINDS = ("title", "caption_th")
WORD_WINDOW = 2000      # characters tokenised at once when looking for word boundaries


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
        pieces = _split_span(text, u.start, u.end, lambda s: len(s) > max_chars, inner, segmenter)
        starts = {a for a, _ in inner}
        ends = {b for _, b in inner}
        for s, e in pieces:
            n = sum(1 for a, b in inner if a >= s and b <= e) or 1
            # "split": the unit starts or ends inside a sentence
            flags = u.flags if (s in starts and e in ends) else sorted({*u.flags, "split"})
            final.append(UnitSpan(s, e, n, list(flags)))
    return final


def split_long(text: str, too_long: Callable[[str], bool], segmenter=None) -> list[tuple[int, int]]:
    """Split ``text`` into pieces none of which is ``too_long``; return their spans.

    Used for units over a model's input limit (``too_long`` may count model tokens).
    The pieces are contiguous, in order, stripped of edge whitespace and together
    hold every non-whitespace character of ``text``. Cut points are chosen in this
    order: sentence boundaries (from ``segmenter`` when given), spaces, Thai word
    boundaries (PyThaiNLP newmm), and, for a single word still too long, a hard cut
    that never separates a Thai combining mark from its base character.

    Pieces are packed greedily: each piece takes as many consecutive parts as fit.
    ``too_long`` is called O(parts) times on texts no longer than one piece plus a
    part, so the cost is linear in the text length for a fixed limit.
    """
    span = strip_span(text, 0, len(text))
    if span is None:
        return []
    sentences = segmenter.segment(text) if segmenter is not None else None
    return _split_span(text, span[0], span[1], too_long, sentences, None)


def _split_span(text: str, start: int, end: int, too_long: Callable[[str], bool],
                sentences: list[tuple[int, int]] | None, segmenter) -> list[tuple[int, int]]:
    if not too_long(text[start:end]):
        return [(start, end)]
    if (sentences is None or len(sentences) <= 1) and segmenter is not None:
        sentences = [(start + s, start + e) for s, e in segmenter.segment(text[start:end])]
    levels: list[Callable[[int, int], list[tuple[int, int]]]] = []
    if sentences:
        levels.append(lambda a, b: [(s, e) for s, e in sentences if s >= a and e <= b])
    levels.append(lambda a, b: _space_parts(text, a, b))
    levels.append(lambda a, b: _word_parts(text, a, b))
    return _pack(text, start, end, too_long, levels)


def _pack(text: str, start: int, end: int, too_long: Callable[[str], bool],
          levels: list[Callable[[int, int], list[tuple[int, int]]]]) -> list[tuple[int, int]]:
    if not too_long(text[start:end]):
        return [(start, end)]
    if not levels:
        return _hard_cut(text, start, end, too_long)
    cuts = [e for _, e in levels[0](start, end) if start < e < end]
    if not cuts:
        return _pack(text, start, end, too_long, levels[1:])
    # parts that cover [start, end) exactly, cut after each part
    parts: list[tuple[int, int]] = []
    prev = start
    for c in cuts + [end]:
        span = strip_span(text, prev, c)
        if span is not None:
            parts.append(span)
        prev = c
    # make the parts cover [start, end): text between parts is whitespace only
    out: list[tuple[int, int]] = []
    cur: tuple[int, int] | None = None
    for s, e in parts:
        if cur is None:
            cur = (s, e)
            continue
        if not too_long(text[cur[0]:e]):
            cur = (cur[0], e)
            continue
        out.extend(_pack(text, cur[0], cur[1], too_long, levels[1:]))
        cur = (s, e)
    if cur is not None:
        out.extend(_pack(text, cur[0], cur[1], too_long, levels[1:]))
    return out


def _space_parts(text: str, start: int, end: int) -> list[tuple[int, int]]:
    parts = []
    pos = start
    for m in SPACE_RUN.finditer(text, start, end):
        if m.start() > pos:
            parts.append((pos, m.start()))
        pos = m.end()
    if end > pos:
        parts.append((pos, end))
    return parts


def _word_parts(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Thai word spans (newmm), tokenised window by window so long text stays linear."""
    from pythainlp.tokenize import word_tokenize

    parts: list[tuple[int, int]] = []
    pos = start
    while pos < end:
        stop = min(end, pos + WORD_WINDOW)
        toks = word_tokenize(text[pos:stop], engine="newmm", keep_whitespace=True)
        offs = pos
        spans = []
        for t in toks:
            spans.append((offs, offs + len(t)))
            offs += len(t)
        if stop < end and len(spans) > 1:
            spans = spans[:-1]      # the last word of a window may be cut: tokenise it again
        parts.extend(spans)
        pos = spans[-1][1] if spans else stop
    return [p for p in parts if text[p[0]:p[1]].strip()]


def _hard_cut(text: str, start: int, end: int, too_long: Callable[[str], bool]) -> list[tuple[int, int]]:
    """Cut a single unbreakable word into the longest pieces that fit."""
    out: list[tuple[int, int]] = []
    a = start
    while a < end:
        if not too_long(text[a:end]):
            out.append((a, end))
            break
        lo, hi = a + 1, end     # largest b with text[a:b] not too long (at least one character)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if too_long(text[a:mid]):
                hi = mid - 1
            else:
                lo = mid
        b = lo
        while b - 1 > a and _is_mark(text[b]):
            b -= 1                  # do not separate a mark from its base character
        out.append((a, b))
        a = b
    return out


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch) in ("Mn", "Mc", "Me") or ch in "\u0e30\u0e32\u0e33\u0e45"


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
