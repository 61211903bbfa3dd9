"""Text facts shared by the subsystems (one home, so parse, segment, align and review agree).

* line normalisation: :func:`normalize_line` (NFC, invisible characters, exotic spaces);
* Thai digits: :data:`THAI_DIGITS`, :func:`arabic_digits`;
* Buddhist-era years: :data:`BE_OFFSET`, :func:`is_be_year`, :func:`be_to_ce` and back;
* long text: :func:`split_long` (pieces under a limit at the best boundaries), :func:`strip_span`;
* photo credits: :func:`split_credit` (a trailing ``(ภาพ: X)``), :func:`credit_only` (a line that is only one).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

_SPACES = re.compile("[\u00a0\u2000-\u200a\u202f\u205f\u3000]")


def normalize_line(text: str) -> str:
    """NFC, invisible characters removed, exotic spaces made plain, trailing white space stripped."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = _SPACES.sub(" ", text)
    return text.rstrip()


ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
SPACE_RUN = re.compile(r"[\s" + ZERO_WIDTH + r"]+")
_INVISIBLE = re.compile("[" + ZERO_WIDTH + "]")

THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
_TO_ARABIC = str.maketrans(THAI_DIGITS, "0123456789")

#: Buddhist era = Common era + 543
BE_OFFSET = 543
#: the years taken for Buddhist-era years in news text (1857-2157 CE)
BE_YEARS = range(2400, 2701)


def arabic_digits(text: str) -> str:
    """``text`` with Thai digits written as 0-9."""
    return text.translate(_TO_ARABIC)


def is_be_year(value: int) -> bool:
    return value in BE_YEARS


def be_to_ce(year: int) -> int:
    """A Buddhist-era year as a Common-era year; other years unchanged."""
    return year - BE_OFFSET if year > BE_YEARS.start else year


def ce_to_be(year: int) -> int:
    return year + BE_OFFSET


# ----------------------------------------------------------------- credits
_TH_CREDIT_LABEL = r"ภาพถ่าย|ภาพประกอบ|ภาพ|รูปภาพ|รูป|ที่มา|เครดิต|แหล่งที่มา"
_TH_PHOTO_LABEL = r"ภาพถ่าย|ภาพประกอบ|ภาพ|รูปภาพ|รูป"
_VI_CREDIT_LABEL = r"Ảnh minh họa|Ảnh minh hoạ|Ảnh|Nguồn|Theo|Photo|Source"
_WHO = r"[^()\[\]\n]{1,80}?"

CREDIT_BRACKET = re.compile(r"(?P<pre>(?<!\s)\s*(?:[-–—]\s*)?)[(\[]\s*(?P<label>" + _TH_CREDIT_LABEL + "|" + _VI_CREDIT_LABEL
                            + r")\s*[:：]\s*(?P<who>" + _WHO + r")\s*[)\]]\s*[.。]?\s*$", re.IGNORECASE)
CREDIT_DASH = re.compile(r"(?P<pre>(?<!\s)\s*[-–—|]\s*|(?<!\s)\s+)(?P<label>" + _TH_PHOTO_LABEL + "|" + _VI_CREDIT_LABEL
                         + r")\s*[:：]\s*(?P<who>[^:：()\n]{1,60}?)\s*[.]?\s*$", re.IGNORECASE)
CREDIT_ONLY = re.compile(r"^\s*(?:[(\[]\s*)?(?P<label>" + _TH_CREDIT_LABEL + "|" + _VI_CREDIT_LABEL
                         + r")\s*[:：]\s*(?P<who>[^()\[\]\n]{1,80}?)\s*[)\]]?\s*[.]?\s*$", re.IGNORECASE)
_URLISH = re.compile(r"^(?:https?:|www\.|\S+\.(?:vn|com|org|net|th)\b)", re.I)


def split_credit(text: str) -> tuple[tuple[int, int], str, str] | None:
    """``caption (ภาพ: X)`` -> ((0, len(caption)), "X", label); None when the line has no trailing credit."""
    for rx in (CREDIT_BRACKET, CREDIT_DASH):
        m = rx.search(text)
        if not m:
            continue
        who = m.group("who").strip()
        if not who or _URLISH.match(who) or len(who.split()) > 8:
            continue
        if rx is CREDIT_DASH and re.search(r"[\u0e00-\u0e7f]{12,}", who):
            continue   # "ภาพ: <a Thai sentence>" is text, not a credit
        end = m.start()
        content = text[:end].rstrip(" -–—|,")
        if not content.strip():
            return None
        return (0, len(content)), who, m.group("label")
    return None


_VI_THEO = re.compile(r"^\s*(?:[(\[]\s*)?(?P<label>Theo)\s+(?P<who>[A-ZĐ][\w&./-]*(?:\s+[A-ZĐ][\w&./-]*){0,3})\s*[)\]]?\s*\.?\s*$")


def credit_only(text: str) -> tuple[str, str] | None:
    m = CREDIT_ONLY.match(text) or _VI_THEO.match(text)
    if not m:
        return None
    who = m.group("who").strip()
    if _URLISH.match(who) or len(who.split()) > 8:
        return None
    return who, m.group("label")


# ----------------------------------------------------------------- long text
WORD_WINDOW = 2000      # characters tokenised at once when looking for word boundaries


def strip_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    strip = " \t\n\r\f\v\xa0\u3000\u2028\u2029\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u0085" + ZERO_WIDTH
    while start < end and (text[start] in strip or text[start].isspace()):
        start += 1
    while end > start and (text[end - 1] in strip or text[end - 1].isspace()):
        end -= 1
    return (start, end) if end > start else None


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
    return split_span(text, span[0], span[1], too_long, sentences, None)


def split_span(text: str, start: int, end: int, too_long: Callable[[str], bool],
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
