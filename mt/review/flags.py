"""Review flags: what a reviewer should look at in a corpus row, and how bad it is.

Everything here is a pure function of one ``sentences`` row (a dict as in
``corpus.jsonl``); the static report, the review server and the export all use
it, so a row carries the same flags everywhere.

Flags (review categories, not the pipeline's own flags):

``untranslated``     English is empty / missing
``copied``           English equals the Thai (the model copied its input)
``thai_in_en``       Thai letters left in the English
``degenerate``       the translator flagged the row ``degenerate*`` (repetition loops, ...)
``artefact``         the pipeline flagged a stray fragment / truncation (``foreign_fragment``, ...)
``number_mismatch``  numbers differ between Thai and English (Thai digits, Buddhist-era
                     years and thousands separators normalised)
``latin_missing``    a Latin-script name / token in the Thai is missing from the English
``length_ratio``     English length / Thai length is an outlier
``low_align``        the alignment score is below the threshold
``upstream_flag``    any other flag the pipeline set
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from ..text import arabic_digits, be_to_ce, ce_to_be, is_be_year

# Severity weight of each flag; the order of this dict is the display order.
SEVERITY: dict[str, float] = {
    "untranslated": 10.0,
    "degenerate": 9.0,
    "copied": 8.0,
    "thai_in_en": 7.0,
    "number_mismatch": 6.0,
    "artefact": 5.0,
    "latin_missing": 4.0,
    "length_ratio": 4.0,
    "low_align": 3.0,
    "upstream_flag": 1.0,
}
FLAGS = tuple(SEVERITY)

DESCRIPTIONS: dict[str, str] = {
    "untranslated": "English is empty",
    "degenerate": "translator flagged degenerate output (repetition, loop)",
    "copied": "English is a copy of the Thai",
    "thai_in_en": "Thai letters left in the English",
    "number_mismatch": "numbers differ between Thai and English",
    "artefact": "stray fragment / truncation flagged by the pipeline",
    "latin_missing": "Latin-script name in the Thai missing from the English",
    "length_ratio": "English/Thai length ratio is an outlier",
    "low_align": "low alignment score",
    "upstream_flag": "other pipeline flag",
}

# Pipeline flags that mean "artefact" (exact names or prefixes).
ARTEFACT_FLAGS = frozenset({
    "foreign_fragment", "truncated", "artefact", "artifact", "mixed_script", "garbled",
    "html_residue", "url_residue", "markup", "boilerplate", "ad", "encoding",
})
ARTEFACT_PREFIXES = ("artefact", "artifact", "foreign", "truncat", "garbl", "residue")
# Pipeline flags that are bookkeeping, not a reason to look at a row.
INFO_FLAGS = frozenset({"split", "retried", "cached", "merged"})


@dataclass(frozen=True)
class FlagConfig:
    """Thresholds for :func:`row_flags` (all can be overridden per call)."""

    align_threshold: float = 0.5      # scores["align"] below this -> low_align
    ratio_low: float = 0.5            # len(en)/len(th) below this -> length_ratio
    ratio_high: float = 2.2           # ... above this -> length_ratio
    ratio_min_chars: int = 20         # Thai shorter than this: ratio not judged (too noisy)
    short_ratio_low: float = 0.25     # bounds used for short rows (>= 6 chars)
    short_ratio_high: float = 4.0


DEFAULT = FlagConfig()

_THAI_LETTER = re.compile(r"[\u0E01-\u0E4E]")
_NUMBER = re.compile(r"(?<!\d)\d+(?:[.,]\d+)*")
_LATIN_TOKEN = re.compile(r"[A-Za-z\u00C0-\u024F\u1E00-\u1EFF][A-Za-z0-9\u00C0-\u024F\u1E00-\u1EFF]*")
_WORD = re.compile(r"[a-z0-9]+")

_EN_NUMBER_WORDS: dict[str, int | tuple[int, ...]] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90, "hundred": 100, "thousand": 1000, "dozen": 12,
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "once": 1, "twice": 2, "both": 2, "single": 1,
    "pair": 2, "half": (2, 50), "halves": 2, "quarter": (4, 25), "quarters": 4, "thirds": 3,
    "fifths": 5, "century": 100, "decade": 10, "decades": 10,
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
}
_TH_NUMBER_WORDS = {
    "หนึ่ง": 1, "สอง": 2, "สาม": 3, "สี่": 4, "ห้า": 5, "หก": 6, "เจ็ด": 7, "แปด": 8, "เก้า": 9,
    "สิบ": 10, "ยี่สิบ": 20, "ร้อย": 100, "พัน": 1000, "ครึ่ง": 50, "แรก": 1, "เดียว": 1,
    "มกราคม": 1, "กุมภาพันธ์": 2, "มีนาคม": 3, "เมษายน": 4, "พฤษภาคม": 5, "มิถุนายน": 6,
    "กรกฎาคม": 7, "สิงหาคม": 8, "กันยายน": 9, "ตุลาคม": 10, "พฤศจิกายน": 11, "ธันวาคม": 12,
    "ม.ค.": 1, "ก.พ.": 2, "มี.ค.": 3, "เม.ย.": 4, "พ.ค.": 5, "มิ.ย.": 6, "ก.ค.": 7, "ส.ค.": 8,
    "ก.ย.": 9, "ต.ค.": 10, "พ.ย.": 11, "ธ.ค.": 12,
}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def fold(text: str) -> str:
    """Lower-case and strip diacritics (Vietnamese names: "Trần" -> "tran", "Đ" -> "d")."""
    if text.isascii():
        return text.lower()
    text = text.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def _canonical(token: str) -> str:
    """'1,234' -> '1234', '08' -> '8', '3.50' -> '3.5'; '2,5' stays a decimal '2.5'."""
    parts = re.split(r"[.,]", token)
    seps = re.findall(r"[.,]", token)
    if len(parts) > 1 and all(len(p) == 3 for p in parts[1:]) and (
        len(set(seps)) == 1 and (seps[0] == "," or len(parts) > 2)
    ):
        token = "".join(parts)               # thousands separators
    elif len(seps) == 1:
        token = parts[0] + "." + parts[1]    # a decimal point (or comma)
    else:
        token = "".join(parts)
    try:
        value = Decimal(token)
    except InvalidOperation:  # pragma: no cover - regex only yields digits
        return token
    text = format(value.normalize(), "f")
    return text


_TIME = re.compile(r"(?<![\d.,:])(\d{1,2}):(\d{2})(?![\d:])")


def _number_tokens(text: str) -> list[tuple[str, bool]]:
    """(canonical number, hard) pairs. A number glued to a preceding letter ("COP28",
    "km2", "G7") is soft: it may satisfy a match but is never reported as missing."""
    text = arabic_digits(text)
    if ":" in text:
        text = _TIME.sub(r"\1.\2", text)      # 9:30 -> 9.30, as Thai writes 09.30 น.
    out = []
    for m in _NUMBER.finditer(text):
        before = text[m.start() - 1] if m.start() else ""
        out.append((_canonical(m.group(0)), not before.isalpha()))
    return out


def numbers(text: str) -> list[str]:
    """Numbers in ``text`` as canonical strings (Thai digits converted, separators removed)."""
    return [n for n, _ in _number_tokens(text)]


def _word_numbers_en(text: str) -> set[str]:
    out: set[str] = set()
    for w in _WORD.findall(text.lower()):
        value = _EN_NUMBER_WORDS.get(w)
        if value is not None:
            out.update(str(v) for v in (value if isinstance(value, tuple) else (value,)))
    return out


def _word_numbers_th(text: str) -> set[str]:
    return {str(v) for w, v in _TH_NUMBER_WORDS.items() if w in text}


def _year_variants(number: str, *, thai_side: bool) -> set[str]:
    """A Buddhist-era year in the Thai also matches its Gregorian year, and back."""
    if not number.isdigit():
        return {number}
    value = int(number)
    if thai_side and is_be_year(value):
        return {number, str(be_to_ce(value))}
    if not thai_side and is_be_year(ce_to_be(value)):
        return {number, str(ce_to_be(value))}
    return {number}


def number_mismatch(th: str, en: str) -> tuple[list[str], list[str]]:
    """(numbers only in the Thai, numbers only in the English), after normalisation.

    Thai digits, Buddhist-era years (Gregorian + 543), thousands separators, times
    (09.30 / 9:30), number words ("three", "สาม", month names) are reconciled; "1" is
    never reported (it is routinely written "a", "an", "single").
    """
    th_tok = _number_tokens(th)
    en_tok = _number_tokens(en)
    en_soft = {n for n, _ in en_tok} | _word_numbers_en(en) | {"1"}
    th_soft = {n for n, _ in th_tok} | _word_numbers_th(th) | {"1"}
    only_th = [n for n in dict.fromkeys(n for n, hard in th_tok if hard)
               if not (_year_variants(n, thai_side=True) & en_soft)]
    only_en = [n for n in dict.fromkeys(n for n, hard in en_tok if hard)
               if not (_year_variants(n, thai_side=False) & th_soft)]
    return only_th, only_en


def latin_missing(th: str, en: str) -> list[str]:
    """Latin-script tokens (names, acronyms) of the Thai that the English does not contain."""
    tokens = [t for t in dict.fromkeys(_LATIN_TOKEN.findall(th)) if len(t) >= 2]
    if not tokens:
        return []
    en_folded = fold(en)
    en_words = set(re.findall(r"[a-z0-9]+", en_folded))
    missing = []
    for tok in tokens:
        f = fold(tok)
        if f in en_words or f in en_folded:
            continue
        missing.append(tok)
    return missing


def _norm_ws(text: str) -> str:
    return " ".join(text.split())


def _upstream(row: Mapping[str, Any]) -> list[str]:
    flags = row.get("flags") or []
    return [f for f in flags if isinstance(f, str)]


def _is_artefact(flag: str) -> bool:
    return flag in ARTEFACT_FLAGS or flag.startswith(ARTEFACT_PREFIXES)


def flag_details(row: Mapping[str, Any], config: FlagConfig = DEFAULT, **overrides: Any) -> dict[str, str]:
    """Review flags of one row with a short human explanation each, in severity order.

    ``row`` is a ``corpus.jsonl`` object (unknown fields are ignored). A captions row
    works too: its English is ``en_from_th`` (or ``en_from_vi``) and its ``score`` is
    used as the alignment score.
    """
    if overrides:
        config = FlagConfig(**{**config.__dict__, **overrides})
    th = _text(row.get("th"))
    en_value = row.get("en") if "en" in row else (row.get("en_from_th") or row.get("en_from_vi"))
    en = _text(en_value)
    found: dict[str, str] = {}
    upstream = _upstream(row)

    if th.strip():
        if not en.strip():
            found["untranslated"] = "no English text"
        else:
            if _norm_ws(en) == _norm_ws(th):
                found["copied"] = "English == Thai"
            thai_letters = _THAI_LETTER.findall(en)
            if thai_letters and "copied" not in found:
                found["thai_in_en"] = f"{len(thai_letters)} Thai letters in the English"
            only_th, only_en = number_mismatch(th, en)
            if only_th or only_en:
                parts = []
                if only_th:
                    parts.append("Thai only: " + ", ".join(only_th))
                if only_en:
                    parts.append("English only: " + ", ".join(only_en))
                found["number_mismatch"] = "; ".join(parts)
            missing = latin_missing(th, en)
            if missing:
                found["latin_missing"] = "missing: " + ", ".join(missing[:8])
            n_th = len(_norm_ws(th))
            n_en = len(_norm_ws(en))
            if n_th >= 6 and "copied" not in found:
                ratio = n_en / n_th
                if n_th >= config.ratio_min_chars:
                    low, high = config.ratio_low, config.ratio_high
                else:
                    low, high = config.short_ratio_low, config.short_ratio_high
                if ratio < low or ratio > high:
                    found["length_ratio"] = f"en/th = {ratio:.2f} ({n_en}/{n_th} chars)"

    degenerate = [f for f in upstream if f.startswith("degenerate")]
    if degenerate:
        found["degenerate"] = ", ".join(degenerate)
    artefacts = [f for f in upstream if _is_artefact(f)]
    if artefacts:
        found["artefact"] = ", ".join(artefacts)

    score = _align_score(row)
    if score is not None and score < config.align_threshold:
        found["low_align"] = f"align = {score:.2f} < {config.align_threshold:g}"

    for name in FLAGS:                          # the pipeline may set a review flag itself
        if name in upstream and name not in found:
            found[name] = "set by the pipeline"
    known = set(degenerate) | set(artefacts) | set(FLAGS) | INFO_FLAGS
    other = [f for f in upstream if f not in known]
    if other:
        found["upstream_flag"] = ", ".join(other)
    return {name: found[name] for name in FLAGS if name in found}


def _align_score(row: Mapping[str, Any]) -> float | None:
    scores = row.get("scores")
    value = scores.get("align") if isinstance(scores, Mapping) else None
    if value is None and "en" not in row:       # captions row
        value = row.get("score") if row.get("th") else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def row_flags(row: Mapping[str, Any], config: FlagConfig = DEFAULT, **overrides: Any) -> list[str]:
    """Review flags of one corpus row, most severe first (see the module docstring).

    ``overrides`` set :class:`FlagConfig` fields, e.g. ``row_flags(row, align_threshold=0.7)``.
    """
    return list(flag_details(row, config, **overrides))


def severity(flags: list[str], row: Mapping[str, Any] | None = None,
             config: FlagConfig = DEFAULT) -> float:
    """Severity score for worst-first ordering: sum of flag weights, plus how far the
    alignment score falls below the threshold."""
    total = sum(SEVERITY.get(f, 1.0) for f in flags)
    if row is not None and "low_align" in flags:
        score = _align_score(row)
        if score is not None:
            total += max(0.0, config.align_threshold - score) * 4
    return round(total, 3)
