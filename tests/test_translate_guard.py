"""Degeneration guard on crafted (source, output) pairs."""
from __future__ import annotations

import pytest

from mt.translate.guard import check, foreign_script_fraction, repetition

TH = "กระทรวงการต่างประเทศจัดการประชุมที่กรุงฮานอย"
VI = "Bộ Ngoại giao gắn tổ chức sắp xếp bộ máy với đẩy mạnh chuyển đổi số"


@pytest.mark.parametrize("source, output, lang", [
    (TH, "The Ministry of Foreign Affairs held a meeting in Hanoi.", "th"),
    (VI, "The Ministry of Foreign Affairs links restructuring with digital transformation.", "vi"),
    ("COVID-19", "COVID-19", "th"),                                  # copying a Latin name is fine
    ("Trần Lưu Quang", "Tran Luu Quang", "vi"),
    ("Trần Lưu Quang", "Trần Lưu Quang", "vi"),                       # a copied name is a translation
    ("ผู้แทนพิเศษ", "Deputy Prime Minister Tran Luu Quang attended.", "th"),
    ("ปี 2566", "In 2023, the figure rose to 1,000,000.", "th"),
    ("ภาพ: VGP", "Photo: VGP", "th"),
    ("เขาพูดว่า ดีมาก ดีมาก", "He said: very good, very good.", "th"),   # a phrase said twice is normal
])
def test_clean_translations_pass(source: str, output: str, lang: str):
    res = check(source, output, lang)
    assert res.flags == [] and res.score >= 0.9


@pytest.mark.parametrize("source, output, lang, flag", [
    (TH, "", "th", "degenerate:empty"),
    (TH, " ... ", "th", "degenerate:empty"),
    (TH, TH, "th", "degenerate:copy"),
    (TH, TH, "th", "degenerate:script"),
    (VI, VI, "vi", "degenerate:copy"),
    (TH, "The Ministry กระทรวงการต่างประเทศ held", "th", "degenerate:script"),
    (TH, "cืืืืืืืืืืืืืืืืืืื", "th", "degenerate:script"),
    (TH, "The ministry ministry ministry ministry held a meeting", "th", "degenerate:repeat"),
    (TH, "The meeting of the meeting of the meeting of the meeting", "th", "degenerate:repeat"),
    (TH, "hahahahahahahahaha", "th", "degenerate:repeat"),
    ("สวัสดี", "Hello and welcome to the long speech about absolutely everything in the world today", "th",
     "degenerate:long"),
])
def test_degenerate_outputs_are_flagged(source: str, output: str, lang: str, flag: str):
    res = check(source, output, lang)
    assert flag in res.flags
    assert res.score <= 0.5 and not res.ok


def test_scores_and_helpers():
    assert foreign_script_fraction("Hello") == 0.0
    assert foreign_script_fraction("ab กข") == pytest.approx(0.5)
    assert foreign_script_fraction("Nguyễn Phú Trọng") == 0.0          # Latin with diacritics
    loop, bad = repetition("one two three four five six seven eight nine ten eleven twelve")
    assert not loop and bad == 0.0
    loop, bad = repetition(" ".join(["a b c"] * 6))
    assert loop and bad == 1.0
    assert check(TH, "", "th").details["empty"] == 1.0
    assert check("", "", "th").flags == []                               # nothing in, nothing out
