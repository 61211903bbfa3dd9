"""Alignment signals for a (Vietnamese line, Thai line) pair; each returns 0..1 or None (no evidence).

None of them needs machine translation: numbers, Latin-script names (Vietnamese with
diacritics stripped vs. Latin mentions and romanised transliterations in Thai),
photo-credit mapping, length ratio. chrF between English translations is used only
when real MT output exists.
"""
from __future__ import annotations

import math
import re
from difflib import SequenceMatcher

from ..langid import strip_diacritics
from ..text import arabic_digits, be_to_ce, is_be_year

# ---------------------------------------------------------------- numbers
_NUM = re.compile(r"\d+(?:[.,]\d{3})*(?:[.,]\d+)?")


def numbers_of(text: str) -> set[str]:
    out: set[str] = set()
    for tok in _NUM.findall(arabic_digits(text)):
        digits = re.sub(r"[.,](?=\d{3}\b)", "", tok).replace(",", ".")
        out.add(digits.lstrip("0") or "0")
    return out


def _expand_years(nums: set[str]) -> set[str]:
    out = set(nums)
    for n in nums:
        if n.isdigit() and is_be_year(int(n)):    # Buddhist-era year -> CE
            out.add(str(be_to_ce(int(n))))
    return out


def numbers_score(vi: str, th: str) -> float | None:
    a, b = numbers_of(vi), _expand_years(numbers_of(th))
    if not a and not numbers_of(th):
        return None
    b_ce = {x for x in b if not (x.isdigit() and 2400 <= int(x) <= 2700)}
    if not a or not b:
        return 0.0
    hit = len(a & b)
    return 2 * hit / (len(a) + max(len(b_ce), 1))


# ---------------------------------------------------------------- names
_LATIN_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9'-]*")
_VI_WORD = re.compile(r"[^\W\d_]+")
_THAI_CHUNK = re.compile(r"[\u0e00-\u0e7f]+")
_THAI_TITLES = ("สหาย", "นาย", "นาง", "นางสาว", "ท่าน", "ดร.")


def _key(word: str) -> str:
    """A rough phonetic key shared by Vietnamese spelling and Thai romanisation."""
    w = word.lower()
    for a, b in (("ngh", "ng"), ("ph", "f"), ("tr", "ch"), ("th", "t"), ("kh", "k"), ("gh", "g"),
                 ("qu", "kw"), ("gi", "y"), ("x", "s"), ("d", "y"), ("c", "k"), ("uy", "ui"), ("ou", "u")):
        w = w.replace(a, b)
    return w


class NameMatcher:
    """Latin-script names in Thai lines and romanised Thai transliterations vs. Vietnamese names."""

    def __init__(self, romanizer: str = "royin"):
        self.romanizer = romanizer
        self._cache: dict[str, str] = {}

    def romanize(self, chunk: str) -> str:
        if chunk not in self._cache:
            from pythainlp.transliterate import romanize

            try:
                self._cache[chunk] = romanize(chunk, engine=self.romanizer) or ""
            except Exception:  # noqa: BLE001 -- a romanizer failure only removes one signal
                self._cache[chunk] = ""
        return self._cache[chunk]

    def thai_tokens(self, th: str) -> tuple[set[str], list[str]]:
        latin = {t.lower() for t in _LATIN_TOKEN.findall(th) if len(t) >= 2}
        roman: list[str] = []
        for chunk in _THAI_CHUNK.findall(th):
            if len(chunk) > 12:        # long chunks are Thai words, not transliterated names
                continue
            for title in _THAI_TITLES:
                if chunk.startswith(title) and len(chunk) > len(title) + 1:
                    chunk = chunk[len(title):]
            r = self.romanize(chunk)
            if r:
                roman.append(_key(r))
        return latin, roman

    @staticmethod
    def vi_names(vi: str) -> tuple[set[str], list[str]]:
        words = _VI_WORD.findall(vi)
        plain = {strip_diacritics(w).lower() for w in words}
        names = [strip_diacritics(w).lower() for i, w in enumerate(words)
                 if i > 0 and w[:1].isupper() and len(w) >= 2]
        return plain, names

    def score(self, vi: str, th: str) -> float | None:
        """Latin names in the Thai line must occur in the Vietnamese line (evidence both ways);
        Vietnamese names found among romanised Thai words count only as positive evidence,
        since names and titles are often translated rather than transliterated."""
        latin, roman = self.thai_tokens(th)
        plain, names = self.vi_names(vi)
        parts: list[float] = []
        if latin:
            hit = sum(1 for t in latin if t in plain or strip_diacritics(t) in plain)
            parts.append(hit / len(latin))
        roman_hit = 0
        for n in dict.fromkeys(names):
            k = _key(n)
            if any(k == r or (len(k) >= 4 and k in r) or (len(k) >= 3 and SequenceMatcher(None, k, r).ratio() >= 0.75)
                   for r in roman):
                roman_hit += 1
        if roman_hit:
            parts.append(min(1.0, roman_hit / max(1, min(len(set(names)), 3))))
        return sum(parts) / len(parts) if parts else None


# ---------------------------------------------------------------- credits
_LABEL_CLASS = {
    "ภาพ": "photo", "ภาพถ่าย": "photo", "ภาพประกอบ": "photo", "รูป": "photo", "รูปภาพ": "photo",
    "ảnh": "photo", "ảnh minh họa": "photo", "ảnh minh hoạ": "photo", "photo": "photo",
    "ที่มา": "source", "แหล่งที่มา": "source", "เครดิต": "source", "nguồn": "source", "theo": "source", "source": "source",
}
# agencies whose Vietnamese and English/Thai names differ
_AGENCIES = {"ttxvn": "vna", "vna": "vna", "bqt": "baoquocte", "tg&vn": "tgvn", "tgvn": "tgvn"}


def _who_key(who: str) -> str:
    k = re.sub(r"[^a-z0-9/&]+", "", strip_diacritics(who).lower())
    return _AGENCIES.get(k, k)


def credit_score(vi_credit: tuple[str, str] | None, th_credit: tuple[str, str] | None) -> float | None:
    """Credits are ``(who, label)``; ``Nguồn: TTXVN`` = ``ที่มา: VNA``, ``Ảnh: X`` = ``ภาพ: X``."""
    if vi_credit is None or th_credit is None:
        return None
    (vw, vl), (tw, tl) = vi_credit, th_credit
    label = 1.0 if _LABEL_CLASS.get(vl.lower(), vl.lower()) == _LABEL_CLASS.get(tl.lower(), tl.lower()) else 0.0
    a, b = _who_key(vw), _who_key(tw)
    who = 1.0 if a == b else SequenceMatcher(None, a, b).ratio()
    return 0.4 * label + 0.6 * who


# ---------------------------------------------------------------- length
TH_PER_VI_CHARS = 0.91      # median Thai/Vietnamese character ratio of translations (FLORES dev)


def length_score(vi: str, th: str) -> float | None:
    if not vi.strip() or not th.strip():
        return None
    r = len(th) / len(vi) / TH_PER_VI_CHARS
    return math.exp(-(math.log(r) ** 2) / (2 * 0.3 ** 2))


_SENTENCE_END = re.compile(r"[.!?…。]\s*[\"'”)]?\s*$")


def title_like(vi: str) -> bool:
    """A Vietnamese line shaped like a headline: a few words, not a sentence (no final full stop)."""
    return len(vi) <= 160 and 3 <= len(vi.split()) <= 30 and not _SENTENCE_END.search(vi)


def title_length_score(vi: str, th: str) -> float | None:
    """Length agreement of a Vietnamese headline with the Thai title it may shorten (a prefix, an
    abridgement, ``Đại sứ X: ...`` for a longer title): up to three times shorter is as good as the
    same length; longer than the title scores as :func:`length_score`."""
    if not vi.strip() or not th.strip():
        return None
    r = len(th) / len(vi) / TH_PER_VI_CHARS
    if r < 1.0:
        return length_score(vi, th)
    return 1.0 if r <= 3.0 else math.exp(-(math.log(r / 3.0) ** 2) / (2 * 0.3 ** 2))


# ---------------------------------------------------------------- MT
def chrf_score(hyp: str | None, ref: str | None, lo: float, hi: float) -> float | None:
    if not hyp or not ref:
        return None
    from sacrebleu.metrics import CHRF

    c = CHRF().sentence_score(hyp, [ref]).score
    return min(1.0, max(0.0, (c - lo) / (hi - lo)))
