"""The write stage on hand-built documents: formats, accounting, atomicity."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mt.errors import ConfigError
from mt.records import Doc, Line, Unit, ViLine
from mt.write import CorpusWriter

SIG = {"version": "0.1.0", "model": "test/model", "engine": "none", "is_real": True}


def make_doc(doc_id: str = "d1") -> Doc:
    texts = [
        ("Vietnam.vn - Nền tảng quảng bá Việt Nam", "chrome"),
        ("", "blank"),
        ("ชื่อเรื่องข่าว", "title"),
        ("Báo Quốc TếBáo Quốc Tế09/07/2025", "metadata"),
        ("Ông A phát biểu tại hội nghị. (Nguồn: TTXVN)", "caption_vi"),
        ("นาย A กล่าวสุนทรพจน์ในการประชุม (ที่มา: VNA)", "caption_th"),
        ("ประโยคแรก <ของ> เนื้อหา & ประโยคที่สอง", "body"),
        ("[โฆษณา_2]", "artefact"),
    ]
    doc = Doc(doc_id=doc_id, file=f"{doc_id}.txt")
    doc.lines = [Line(line=i, text=t, kind=k) for i, (t, k) in enumerate(texts, 1)]
    doc.meta = {"publication": "Báo Quốc Tế", "date": "2025-07-09", "source_url": "https://x.vn/a", "title_th": texts[2][0]}
    doc.units = [
        Unit(id=f"{doc_id}:3:0", line=3, kind="title", start=0, end=len(texts[2][0]), th=texts[2][0], en="News title"),
        Unit(id=f"{doc_id}:6:0", line=6, kind="caption_th", start=0, end=33, th=texts[5][0][:33], en="Mr A speaks",
             vi="Ông A phát biểu tại hội nghị.", vi_line=5, relation="translation", scores={"align": 0.93}),
        Unit(id=f"{doc_id}:7:0", line=7, kind="body", start=0, end=len(texts[6][0]), th=texts[6][0], en="First <of> & second",
             flags=["degenerate:repeat"]),
    ]
    doc.vi_lines = [
        ViLine(line=1, vi=texts[0][0], raw=texts[0][0], relation="chrome", reason="site banner"),
        ViLine(line=4, vi=texts[3][0], raw=texts[3][0], relation="metadata"),
        ViLine(line=5, vi="Ông A phát biểu tại hội nghị.", raw=texts[4][0], relation="translation", th_line=6,
               th=texts[5][0], score=0.93, reason="adjacent caption"),
    ]
    return doc


def write(out: Path, docs: list[Doc], formats=("parquet", "jsonl", "tmx", "moses")) -> CorpusWriter:
    w = CorpusWriter(out, list(formats), SIG)
    for d in docs:
        w.write(d)
    w.finish({"note": "test"})
    return w


def test_accounting_every_line_in_corpus_or_set_aside(tmp_path):
    w = write(tmp_path / "out", [make_doc("a"), make_doc("b")])
    c = w.counts.as_dict()
    assert c["lines_in"] == 16
    assert c["lines_in"] == c["lines_in_corpus"] + c["lines_set_aside"]
    # title, Vietnamese caption (captions row), Thai caption, body = 4 lines per doc in the corpus
    assert c["lines_in_corpus"] == 8
    aside = [json.loads(x) for x in (tmp_path / "out" / "set_aside.jsonl").read_text().splitlines()]
    assert len(aside) == 8
    assert {r["kind"] for r in aside} == {"chrome", "blank", "metadata", "artefact"}
    assert all(r["reason"] for r in aside)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["counts"]["lines_set_aside"] == 8
    assert manifest["signature"]["model"] == "test/model"


def test_dataset_loads_with_both_configs(tmp_path):
    from datasets import load_dataset

    out = tmp_path / "out"
    write(out, [make_doc("a")])
    ds = load_dataset(str(out), split="train")
    assert ds.num_rows == 3
    assert set(ds.column_names) >= {"id", "th", "en", "vi", "relation", "scores", "source_url", "date", "file", "line"}
    row = ds[1]
    assert row["vi"] == "Ông A phát biểu tại hội nghị." and row["scores"]["align"] == pytest.approx(0.93)
    caps = load_dataset(str(out), "captions", split="train")
    assert caps.num_rows == 1 and caps[0]["th_line"] == 6


def test_tmx_is_valid_xml_with_one_tu_per_translated_row(tmp_path):
    out = tmp_path / "out"
    write(out, [make_doc("a"), make_doc("b")])
    root = ET.parse(out / "corpus.tmx").getroot()
    tus = root.findall("./body/tu")
    assert len(tus) == 6
    langs = [tuv.get("{http://www.w3.org/XML/1998/namespace}lang") for tuv in tus[1].findall("tuv")]
    assert langs == ["th", "en", "vi"]
    assert tus[2].find("tuv[2]/seg").text == "First <of> & second"  # escaped and round-tripped
    th = (out / "corpus.th").read_text().splitlines()
    en = (out / "corpus.en").read_text().splitlines()
    assert len(th) == len(en) == 6


def test_crash_leaves_previous_corpus_untouched(tmp_path):
    out = tmp_path / "out"
    write(out, [make_doc("a")])
    before = (out / "corpus.jsonl").read_text()
    w = CorpusWriter(out, ["jsonl"], SIG)
    w.write(make_doc("z"))
    w.abort()  # what the executor does when a stage raises
    assert (out / "corpus.jsonl").read_text() == before
    assert not [p for p in out.iterdir() if p.name.startswith(".mt-staging")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_unfinished_writer_is_not_visible(tmp_path):
    out = tmp_path / "new"
    w = CorpusWriter(out, ["jsonl"], SIG)
    w.write(make_doc("a"))
    # until finish() only mt's hidden lock and staging folder are there: no manifest, no corpus file
    assert all(p.name.startswith(".mt-") for p in out.iterdir())
    w.finish({})
    assert (out / "manifest.json").exists()


def test_unknown_format_lists_valid_names(tmp_path):
    with pytest.raises(ConfigError, match="unknown output format 'xlsx'.*jsonl, moses, parquet, tmx"):
        CorpusWriter(tmp_path / "o", ["xlsx"], SIG)
    assert not list(tmp_path.iterdir())  # nothing created for a config error


def test_two_corpora_with_the_same_folder_name_load_their_own_rows(tmp_path):
    """datasets caches local folders by card config: the fingerprinted file names keep corpora apart."""
    from datasets import load_dataset

    one, two = tmp_path / "a" / "out", tmp_path / "b" / "out"
    write(one, [make_doc("a")])
    write(two, [make_doc("a"), make_doc("b")])
    assert load_dataset(str(one), split="train").num_rows == 3
    assert load_dataset(str(two), split="train").num_rows == 6
    write(one, [make_doc("a"), make_doc("b"), make_doc("c")])  # re-run into the same folder
    assert load_dataset(str(one), split="train").num_rows == 9


def test_rerun_keeps_review_decisions(tmp_path):
    import sqlite3

    out = tmp_path / "out"
    write(out, [make_doc("a")])
    with sqlite3.connect(out / "review.sqlite") as db:
        db.execute("create table t (x)")
        db.execute("insert into t values (42)")
    write(out, [make_doc("a")])
    with sqlite3.connect(out / "review.sqlite") as db:
        assert db.execute("select x from t").fetchall() == [(42,)]


def test_extra_fields_reach_parquet_and_tmx(tmp_path):
    """Extra sentences columns (as the reviewed export adds): typed Parquet columns, TMX props,
    JSONL as given; characters XML forbids are dropped from the TMX."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from mt.write.formats import JsonlWriter, ParquetWriter, TmxWriter
    from mt.write.rows import caption_rows, sentence_rows

    doc = make_doc("a")
    rows = [dict(r, status="edited" if n == 0 else "unreviewed", review_stale=n == 0)
            for n, r in enumerate(sentence_rows(doc))]
    rows[0]["en"] = "Title\x01 edited"
    extra = {"status": pa.string(), "review_stale": pa.bool_()}
    writers = [cls(tmp_path, SIG, extra_fields=extra) for cls in (ParquetWriter, JsonlWriter, TmxWriter)]
    for w in writers:
        w.write(rows, caption_rows(doc))
        w.close()
    (shard,) = (tmp_path / "data").glob(f"sentences-{writers[0].fingerprint}-*.parquet")
    table = pq.read_table(shard)
    assert table.schema.field("review_stale").type == pa.bool_()
    assert table.column("status").to_pylist() == ["edited", "unreviewed", "unreviewed"]
    assert json.loads((tmp_path / "corpus.jsonl").read_text().splitlines()[0])["review_stale"] is True
    tu = ET.parse(tmp_path / "corpus.tmx").getroot().find("./body/tu")
    props = {p.get("type"): p.text for p in tu.findall("prop")}
    assert props["x-status"] == "edited" and props["x-review-stale"] == "true"
    assert tu.find("tuv[2]/seg").text == "Title edited" and writers[2].n_tu == 3
    with pytest.raises(ConfigError, match="extra column 'en' is already a sentences column"):
        ParquetWriter(tmp_path / "x", SIG, extra_fields={"en": pa.string()})
