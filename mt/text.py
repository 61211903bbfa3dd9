"""Text facts shared by the subsystems (one home, so parse, segment, align and review agree).

* Thai digits: :data:`THAI_DIGITS`, :func:`arabic_digits`;
* Buddhist-era years: :data:`BE_OFFSET`, :func:`is_be_year`, :func:`be_to_ce` and back;
* photo credits: :func:`split_credit` (a trailing ``(ภาพ: X)``), :func:`credit_only` (a line that is only one).
"""
from __future__ import annotations

import re

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
