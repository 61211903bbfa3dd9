"""End to end with real English: FLORES-200 dev articles as pages, their references as the translation memory.

Every Thai row must carry the English of exactly the sentences it holds (a row attached to the wrong unit,
or English shifted by one row, fails here, which ``en is not None`` never catches), and the MT alignment
signal (chrF between the English of the Vietnamese caption and the English of its Thai candidate) runs,
because the memory's English is real, and is recorded in the captions rows.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from flores_pages import FloresPage, articles, flores_dev_dir, load_flores, write_memory, write_pages
from mt.config import load_config
from mt.pipeline import run_pipeline
from mt.review import export
from mt.review.store import DecisionStore
from mt.translate.memory import load_memory, match_key

ROOT = Path(__file__).resolve().parents[1]
N_ARTICLES = 8

pytestmark = pytest.mark.skipif(not (flores_dev_dir() / "tha_Thai.dev").is_file(),
                                reason="FLORES-200 dev not in the shared data folder")


def one_line(text: str) -> str:
    return " ".join(text.split())


def tm_config(tmp: Path, pages: Path, memory: Path | list[str], out: str = "out", **over):
    return load_config(ROOT / "configs" / "smoke.toml", {
        "input.paths": [str(pages)], "output.dir": str(tmp / out), "translate.cache": str(tmp / "cache.sqlite"),
        "translate.engine": "tm", "translate.memory": memory if isinstance(memory, list) else str(memory),
        "align.similarity_for": [], "quiet": True, **over})     # (the th<->en similarity is not under test)


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def flores_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("flores")
    sentences = load_flores()
    pages = write_pages(articles(sentences)[:N_ARTICLES], tmp / "pages")
    memory = write_memory(sentences, tmp / "flores-dev.jsonl")
    result = run_pipeline(tm_config(tmp, tmp / "pages", memory))
    return tmp, {p.name: p for p in pages}, result


def check_rows(corpus: list[dict], pages: dict[str, FloresPage]) -> dict[str, int]:
    """Assert every row's English is the reference of its own sentences; count whole / joined / partial rows."""
    counts = {"whole": 0, "joined": 0, "partial": 0}
    for r in corpus:
        english, sentences = pages[r["file"]].expected(r["line"], r["start"], r["end"])
        assert sentences, f"row {r['id']} holds no FLORES sentence"
        if english is None:            # the segmenter cut inside a sentence: no memory entry is that text
            assert r["en"] is None and "tm_miss" in r["flags"], r["id"]
            counts["partial"] += 1
            continue
        assert r["en"] == one_line(english), r["id"]
        assert r["scores"]["tm"] == 1.0 and "tm_miss" not in r["flags"]
        assert ("tm_joined" in r["flags"]) == (len(sentences) > 1), r["id"]
        counts["joined" if len(sentences) > 1 else "whole"] += 1
    return counts


def test_every_thai_row_carries_its_own_reference_english(flores_run):
    _, pages, result = flores_run
    corpus = rows(result.output_dir / "corpus.jsonl")
    assert len({r["file"] for r in corpus}) == N_ARTICLES
    counts = check_rows(corpus, pages)
    assert counts["whole"] + counts["joined"] >= 2 / 3 * len(corpus)
    assert counts["joined"] >= 1 and counts["whole"] >= 2 * N_ARTICLES
    kinds = {r["kind"] for r in corpus if r["en"] is not None}
    assert {"title", "caption_th", "lead"} <= kinds
    assert result.counts["rows_translated"] == len([r for r in corpus if r["en"] is not None])
    assert (result.output_dir / "review.html").is_file()       # the review page copes with untranslated rows


def test_mt_alignment_signal_runs_and_is_recorded_in_the_captions_rows(flores_run):
    _, pages, result = flores_run
    manifest = json.loads((result.output_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["signature"]["is_real"] is True and manifest["signature"]["engine"] == "tm"
    assert [m["name"] for m in manifest["signature"]["models"]["th"]["memory"]] == ["flores-dev.jsonl"]
    captions = {r["file"]: r for r in rows(result.output_dir / "captions.jsonl")}
    assert set(captions) == set(pages)
    for name, page in pages.items():
        cap = captions[name]
        assert (cap["line"], cap["th_line"], cap["relation"]) == (page.caption_vi_line, page.caption_th_line,
                                                                 "translation")
        assert cap["vi"] == page.caption.vi and cap["th"] == page.caption.th
        assert cap["en_from_vi"] == cap["en_from_th"] == one_line(page.caption.en)
        assert "mt 1.00" in cap["reason"], cap["reason"]      # chrF 100 between the two English texts


def test_without_the_mt_signal_the_captions_rows_do_not_claim_it(flores_run):
    tmp, pages, _ = flores_run
    result = run_pipeline(tm_config(tmp, tmp / "pages", str(tmp / "flores-dev.jsonl"), out="no-mt",
                                    **{"align.use_mt": False}))
    for cap in rows(result.output_dir / "captions.jsonl"):
        assert "mt " not in cap["reason"] and cap["en_from_th"] is None


def test_a_reviewed_export_is_a_memory_edits_are_reused_rejections_are_not(flores_run):
    tmp, _, first = flores_run
    before = rows(first.output_dir / "corpus.jsonl")
    out = Path(shutil.copytree(first.output_dir, tmp / "reviewed-run"))
    # body rows only: a caption's Thai -> English also comes back through captions.jsonl, whatever its row's status
    edited, rejected = [r for r in before if r["en"] is not None and r["kind"] in ("lead", "body")][:2]
    store = DecisionStore(out / "review.sqlite")
    store.decide(edited["id"], "edited", expected_version=0, edited="A reviewer's English.")
    store.decide(rejected["id"], "rejected", expected_version=0)
    export(out)
    again = run_pipeline(tm_config(tmp, tmp / "pages", [str(out / "reviewed")], out="again"))
    expect = {r["id"]: r["en"] for r in before} | {edited["id"]: "A reviewer's English.", rejected["id"]: None}
    assert {r["id"]: r["en"] for r in rows(again.output_dir / "corpus.jsonl")} == expect
    assert all(c["en_from_vi"] == c["en_from_th"] is not None for c in rows(again.output_dir / "captions.jsonl"))
    memory = json.loads((again.output_dir / "manifest.json").read_text(encoding="utf-8"))["signature"]["models"]
    assert memory["th"]["memory"][0]["name"] == "reviewed/" and memory["th"]["memory"][0]["skipped"]["rejected"] == 1


def test_the_corpus_tmx_is_a_th_en_memory(flores_run):
    _, _, first = flores_run
    translated = [r for r in rows(first.output_dir / "corpus.jsonl") if r["en"] is not None]
    tmx = load_memory([first.output_dir / "corpus.tmx"])      # its vi is the aligned line, not what en translates
    assert tmx.size("vi") == 0 and tmx.size("th") == len({match_key(r["th"]) for r in translated})
    assert all(tmx.exact("th", match_key(r["th"])) == r["en"] for r in translated)


@pytest.mark.slow
def test_every_flores_dev_article_row_by_row(tmp_path: Path):
    """All FLORES-200 dev articles of 4+ sentences (about 130 pages, 20 s here)."""
    sentences = load_flores()
    pages = {p.name: p for p in write_pages(articles(sentences), tmp_path / "pages")}
    memory = write_memory(sentences, tmp_path / "flores-dev.jsonl")
    result = run_pipeline(tm_config(tmp_path, tmp_path / "pages", memory))
    corpus = rows(result.output_dir / "corpus.jsonl")
    counts = check_rows(corpus, pages)
    assert counts["whole"] + counts["joined"] >= 2 / 3 * len(corpus) and counts["joined"] >= 10
    captions = rows(result.output_dir / "captions.jsonl")
    paired = [c for c in captions if c["line"] == pages[c["file"]].caption_vi_line]
    assert len(paired) >= 0.9 * len(pages)
    assert all(c["th_line"] == pages[c["file"]].caption_th_line and "mt 1.00" in c["reason"] for c in paired)
