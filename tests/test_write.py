"""The write stage on hand-built documents: formats, accounting, atomicity."""
from __future__ import annotations

import io
import json
import re
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
    assert row["translation"] == {"th": row["th"], "en": "Mr A speaks", "vi": "Ông A phát biểu tại hội nghị."}
    assert ds[0]["translation"]["vi"] is None


def test_each_config_has_its_own_folder(tmp_path):
    """A glob over one config's folder (pandas, DuckDB, Polars) never picks up the other config."""
    import pyarrow.dataset as pads

    from mt.write.formats import schemas

    out = tmp_path / "out"
    write(out, [make_doc("a"), make_doc("b")])
    assert sorted(p.relative_to(out / "data").parent.name for p in (out / "data").rglob("*.parquet")) == [
        "captions", "sentences"]
    for config, rows in (("sentences", 6), ("captions", 2)):
        table = pads.dataset(out / "data" / config, format="parquet").to_table()
        assert table.num_rows == rows and table.schema.names == schemas()[config].names
    (name,) = [p.name for p in (out / "data" / "sentences").iterdir()]
    assert re.fullmatch(r"train-00000-of-00001-[0-9a-f]{16}\.parquet", name)


def test_dataset_card_metadata_and_fields(tmp_path):
    """The card is a huggingface_hub DatasetCard: its metadata parses back, and its data-fields tables
    name every column of the row schema."""
    from huggingface_hub import DatasetCard

    from mt.write.card import NO_LICENSE, dataset_card
    from mt.write.formats import FIELDS

    out = tmp_path / "out"
    write(out, [make_doc("a")])
    card = DatasetCard.load(out / "README.md")
    data = card.data.to_dict()
    assert data["language"] == ["th", "en", "vi"] and data["task_categories"] == ["translation"]
    assert data["multilinguality"] == "translation" and data["size_categories"] == "n<1K"
    assert data["source_datasets"] == ["original"]
    assert data["license"] == "other" and "check the source site's terms" in data["license_details"]
    assert [c["config_name"] for c in data["configs"]] == ["sentences", "captions"]
    assert data["configs"][0]["data_files"][0]["path"].startswith("data/sentences/train-")
    for config, fields in FIELDS.items():
        for name, _, _ in fields:
            assert f"| `{name}` |" in card.text, (config, name)
    assert "@misc{" in card.text and NO_LICENSE in card.text
    licensed = dataset_card({"counts": {"rows_sentences": 12_345}, "config": {"output": {"license": "cc-by-4.0"}}})
    licensed_data = DatasetCard(licensed).data.to_dict()
    assert licensed_data["license"] == "cc-by-4.0" and licensed_data["size_categories"] == "10K<n<100K"
    assert "license_details" not in licensed_data and NO_LICENSE not in licensed


# The element and attribute declarations of the TMX 1.4b DTD (LISA OSCAR, tmx14.dtd), as in the standard.
TMX14_DTD = """
<!ENTITY % segtypes "block|paragraph|sentence|phrase">
<!ELEMENT tmx (header, body)>
<!ATTLIST tmx version CDATA #FIXED "1.4">
<!ELEMENT header (note|prop|ude)*>
<!ATTLIST header creationtool CDATA #REQUIRED creationtoolversion CDATA #REQUIRED segtype (%segtypes;) #REQUIRED
  o-tmf CDATA #REQUIRED adminlang CDATA #REQUIRED srclang CDATA #REQUIRED datatype CDATA #REQUIRED
  o-encoding CDATA #IMPLIED creationdate CDATA #IMPLIED creationid CDATA #IMPLIED changedate CDATA #IMPLIED
  changeid CDATA #IMPLIED>
<!ELEMENT body (tu*)>
<!ELEMENT note (#PCDATA)>
<!ATTLIST note o-encoding CDATA #IMPLIED xml:lang CDATA #IMPLIED>
<!ELEMENT ude (map+)>
<!ATTLIST ude name CDATA #REQUIRED base CDATA #IMPLIED>
<!ELEMENT map EMPTY>
<!ATTLIST map unicode CDATA #REQUIRED code CDATA #IMPLIED ent CDATA #IMPLIED subst CDATA #IMPLIED>
<!ELEMENT prop (#PCDATA)>
<!ATTLIST prop type CDATA #REQUIRED xml:lang CDATA #IMPLIED o-encoding CDATA #IMPLIED>
<!ELEMENT tu ((note|prop)*, tuv+)>
<!ATTLIST tu tuid CDATA #IMPLIED o-encoding CDATA #IMPLIED datatype CDATA #IMPLIED usagecount CDATA #IMPLIED
  lastusagedate CDATA #IMPLIED creationtool CDATA #IMPLIED creationtoolversion CDATA #IMPLIED
  creationdate CDATA #IMPLIED creationid CDATA #IMPLIED changedate CDATA #IMPLIED segtype (%segtypes;) #IMPLIED
  changeid CDATA #IMPLIED o-tmf CDATA #IMPLIED srclang CDATA #IMPLIED>
<!ELEMENT tuv ((note|prop)*, seg)>
<!ATTLIST tuv xml:lang CDATA #REQUIRED o-encoding CDATA #IMPLIED datatype CDATA #IMPLIED usagecount CDATA #IMPLIED
  lastusagedate CDATA #IMPLIED creationtool CDATA #IMPLIED creationtoolversion CDATA #IMPLIED
  creationdate CDATA #IMPLIED creationid CDATA #IMPLIED changedate CDATA #IMPLIED o-tmf CDATA #IMPLIED
  changeid CDATA #IMPLIED>
<!ELEMENT seg (#PCDATA|bpt|ept|ph|it|hi)*>
<!ELEMENT bpt (#PCDATA)> <!ATTLIST bpt i CDATA #REQUIRED x CDATA #IMPLIED type CDATA #IMPLIED>
<!ELEMENT ept (#PCDATA)> <!ATTLIST ept i CDATA #REQUIRED>
<!ELEMENT it (#PCDATA)> <!ATTLIST it pos (begin|end) #REQUIRED x CDATA #IMPLIED type CDATA #IMPLIED>
<!ELEMENT ph (#PCDATA)> <!ATTLIST ph x CDATA #IMPLIED assoc CDATA #IMPLIED type CDATA #IMPLIED>
<!ELEMENT hi (#PCDATA)> <!ATTLIST hi x CDATA #IMPLIED type CDATA #IMPLIED>
"""
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def test_tmx_is_valid_tmx14_with_one_tu_per_translated_row(tmp_path):
    from lxml import etree

    out = tmp_path / "out"
    write(out, [make_doc("a"), make_doc("b")])
    doc = etree.parse(str(out / "corpus.tmx"))
    dtd = etree.DTD(io.StringIO(TMX14_DTD))
    assert dtd.validate(doc), dtd.error_log.filter_from_errors()
    assert doc.docinfo.doctype == '<!DOCTYPE tmx SYSTEM "tmx14.dtd">' and doc.docinfo.encoding.lower() == "utf-8"
    root = doc.getroot()
    header = root.find("header")
    assert root.get("version") == "1.4"
    assert {k: header.get(k) for k in ("srclang", "adminlang", "segtype", "datatype", "creationtool")} == {
        "srclang": "th", "adminlang": "en", "segtype": "sentence", "datatype": "plaintext", "creationtool": "mt"}
    assert header.findtext("prop[@type='x-model']") == "test/model"
    tus = root.findall("./body/tu")
    assert len(tus) == 6
    assert [tuv.get(XML_LANG) for tuv in tus[1].findall("tuv")] == ["th", "en", "vi"]
    props = {p.get("type"): p.text for p in tus[1].findall("prop")}
    assert props["x-score-align"] == "0.9300" and props["x-relation"] == "translation"
    assert props["x-file"] == "a.txt:6" and props["x-source-url"] == "https://x.vn/a"
    assert {p.get("type"): p.text for p in tus[2].findall("prop")}["x-flags"] == "degenerate:repeat"
    assert tus[2].find("tuv[2]/seg").text == "First <of> & second"  # escaped and round-tripped
    th = (out / "corpus.th").read_text().splitlines()
    en = (out / "corpus.en").read_text().splitlines()
    assert len(th) == len(en) == 6
    broken = etree.fromstring((out / "corpus.tmx").read_bytes().replace(b"<seg>", b"<seg><b>", 1)
                              .replace(b"</seg>", b"</b></seg>", 1))
    assert not dtd.validate(broken)                                  # the check does check


def test_tmx_is_streamed(tmp_path):
    """Every document's translation units are on disk before the next document is written."""
    from mt.write.formats import TmxWriter
    from mt.write.rows import sentence_rows

    tmx = TmxWriter(tmp_path, SIG)
    tmx.write(sentence_rows(make_doc("a")), [])
    assert (tmp_path / "corpus.tmx").read_text(encoding="utf-8").count("<tu ") == 3
    tmx.write(sentence_rows(make_doc("b")), [])
    assert (tmp_path / "corpus.tmx").read_text(encoding="utf-8").count("<tu ") == 6
    tmx.close()
    assert (tmp_path / "corpus.tmx").read_text(encoding="utf-8").endswith("</body></tmx>")


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
    (shard,) = (tmp_path / "data" / "sentences").glob(f"train-*-{writers[0].fingerprint}.parquet")
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


def test_tmx_write_errors_are_os_errors_and_the_file_is_closed(tmp_path, monkeypatch):
    """A full disk while streaming the TMX is an OSError (the writer turns it into OutputError) and
    closing after it still closes the file (a held file keeps a full file system busy)."""
    import builtins
    import errno

    from mt.write.formats import TmxWriter
    from mt.write.rows import sentence_rows

    handles = []
    real_open = builtins.open

    class Full:
        def __init__(self, fh):
            self.fh, self.closed = fh, False

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        def close(self):
            self.closed = True
            self.fh.close()

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.close()

    def fake_open(path, mode="r", *a, **kw):
        fh = real_open(path, mode, *a, **kw)
        if str(path).endswith("corpus.tmx"):
            handles.append(Full(fh))
            return handles[-1]
        return fh

    monkeypatch.setattr(builtins, "open", fake_open)
    tmx = TmxWriter(tmp_path, SIG)
    with pytest.raises(OSError, match="No space left on device"):
        for n in range(200):                     # lxml buffers: the error comes once the buffer is flushed
            tmx.write(sentence_rows(make_doc(f"d{n}")), [])
        tmx.close()
    with pytest.raises(OSError, match="corpus.tmx could not be finished"):
        tmx.close()                              # what CorpusWriter.abort does after the failure
    assert handles and handles[0].closed


def test_tmx_lxml_io_errors_become_os_errors(tmp_path):
    """lxml reports a full disk on a real file as SerialisationError('IO_ENOSPC'): the writer raises the
    OSError (errno ENOSPC) that CorpusWriter turns into its "no space left" OutputError."""
    import errno

    from lxml import etree

    from mt.write.formats import TmxWriter
    from mt.write.rows import sentence_rows

    tmx = TmxWriter(tmp_path, SIG)

    class FullDisk:
        def write(self, *a, **kw):
            raise etree.SerialisationError("IO_ENOSPC")

    tmx._xf = FullDisk()
    with pytest.raises(OSError, match="No space left on device: corpus.tmx could not be written") as info:
        tmx.write(sentence_rows(make_doc("a")), [])
    assert info.value.errno == errno.ENOSPC and info.value.filename.endswith("corpus.tmx")
    tmx.close()


def test_output_filters_drop_rows_with_their_reason_and_keep_the_accounting(tmp_path):
    from mt.write.filters import RowFilters

    out = tmp_path / "out"
    w = CorpusWriter(out, ["jsonl"], SIG, filters=RowFilters(drop_flags=("degenerate",)))
    w.write(make_doc("a"))
    w.finish({})
    rows = [json.loads(x) for x in (out / "corpus.jsonl").read_text().splitlines()]
    filtered = [json.loads(x) for x in (out / "filtered.jsonl").read_text().splitlines()]
    assert [r["id"] for r in filtered] == ["a:7:0"] and filtered[0]["filter_reason"] == "flag degenerate"
    assert "a:7:0" not in {r["id"] for r in rows} and len(rows) == 2
    c = w.counts.as_dict()
    assert c["rows_filtered_by_reason"] == {"flag degenerate": 1}
    assert c["lines_in"] == c["lines_in_corpus"] + c["lines_set_aside"]
    aside = {r["line"]: r["reason"] for r in map(json.loads, (out / "set_aside.jsonl").read_text().splitlines())}
    assert aside[7].startswith("all its rows filtered out ([output] filters): flag degenerate")
    assert "Rows dropped by the run's `[output]` filters" in (out / "README.md").read_text()


def test_output_filters_are_validated_in_the_config():
    from mt.config import load_config

    with pytest.raises(ConfigError, match=r"output.min_scores.*unknown score 'bleu'; scores: align"):
        load_config(None, {"output.min_scores": {"bleu": 0.5}})
    assert load_config(None, {"output.min_scores": {"align": 0.6}}).output.min_scores == {"align": 0.6}
