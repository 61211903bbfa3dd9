"""Page parsing: line kinds, metadata, credits and Vietnamese lines on the seeds and on hand-written pages."""
from __future__ import annotations

import os
import time
import unicodedata
from pathlib import Path

import pytest

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")

from mt.langid import LangId, strip_diacritics  # noqa: E402
from mt.parse import PageParser, parse_doc  # noqa: E402
from mt.parse.patterns import parse_metadata, source_url, split_credit, strip_image_suffix  # noqa: E402
from mt.read import decode_page, read_doc  # noqa: E402
from mt.records import KINDS, Doc  # noqa: E402
from mt.config import RunConfig  # noqa: E402
from mt.steps import ParseStep  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
PAGES = Path(__file__).parent / "pages"


@pytest.fixture(scope="module")
def parser() -> PageParser:
    return PageParser()


def parse_file(path: Path, parser: PageParser) -> Doc:
    return parser.parse(read_doc(path, path.name))


def parse_text(text: str, parser: PageParser, fmt: str = "txt", name: str = "page.txt") -> Doc:
    lines, problems = decode_page(text.encode("utf-8"), name)
    return parser.parse(Doc(doc_id="p", file=name, format=fmt, raw_lines=lines, problems=problems))


def kinds(doc: Doc) -> dict[int, str]:
    return {ln.line: ln.kind for ln in doc.lines}


def seed(name: str, parser: PageParser) -> Doc:
    return parse_file(next(SEEDS.glob(name + "_*.txt")), parser)


# ----------------------------------------------------------------- seeds
@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name[:3])
def test_seed_one_line_per_physical_line(path: Path, parser: PageParser) -> None:
    doc = parse_file(path, parser)
    assert [ln.line for ln in doc.lines] == list(range(1, len(doc.raw_lines) + 1))
    assert all(ln.kind in KINDS for ln in doc.lines)
    assert all(ln.kind == "blank" for ln in doc.lines if not ln.text.strip())


def test_seed_000_layout(parser: PageParser) -> None:
    doc = seed("000", parser)
    k = kinds(doc)
    assert (k[1], k[3], k[5], k[7], k[10], k[12], k[14], k[16]) == (
        "chrome", "chrome", "title", "metadata", "caption_vi", "caption_th", "lead", "body")
    assert k[30] == "caption_vi" and k[32] == "caption_th"
    assert all(k[n] == "chrome" for n in (44, 46, 48, 49, 51, 53, 55, 56, 57, 58, 60, 62, 68, 76))
    assert doc.meta["publication"] == "Báo Tài nguyên Môi trường"
    assert doc.meta["date"] == "2023-12-22"
    assert doc.meta["title_th"].startswith("กระทรวงการต่างประเทศเชื่อมโยง")
    cap = doc.line_at(12)
    assert cap.info["credit"] == "VGP/Hai Minh"
    s, e = cap.info["content"]
    assert cap.text[s:e].endswith("การทูต \"") and "ภาพ" not in cap.text[s:e]
    assert [v.line for v in doc.vi_lines] == [1, 3, 7, 10, 30]
    assert doc.vi_lines[3].vi == "Bộ Ngoại giao gắn tổ chức sắp xếp bộ máy với đẩy mạnh chuyển đổi số"
    assert doc.vi_lines[3].raw.endswith("- Ảnh 1.")


def test_seed_001_no_banner_byline_ad_footer_foreign_fragment(parser: PageParser) -> None:
    doc = seed("001", parser)
    k = kinds(doc)
    assert k[1] == "lead" and k[2] == "body"
    assert "title" not in k.values()
    assert k[14] == "body" and doc.line_at(14).flags == ["foreign_fragment"]
    assert "积极" in doc.line_at(14).text          # the sentence is kept
    assert (k[15], k[16], k[17], k[24]) == ("byline", "artefact", "source_url", "chrome")
    assert doc.meta["source_url"].startswith("https://baoninhbinh.org.vn/hoi-nghi")
    assert doc.vi_lines == []
    assert all(ln.lang == "th" for ln in doc.lines if ln.kind in ("body", "lead", "byline"))


def test_seed_002_captions_with_agency_credits(parser: PageParser) -> None:
    doc = seed("002", parser)
    k = kinds(doc)
    for vi, th in ((8, 9), (23, 24), (32, 33), (37, 38)):
        assert (k[vi], k[th]) == ("caption_vi", "caption_th")
        assert doc.line_at(th).info["credit"] == "VNA"
        assert doc.line_at(vi).info["credit"] == "TTXVN"
    assert k[3] == "title" and k[5] == "metadata" and k[7] == "lead"
    assert doc.meta["date"] == "2024-01-03"


def test_seed_003_title_before_date_and_related_headlines(parser: PageParser) -> None:
    doc = seed("003", parser)
    k = kinds(doc)
    assert (k[3], k[5], k[7]) == ("title", "lead", "metadata")
    assert k[52] == "source_url" and doc.meta["source_url"].endswith("320388.html")
    assert all(k[n] == "chrome" for n in range(55, 69) if k[n] != "blank")
    assert doc.meta["title_vi"] == "Bộ Ngoại giao và Liên hiệp các tổ chức hữu nghị Việt Nam phối hợp công tác trong tình hình mới"


def test_seed_004_no_blank_lines_headings(parser: PageParser) -> None:
    doc = seed("004", parser)
    k = kinds(doc)
    assert k[1] == "lead" and k[9] == "heading"
    assert k[17] == "chrome" and k[18] == "chrome"      # "ลิงค์ที่มา" label, comment counter
    assert sum(1 for v in k.values() if v == "body") >= 10


# ----------------------------------------------------------------- hand-written pages
def test_markdown_scraper_page(parser: PageParser) -> None:
    doc = parse_file(PAGES / "md_scraper.md", parser)
    k = kinds(doc)
    assert len(doc.lines) == len(doc.raw_lines)          # one Line per physical line
    assert (k[1], k[2], k[3], k[5], k[7]) == ("blank", "blank", "chrome", "title", "metadata")
    assert doc.meta["publication"] == "VietnamPlus" and doc.meta["date"] == "2025-09-14"
    assert k[11] == "caption_vi" and doc.line_at(11).text.startswith("Thủ tướng khai mạc")
    assert k[13] == "caption_th" and doc.line_at(13).info["credit"] == "Duong Giang"
    assert k[17] == "caption_th" and not doc.line_at(17).text.endswith("|")     # lone trailing pipe
    assert doc.line_at(17).info["credit"] == "Duong Giang"
    assert k[19] == "image" and k[20] == "caption_th"                            # ![]() | then | caption |
    assert doc.line_at(20).text.startswith("ผู้เข้าร่วมงาน") and doc.line_at(20).info["credit"] == "VNA"
    assert k[24] == "caption_th"                                                 # Thai alt-text
    assert k[26] == "image"                                                      # empty alt
    assert k[28] == "source_url" and all(k[n] == "chrome" for n in (30, 32, 33, 34))
    vi = {v.line: v for v in doc.vi_lines}
    assert vi[11].vi == "Thủ tướng khai mạc Lễ hội cà phê Buôn Ma Thuột lần thứ 9"
    assert vi[11].raw.startswith("![Thủ tướng") and vi[11].raw.endswith("a1.jpg)")


def test_html_page_uses_element_lines(parser: PageParser) -> None:
    doc = parse_file(PAGES / "html_figure.html", parser)
    by_line = {ln.line: ln for ln in doc.lines}
    assert not any("not text" in ln.text or "color" in ln.text or "ignored head" in ln.text for ln in doc.lines)
    assert by_line[6].kind == "chrome"
    assert by_line[7].kind == "title" and doc.meta["title_th"].startswith("รัฐมนตรีว่าการ")
    assert by_line[8].kind == "metadata" and doc.meta["date"] == "2025-12-12"
    assert by_line[11].kind == "caption_vi" and by_line[12].kind == "caption_th"
    assert by_line[12].info["credit"] == "Tuan Anh"
    assert by_line[14].kind == "body" and by_line[14].text.endswith("ในปี 2026")   # paragraph over two lines
    assert by_line[20].kind == "image"                                           # <img> without alt
    assert by_line[21].kind == "source_url"
    related = [ln for ln in doc.lines if ln.line == 23]
    assert len(related) == 2 and all(ln.kind == "chrome" for ln in related)
    assert [v.line for v in doc.vi_lines] == [6, 8, 11, 17]
    assert doc.vi_lines[2].vi == "Bộ trưởng Ngoại giao tiếp Đại sứ Nhật Bản"


def test_credit_variants(parser: PageParser) -> None:
    doc = parse_file(PAGES / "credits.txt", parser)
    k = kinds(doc)
    assert (k[1], k[3], k[5]) == ("chrome", "chrome", "chrome")                 # banner, motto, "Chia sẻ"
    assert k[9] == "metadata" and doc.meta["date"] == "2023-12-22"              # Thai digits, Buddhist era
    assert k[13] == "image" and doc.line_at(13).lang is None                    # bare file name
    expect = {14: "Quang Hoa", 18: "AFP", 20: "VGP/Nhat Bac", 22: "กระทรวงอุตสาหกรรมและการค้า", 25: "Hong Dat"}
    for n, who in expect.items():
        ln = doc.line_at(n)
        assert ln.kind == "caption_th", n
        assert ln.info["credit"] == who
        s, e = ln.info["content"]
        assert "ภาพ" not in ln.text[s:e][-6:] and ln.text[s:e] == ln.text[s:e].strip()
    assert k[16] == "credit" and doc.line_at(16).info["credit"] == "Minh Duc"
    assert doc.line_at(24).info["credit"] == "Hồng Đạt"
    assert k[27] == "artefact" and k[29] == "credit"
    assert (k[31], k[32]) == ("chrome", "chrome")


def test_cut_page_without_banner(parser: PageParser) -> None:
    doc = parse_file(PAGES / "no_banner_cut.txt", parser)
    k = kinds(doc)
    assert (k[1], k[2], k[3], k[4], k[6]) == ("blank", "blank", "blank", "title", "metadata")
    assert k[10] == "caption_vi" and k[11] == "caption_th"
    last = doc.lines[-1]
    assert last.line == 16 and "truncated" in last.flags


# ----------------------------------------------------------------- patterns
@pytest.mark.parametrize("text,pub,date", [
    ("Báo Quốc TếBáo Quốc Tế12/12/2025", "Báo Quốc Tế", "2025-12-12"),
    ("VietnamPlusVietnamPlus14/09/2025", "VietnamPlus", "2025-09-14"),
    ("Báo Quốc Tế - ๑๒/๑๒/๒๕๖๘", "Báo Quốc Tế", "2025-12-12"),
    ("Nhân Dân 03/01/2024 08:30", "Nhân Dân", "2024-01-03"),
    ("12/12/2025", None, "2025-12-12"),
])
def test_metadata_lines(text: str, pub: str | None, date: str) -> None:
    assert parse_metadata(text) == {"publication": pub, "date": date}


@pytest.mark.parametrize("text", ["31/02/2024", "Ngày hội văn hoá diễn ra vào 12/12/2025 tại Hà Nội với sự tham gia của hàng nghìn người dân."])
def test_not_metadata(text: str) -> None:
    assert parse_metadata(text) is None


@pytest.mark.parametrize("text,content,who", [
    ("คำบรรยาย (ภาพ: VNA)", "คำบรรยาย", "VNA"),
    ("คำบรรยาย - ภาพ: VGP/Hai Minh", "คำบรรยาย", "VGP/Hai Minh"),
    ("คำบรรยาย (ภาพถ่าย: AFP)", "คำบรรยาย", "AFP"),
    ("คำบรรยาย (ที่มา: VNA)", "คำบรรยาย", "VNA"),
    ("คำบรรยาย ภาพ: Quang Hoa", "คำบรรยาย", "Quang Hoa"),
    ("Đại biểu dự hội nghị. (Nguồn: TTXVN)", "Đại biểu dự hội nghị.", "TTXVN"),
    ("Đại biểu dự hội nghị. (Ảnh: Hồng Đạt)", "Đại biểu dự hội nghị.", "Hồng Đạt"),
])
def test_split_credit(text: str, content: str, who: str) -> None:
    (s, e), got_who, _ = split_credit(text)
    assert text[s:e] == content and got_who == who


def test_no_credit_in_plain_sentences() -> None:
    assert split_credit("รัฐมนตรีกล่าวว่า การประชุมครั้งนี้ประสบความสำเร็จ") is None
    assert split_credit("ที่มา: https://example.vn/a") is None


@pytest.mark.parametrize("text,url", [
    ("ที่มา: https://baoquocte.vn/a-b-c-123.html", "https://baoquocte.vn/a-b-c-123.html"),
    ("ที่มา: https://baoquocte.vn/bo-ngoai-gi", "https://baoquocte.vn/bo-ngoai-gi"),
    ("ที่มา: htt", "htt"),
    ("https://vietnam.vn/x", "https://vietnam.vn/x"),
])
def test_source_footer(text: str, url: str, parser: PageParser) -> None:
    assert source_url(text) == url
    doc = parse_text("ย่อหน้าหนึ่งของบทความที่ยาวพอสมควรสำหรับการทดสอบ\n" + text + "\n", parser)
    assert doc.lines[1].kind == "source_url" and doc.meta["source_url"] == url


def test_cut_footer_is_flagged(parser: PageParser) -> None:
    doc = parse_text("ย่อหน้าหนึ่งของบทความที่ยาวพอสมควรสำหรับการทดสอบ\nที่มา: https://bao\n", parser)
    assert doc.lines[1].kind == "source_url" and "truncated" in doc.lines[1].flags


@pytest.mark.parametrize("raw,vi", [
    ("Bộ Ngoại giao gắn tổ chức với chuyển đổi số- Ảnh 1.", "Bộ Ngoại giao gắn tổ chức với chuyển đổi số"),
    ("Bộ Ngoại giao gắn tổ chức với chuyển đổi số - ảnh 2", "Bộ Ngoại giao gắn tổ chức với chuyển đổi số"),
    ("Thủ tướng phát biểu tại hội nghị - 1thumb_2025.jpg", "Thủ tướng phát biểu tại hội nghị"),
    ("Thủ tướng phát biểu tại hội nghị - 1", "Thủ tướng phát biểu tại hội nghị"),
    ("Thủ tướng phát biểu tại hội nghị", "Thủ tướng phát biểu tại hội nghị"),
])
def test_image_suffixes(raw: str, vi: str) -> None:
    assert strip_image_suffix(raw) == vi


def test_language_id() -> None:
    lid = LangId()
    assert lid.detect("รองนายกรัฐมนตรี Tran Luu Quang เข้าร่วมการประชุม") == "th"
    assert lid.detect("Bộ Ngoại giao") == "vi"
    assert lid.detect("No videos available") == "en"
    assert lid.detect("积极推进合作") == "zh"
    assert lid.detect("12/12/2025") is None
    assert strip_diacritics("Đồng chí Lê Hoài Trung") == "Dong chi Le Hoai Trung"
    assert strip_diacritics("แหล่งที่มา") == "แหล่งที่มา"


# ----------------------------------------------------------------- robustness
def test_bom_zwsp_nbsp_and_nfd(parser: PageParser) -> None:
    vi_nfd = unicodedata.normalize("NFD", "Đồng chí Lê Hoài Trung phát biểu. (Nguồn: TTXVN)")
    text = ("\ufeffVietnam.vn\u00a0- Nền tảng quảng bá Việt Nam\r\n\r\nหัวข้อ\u200bข่าวภาษาไทย\r\n"
            "Báo Quốc TếBáo Quốc Tế03/01/2024\r\n" + vi_nfd + "\r\nสหายเล หว้าย จุง กล่าวสุนทรพจน์ (ที่มา: VNA)\r\n")
    lines, problems = decode_page(text.encode("utf-8"), "x.txt")
    doc = parser.parse(Doc(doc_id="x", file="x.txt", raw_lines=lines, problems=problems))
    k = kinds(doc)
    assert (k[1], k[3], k[4], k[5], k[6]) == ("chrome", "title", "metadata", "caption_vi", "caption_th")
    assert doc.line_at(3).text == "หัวข้อข่าวภาษาไทย"
    assert doc.vi_lines[-1].vi == unicodedata.normalize("NFC", vi_nfd)


def test_nfd_lines_given_directly_are_normalised(parser: PageParser) -> None:
    raw = unicodedata.normalize("NFD", "Bộ Ngoại giao - Ảnh 1.")
    doc = parser.parse(Doc(doc_id="x", file="x.txt", raw_lines=[raw]))
    assert doc.lines[0].kind == "caption_vi" and doc.vi_lines[0].vi == "Bộ Ngoại giao"


def test_empty_and_blank_pages(parser: PageParser) -> None:
    doc = parser.parse(Doc(doc_id="e", file="e.txt", raw_lines=[]))
    assert doc.lines == [] and doc.vi_lines == [] and doc.meta["date"] is None
    doc = parser.parse(Doc(doc_id="b", file="b.txt", raw_lines=["", "   ", ""]))
    assert [ln.kind for ln in doc.lines] == ["blank"] * 3
    doc = parser.parse(Doc(doc_id="h", file="h.html", format="html", raw_lines=[]))
    assert doc.lines == []


def test_invalid_lines(parser: PageParser) -> None:
    data = "ย่อหน้าแรกของบทความภาษาไทย\n".encode() + b"\xff\xfe bad\n" + "ย่อหน้าที่สาม\n".encode()
    lines, problems = decode_page(data, "bad.txt")
    doc = parser.parse(Doc(doc_id="b", file="bad.txt", raw_lines=lines, problems=problems))
    assert [ln.kind for ln in doc.lines] == ["lead", "invalid", "body"]
    lines, problems = decode_page(b"abc\x00def\nmore\n", "bin.txt")
    doc = parser.parse(Doc(doc_id="b", file="bin.txt", raw_lines=lines, problems=problems))
    assert [ln.kind for ln in doc.lines] == ["invalid", "invalid"] and doc.vi_lines == []


def test_huge_line_is_fast(parser: PageParser) -> None:
    big = "การประชุม " * 100_000
    t = time.perf_counter()
    doc = parser.parse(Doc(doc_id="h", file="h.txt", raw_lines=["หัวข้อ", big, "Bộ Ngoại giao - Ảnh 1." * 2000]))
    assert time.perf_counter() - t < 10
    assert doc.lines[1].kind in ("lead", "body") and doc.lines[2].kind == "caption_vi"


def test_parse_stage_and_default_entry_point() -> None:
    doc = read_doc(SEEDS / "002_02c73740b218f54e.txt", "002.txt")
    out = list(ParseStep(RunConfig()).run([doc]))[0]
    assert out.stages == ["parse"] and out.line_at(8).kind == "caption_vi"
    again = parse_doc(read_doc(SEEDS / "002_02c73740b218f54e.txt", "002.txt"))
    assert kinds(again) == kinds(out)


def test_thai_month_dates() -> None:
    assert parse_metadata("Nhân Dân 12 ธันวาคม 2568") == {"publication": "Nhân Dân", "date": "2025-12-12"}
    assert parse_metadata("๑๒ ธ.ค. ๒๕๖๘") == {"publication": None, "date": "2025-12-12"}


def test_trailing_headline_list_without_end_marker(parser: PageParser) -> None:
    para = "ย่อหน้าของบทความที่ยาวพอสมควรและมีเนื้อหาเกี่ยวกับการประชุมของกระทรวงการต่างประเทศในกรุงฮานอย"
    page = "\n".join(["Vietnam.vn - Nền tảng quảng bá Việt Nam", "", "หัวข้อข่าวภาษาไทยเกี่ยวกับการประชุม", "",
                      "Báo Quốc TếBáo Quốc Tế03/01/2024", "", para + " หนึ่ง", "", para + " สอง", "", para + " สาม", "",
                      "ชมเมืองชายฝั่งในยามค่ำคืน", "ถ้ำที่งดงามที่สุดในโลก", "รสชาติแห่งภูมิภาคสายน้ำ"])
    doc = parse_text(page, parser)
    k = kinds(doc)
    assert (k[7], k[9], k[11]) == ("lead", "body", "body")
    assert (k[13], k[14], k[15]) == ("chrome", "chrome", "chrome")
    # the same short lines on a page without blank-line paragraphs stay text (seed 004 style)
    doc = parse_text("\n".join([para + " หนึ่ง", para + " สอง", para + " สาม", para + " สี่",
                                "ชมเมืองชายฝั่งในยามค่ำคืน", "ถ้ำที่งดงามที่สุดในโลก", "รสชาติแห่งภูมิภาคสายน้ำ"]), parser)
    assert "chrome" not in kinds(doc).values()


def test_html_markup_in_text_files(parser: PageParser) -> None:
    page = ("หัวข้อข่าวภาษาไทยเกี่ยวกับการประชุม\nBáo Quốc TếBáo Quốc Tế03/01/2024\n"
            '<img src="a.jpg" alt="Các đại biểu dự hội nghị. (Nguồn: TTXVN)">\n'
            "ผู้แทนเข้าร่วมการประชุม (ที่มา: VNA)\n")
    doc = parse_text(page, parser)
    assert [ln.kind for ln in doc.lines] == ["title", "metadata", "caption_vi", "caption_th"]
    assert doc.vi_lines[1].vi == "Các đại biểu dự hội nghị. (Nguồn: TTXVN)"
    saved = "<!DOCTYPE html>\n<html><body>\n<h1>หัวข้อข่าวภาษาไทย</h1>\n<p>ย่อหน้าแรกของบทความ</p>\n</body></html>\n"
    doc = parse_text(saved, parser)
    assert [(ln.line, ln.kind) for ln in doc.lines] == [(3, "title"), (4, "lead")]


def test_headline_first_line_without_banner_or_date(parser: PageParser) -> None:
    doc = parse_text("\ufeffหัวข้อข่าวทดสอบ\r\n\r\nเนื้อหาข่าวภาษาไทยที่ยาวพอสมควร\r\n", parser)
    assert [ln.kind for ln in doc.lines] == ["title", "blank", "lead"]
    doc = parse_text("ประโยคแรกของข่าวที่จบด้วยจุด.\nเนื้อหาข่าวภาษาไทยที่ยาวพอสมควรและยาวกว่าบรรทัดแรกมาก\n", parser)
    assert doc.lines[0].kind == "lead"


def test_a_kind_outside_the_enum_is_refused_per_document(monkeypatch) -> None:
    from mt.parse import PageParser
    from mt.records import Kind

    real = PageParser.parse

    def sloppy(self, doc):
        real(self, doc)
        doc.lines[0].kind = "paragraph"     # not a Kind
        return doc

    monkeypatch.setattr(PageParser, "parse", sloppy)
    out = ParseStep(RunConfig()).process(read_doc(SEEDS / "002_02c73740b218f54e.txt", "002.txt"))
    assert "unknown line kind 'paragraph'" in out.problems[-1]["error"]
    assert {ln.kind for ln in out.lines} == {Kind.INVALID}
