"""Text facts shared by the subsystems (one home, so parse, segment, align and review agree).

* Thai digits: :data:`THAI_DIGITS`, :func:`arabic_digits`;
* Buddhist-era years: :data:`BE_OFFSET`, :func:`is_be_year`, :func:`be_to_ce` and back.
"""
from __future__ import annotations

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
