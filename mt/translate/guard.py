"""Degeneration guard: is a machine translation obviously broken?

Detections (flags) on an English output for a Thai / Vietnamese source:

* ``degenerate:empty``  -- nothing (no letter or digit) came out for a source that has letters;
* ``degenerate:copy``   -- the output is (nearly) the source, which still carries source-language letters;
* ``degenerate:script`` -- the output contains letters of another script (e.g. Thai in English);
* ``degenerate:repeat`` -- a token / n-gram / character loop, or very low n-gram diversity;
* ``degenerate:long``   -- the output is far longer than any translation of the source could be.

:func:`check` returns the flags and a score ``guard`` in [0, 1] (1 = nothing suspicious,
0 = certainly broken); the flags are the decisions, the score is kept for review.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher

GUARD_VERSION = 2

_THAI = re.compile(r"[\u0E00-\u0E7F]")
# letters only Vietnamese uses among Latin-script languages (d-stroke, horn / breve vowels, dot-below tones ...)
_VI = re.compile(r"[ăâđêôơưĂÂĐÊÔƠƯạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹẠẢẤẦẨẪẬẮẰẲẴẶẸẺẼẾỀỂỄỆỈỊỌỎỐỒỔỖỘỚỜỞỠỢỤỦỨỪỬỮỰỲỴỶỸ]")
_CHAR_LOOP = re.compile(r"(\S.{0,19}?)\1{4,}")
_WORD = re.compile(r"\w+", re.UNICODE)

COPY_SIMILARITY = 0.8
SCRIPT_FRACTION = 0.1
MIN_DISTINCT_TRIGRAMS = 0.5
LONG_RATIO = 3.0
LONG_SLACK = 30


@dataclass
class GuardResult:
    flags: list[str] = field(default_factory=list)
    score: float = 1.0
    details: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.flags


def _has_letters(s: str) -> bool:
    return any(ch.isalpha() for ch in s)


def _source_marked(source: str, src_lang: str) -> bool:
    """Does the source contain letters that cannot appear in a correct English output?"""
    if src_lang == "th":
        return bool(_THAI.search(source))
    if src_lang == "vi":
        return len(_VI.findall(source)) >= 2
    return False


def _is_script_char(ch: str) -> bool:
    """A letter or a (non-generic) combining mark: Thai vowel signs count, Latin accents do not."""
    cat = unicodedata.category(ch)
    if cat.startswith("L"):
        return True
    return cat.startswith("M") and not (0x0300 <= ord(ch) <= 0x036F)


def foreign_script_fraction(text: str) -> float:
    """Fraction of letters / signs that are not Latin script (for an English target)."""
    letters = [ch for ch in text if _is_script_char(ch)]
    if not letters:
        return 0.0
    foreign = 0
    for ch in letters:
        if ord(ch) < 0x250:          # ASCII + Latin-1 + Latin Extended-A/B
            continue
        name = unicodedata.name(ch, "")
        if not name.startswith("LATIN"):
            foreign += 1
    return foreign / len(letters)


def _consecutive_repeat(tokens: list[str]) -> int:
    """Longest run of an n-gram (n = 1..6) repeated back to back, in repetitions."""
    best = 1
    n_tok = len(tokens)
    for n in range(1, 7):
        if 2 * n > n_tok:
            break
        i = 0
        while i + 2 * n <= n_tok:
            reps = 1
            j = i + n
            while j + n <= n_tok and tokens[j:j + n] == tokens[i:i + n]:
                reps += 1
                j += n
            best = max(best, reps if n > 1 else reps - 1)   # a word said twice is normal; count extra repeats
            i = j if reps > 1 else i + 1
    return best


def repetition(text: str) -> tuple[bool, float]:
    """(loop found, badness in [0, 1]) for an output text."""
    words = [w.casefold() for w in _WORD.findall(text)]
    loop = False
    badness = 0.0
    m = _CHAR_LOOP.search(text)
    if m and any(_is_script_char(ch) for ch in m.group(1)):
        loop = True
    if words and _consecutive_repeat(words) >= 3:
        loop = True
    if len(words) >= 12:
        grams = [tuple(words[i:i + 3]) for i in range(len(words) - 2)]
        distinct = len(set(grams)) / len(grams)
        badness = max(badness, 1.0 - distinct)
        if distinct < MIN_DISTINCT_TRIGRAMS:
            loop = True
    if loop:
        badness = 1.0
    return loop, badness


def check(source: str, output: str, src_lang: str) -> GuardResult:
    """Guard one (source, English output) pair."""
    res = GuardResult()
    bad: dict[str, float] = {}
    src = source.strip()
    out = output.strip()
    if not any(ch.isalnum() or _is_script_char(ch) for ch in out):
        if _has_letters(src):
            res.flags.append("degenerate:empty")
            bad["empty"] = 1.0
        res.details = bad
        res.score = 1.0 - max(bad.values(), default=0.0)
        return res
    # copy: only for sources with source-language letters and (Vietnamese) a real sentence, since a
    # copied name ("Trần Lưu Quang") can be a correct translation
    if _source_marked(src, src_lang) and (src_lang != "vi" or len(src.split()) >= 4):
        sim = SequenceMatcher(None, src.casefold(), out.casefold(), autojunk=False).ratio()
        if sim >= COPY_SIMILARITY:
            res.flags.append("degenerate:copy")
            bad["copy"] = 1.0
    frac = foreign_script_fraction(out)
    bad["script"] = frac
    n_foreign = frac * sum(_is_script_char(ch) for ch in out)
    if frac > SCRIPT_FRACTION and n_foreign >= 2:
        res.flags.append("degenerate:script")
        bad["script"] = max(frac, 0.5)
    loop, rep_bad = repetition(out)
    bad["repeat"] = rep_bad
    if loop:
        res.flags.append("degenerate:repeat")
    if len(out) > LONG_RATIO * len(src) + LONG_SLACK:
        res.flags.append("degenerate:long")
        bad["long"] = 1.0
    res.details = bad
    res.score = round(1.0 - max(bad.values(), default=0.0), 4)
    if res.flags:
        res.score = min(res.score, 0.5)
    return res
