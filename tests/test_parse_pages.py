"""Hand-written pages of the defect classes seen on real scraped pages (issue 15), kinds asserted line by line.

Each page has the shape of a real scrape: the markdown scraper's output saved as ``.txt``, image table
captions, a VOV page head with ``Chia sẻ``, image file names glued to alt-text, the title repeated as
alt-text with ``- ảnh N``, agency signatures, ``<br>`` inside an HTML paragraph. Plus the parse-level
safety cases of issue 13: deeply nested HTML and adversarial markdown lines.
"""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")

from mt.parse import PageParser  # noqa: E402
from mt.read import decode_page, read_doc  # noqa: E402
from mt.records import CORPUS_KINDS, Doc  # noqa: E402

PAGES = Path(__file__).parent / "pages"
# what must never reach a corpus row: markdown syntax, URLs, image file names, agency signatures
NOT_TEXT = re.compile(r"!\[|\]\(|\||^\s*#|\*\*|https?://|www\.|\.(?:jpe?g|png|gif|webp|avif|svg)\b|/VOV|วีโอวี\.|TTXVN",
                      re.IGNORECASE)


@pytest.fixture(scope="module")
def parser() -> PageParser:
    return PageParser()


def parse_page(name: str, parser: PageParser) -> Doc:
    return parser.parse(read_doc(PAGES / name, name))


def typed(doc: Doc) -> list[tuple[int, str]]:
    return [(ln.line, ln.kind) for ln in doc.lines if ln.kind != "blank"]


def at(doc: Doc, number: int):
    """The first block of source line ``number`` (a table row or an HTML line may hold several)."""
    return next(ln for ln in doc.lines if ln.line == number)


def corpus_texts(doc: Doc) -> list[str]:
    out = []
    for ln in doc.lines:
        if ln.kind in CORPUS_KINDS:
            s, e = ln.info.get("content", [0, len(ln.text)])
            out.append(ln.text[s:e])
    return out


def test_markdown_saved_as_txt_is_parsed_as_markdown(parser: PageParser) -> None:
    doc = parse_page("md_saved_as_txt.txt", parser)
    assert doc.format == "md" and doc.meta["format_from"] == "content"
    assert typed(doc) == [
        (1, "chrome"), (3, "image"), (5, "title"), (7, "metadata"), (9, "lead"),
        (11, "caption_vi"), (12, "chrome"), (13, "caption_th"),      # image table: alt, |---|, caption cell
        (15, "image"), (17, "caption_th"),                            # Thai title as alt-text "- ảnh 2", its caption
        (19, "body"), (21, "image"), (21, "caption_th"),              # one table row, two cells
        (23, "body"), (25, "byline"), (27, "source_url"), (29, "chrome")]
    assert at(doc, 15).info["reason"] == "alt-text duplicate of the title"
    assert at(doc, 25).info["reason"] == "agency signature"
    assert doc.meta["title_th"].startswith("เอกอัครราชทูต Trinh Thi Tam:")
    assert not any(NOT_TEXT.search(t) for t in corpus_texts(doc))
    assert at(doc, 23).text.endswith("อ่านเพิ่มเติมที่ เว็บไซต์สถานทูต")      # link text kept, URL gone


def test_text_files_keep_the_suffix_format(parser: PageParser) -> None:
    doc = parse_page("credits.txt", parser)
    assert doc.format == "txt" and doc.meta["format_from"] == "suffix"
    page = "หัวข้อข่าว\n| ไม่ใช่ตาราง\nเนื้อหา # แฮชแท็ก [1] (2)\n"
    lines, problems = decode_page(page.encode("utf-8"), "p.txt")
    doc = parser.parse(Doc(doc_id="p", file="p.txt", raw_lines=lines, problems=problems))
    assert doc.format == "txt"


@pytest.mark.parametrize("path", sorted((Path(__file__).parents[1] / "seeds").glob("*.txt")), ids=lambda p: p.name[:3])
def test_seed_text_pages_stay_text(path: Path, parser: PageParser) -> None:
    doc = parser.parse(read_doc(path, path.name))
    assert (doc.format, doc.meta["format_from"]) == ("txt", "suffix")


def test_url_slug_words() -> None:
    from mt.parse.patterns import url_slug_words, vi_words

    assert url_slug_words("https://baoquocte.vn/bo-ngoai-giao-gap-mat-301234.html?x=1") == {"bo", "ngoai", "giao", "gap", "mat"}
    assert url_slug_words(None) == set() and url_slug_words("https://x.vn/") == set()
    assert vi_words("Bộ Ngoại giao gặp mặt (Ảnh: TTXVN)") == ["bo", "ngoai", "giao", "gap", "mat"]


def test_markdown_table_cells_are_text_units(parser: PageParser) -> None:
    lines = ["| ![](https://x.vn/a.jpg) | ผู้แทนทั้งสองฝ่ายร่วมประชุม | ภาพบรรยากาศการลงนามบันทึกความเข้าใจ |",
             "|---|---|---|"]
    doc = parser.parse(Doc(doc_id="t", file="t.md", format="md", raw_lines=lines))
    assert [(ln.line, ln.kind, ln.text) for ln in doc.lines] == [
        (1, "image", ""), (1, "caption_th", "ผู้แทนทั้งสองฝ่ายร่วมประชุม"),
        (1, "caption_th", "ภาพบรรยากาศการลงนามบันทึกความเข้าใจ"), (2, "chrome", "")]
    assert all(ln.info["image_url"] == "https://x.vn/a.jpg" for ln in doc.lines[1:3])


def test_image_names_urls_alt_duplicates_and_signatures_are_set_aside(parser: PageParser) -> None:
    doc = parse_page("image_names.txt", parser)
    assert typed(doc) == [
        (1, "chrome"), (3, "title"), (5, "metadata"), (7, "lead"),
        (9, "image"), (10, "caption_th"),          # "<Thai words> 0.png", then its caption
        (12, "image"), (13, "caption_th"),         # the title as alt-text "- ảnh 1"
        (15, "image"), (16, "caption_th"),         # "<Thai alt> ....webp"
        (18, "image"), (19, "caption_th"),         # an image URL is not the source footer
        (21, "body"), (23, "byline"), (25, "byline")]
    reasons = {ln.line: ln.info.get("reason") for ln in doc.lines}
    assert (reasons[9], reasons[12], reasons[15], reasons[18], reasons[23], reasons[25]) == (
        "image file name", "alt-text duplicate of the title", "image file name", "image URL",
        "agency signature", "agency signature")
    assert not any(NOT_TEXT.search(t) for t in corpus_texts(doc))


@pytest.mark.parametrize("name,title,captions", [
    ("caption_first.txt", 8, [6, 14]),             # spokesperson's photo caption, "– ภาพหน้าจอ" screenshot
    ("caption_first_table.md", 7, [5]),            # a table-cell caption above the title
])
def test_title_is_never_a_caption(name: str, title: int, captions: list[int], parser: PageParser) -> None:
    doc = parse_page(name, parser)
    k = dict(typed(doc))
    assert [n for n, kind in typed(doc) if kind == "title"] == [title]
    assert all(k[n] == "caption_th" for n in captions)
    assert doc.meta["title_th"] == at(doc, title).text


def test_vov_head_title_then_share_label(parser: PageParser) -> None:
    doc = parse_page("vov_head.txt", parser)
    assert typed(doc) == [(1, "title"), (2, "chrome"), (3, "lead"), (4, "body"), (5, "caption_vi"),
                          (6, "caption_th"), (7, "body"), (8, "byline")]


def test_html_br_splits_lines_and_captions_keep_image_url(parser: PageParser) -> None:
    doc = parse_page("html_br.html", parser)
    assert [(ln.line, ln.kind) for ln in doc.lines] == [
        (3, "title"), (4, "metadata"), (5, "lead"), (6, "body"), (7, "caption_vi"), (8, "caption_th"),
        (9, "body"), (9, "body"), (10, "image"), (11, "caption_th"), (12, "byline")]
    assert doc.lines[2].text.endswith("ในประเทศไทย") and doc.lines[3].text.startswith("ผู้แทนชุมชน")
    assert [ln.text for ln in doc.lines if ln.line == 9] == ["ชุมชนชาวเวียดนามมีส่วนร่วมในการพัฒนาความสัมพันธ์",
                                                            "ระหว่างสองประเทศมาอย่างยาวนาน"]
    assert at(doc, 8).info["image_url"] == "https://vietnam.vn/img/td-1.jpg"
    assert doc.lines[9].info["image_url"] == "https://vietnam.vn/img/td-2.webp"


def test_thai_text_loses_urls(parser: PageParser) -> None:
    lines = ["หัวข้อข่าวภาษาไทย", "Báo Quốc TếBáo Quốc Tế03/01/2024",
             "ผู้อ่านสามารถติดตามข่าวสารได้ที่ https://vietnam.vn/th/ และเว็บไซต์ www.vov.vn ตลอดเวลา"]
    doc = parser.parse(Doc(doc_id="u", file="u.txt", raw_lines=lines))
    ln = doc.lines[2]
    assert ln.kind == "lead" and ln.text == "ผู้อ่านสามารถติดตามข่าวสารได้ที่ และเว็บไซต์ ตลอดเวลา"
    assert ln.info["raw"] == lines[2] and ln.info["urls"] == ["https://vietnam.vn/th/", "www.vov.vn"]


# ----------------------------------------------------------------- issue 13: parse-level safety
@pytest.mark.parametrize("depth", [1_000, 10_000])
def test_deeply_nested_html_parses(depth: int, parser: PageParser) -> None:
    page = (["<html><body>"] + ["<div>"] * depth + ["<p>ข้อความภาษาไทยที่ซ่อนอยู่ลึกมาก<br>บรรทัดที่สอง</p>"]
            + ["</div>"] * depth + ["</body></html>"])
    doc = parser.parse(Doc(doc_id="deep", file="deep.html", format="html", raw_lines=page))
    assert [ln.text for ln in doc.lines] == ["ข้อความภาษาไทยที่ซ่อนอยู่ลึกมาก", "บรรทัดที่สอง"]
    assert doc.lines[0].line == depth + 2


def test_deeply_nested_text_at_every_level(parser: PageParser) -> None:
    depth = 1_000
    page = ["<html><body>"] + [f"<div>ระดับที่ {i}" for i in range(depth)] + ["</div>"] * depth + ["</body></html>"]
    doc = parser.parse(Doc(doc_id="deep", file="deep.html", format="html", raw_lines=page))
    assert [(ln.line, ln.text) for ln in doc.lines] == [(i + 2, f"ระดับที่ {i}") for i in range(depth)]


ADVERSARIAL = {
    "brackets": "[", "images": "![", "open links": "[a](", "linked images": "[![", "tags": "<a", "table cells": "| [",
    "headings": "#  ", "spaces": "ข้อความ" + " " * 60, "dashes": "-a", "commas": " ,", "dots": ". ", "slashes": "a/",
    "image suffixes": " - ảnh", "parens": "(", "an unclosed image": "![a](b",
}


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["txt", "md", "html"])
@pytest.mark.parametrize("shape", sorted(ADVERSARIAL))
def test_adversarial_line_is_linear(shape: str, fmt: str, parser: PageParser) -> None:
    """1 MB lines made of one opener repeated (an 80 KB line of '[' took 17 s before; the old photo-credit
    pattern took a minute on 3,000 spaces): each page parses in seconds, every line typed."""
    unit = ADVERSARIAL[shape]
    line = unit * (1_000_000 // len(unit))
    if shape == "an unclosed image":
        line = "![a](" + "b" * 1_000_000
    lines = ["หัวข้อข่าว", line, "Bộ trưởng " + line, "ผู้แทน " + line + " - ảnh 1"]
    t = time.perf_counter()
    doc = parser.parse(Doc(doc_id="adv", file="adv." + fmt, format=fmt, raw_lines=lines))
    assert time.perf_counter() - t < 30
    assert doc.lines and all(ln.kind for ln in doc.lines)


@pytest.mark.parametrize("name,evidence", [
    ("title_two_candidates.txt", "Vietnamese title in alt-text"),   # alt-text `... gặp mặt Đại sứ Nhật Bản - Ảnh 1.`
    ("title_slug_only.md", "source URL slug"),                      # only the URL `/thu-tuong-pham-minh-chinh-...`
])
def test_title_chosen_by_vietnamese_evidence_over_position(name: str, evidence: str, parser: PageParser) -> None:
    """Two Thai title candidates in the page head: position alone takes the first (a kicker); the names of
    the second are words of the Vietnamese title (alt-text or URL slug, without diacritics)."""
    doc = parse_page(name, parser)
    md = name.endswith(".md")
    assert typed(doc) == [
        (1, "chrome"), (3, "heading"), (5, "title"), (7, "metadata"), (9, "lead"), (11, "caption_vi"),
        (13 if md else 12, "caption_th"), (15 if md else 14, "body"), (17 if md else 16, "source_url"),
        (19 if md else 18, "chrome")]
    assert at(doc, 5).info["title_by"] == evidence
    assert at(doc, 3).info["title_candidate"]["evidence"] == ["position", "page head"]
    assert doc.meta["title_th"] == at(doc, 5).text


def test_h1_title_stands_against_page_head_names(parser: PageParser) -> None:
    """The page's own ``<h1>`` is the title even when a short line of the page head shares more names with
    the URL slug; a Thai title candidate is never a line with caption evidence."""
    lines = ["<html><body><h1>นายกรัฐมนตรีเปิดเทศกาลกาแฟ</h1>",
             "<p>นายกรัฐมนตรี Pham Minh Chinh ที่จังหวัดดั๊กลัก</p>",
             "<p>VietnamPlusVietnamPlus14/09/2025</p>",
             "<p>เมื่อวันที่ 13 กันยายน นายกรัฐมนตรีได้เข้าร่วมพิธีเปิดเทศกาลกาแฟซึ่งมีผู้เข้าร่วมกว่า 5,000 คนจากทั่วประเทศ</p>",
             "<p>ที่มา: https://www.vietnamplus.vn/thu-tuong-pham-minh-chinh-khai-mac-le-hoi-ca-phe</p></body></html>"]
    doc = parser.parse(Doc(doc_id="h", file="h.html", format="html", raw_lines=lines))
    assert [(ln.line, ln.kind) for ln in doc.lines] == [(1, "title"), (2, "lead"), (3, "metadata"), (4, "body"),
                                                        (5, "source_url")]
    assert "title_by" not in doc.lines[0].info          # one candidate competed: nothing to weigh
