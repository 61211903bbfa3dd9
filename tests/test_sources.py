"""Sources of a run (mt.sources): page folders, JSONL(.gz), Parquet, WARC(.gz), Hugging Face datasets, fsspec URLs.

Every fixture is built here in tmp_path (or in fsspec's memory file system); nothing is committed.
"""
from __future__ import annotations

import gzip
import io
import json
import os
import pickle
import sys
from pathlib import Path

import pytest

import mt.sources as S
from mt.config import InputConfig, RunConfig, config_from_dict
from mt.errors import ConfigError, MissingExtraError
from mt.read import find_inputs, read_doc
from mt.sources import Sources, iter_sources, read_source, read_sources
from mt.steps import ParseStep, ReadStep

ROOT = Path(__file__).resolve().parents[1]
SEED = (ROOT / "seeds" / "002_02c73740b218f54e.txt").read_text(encoding="utf-8")
HTML = "<html><body><h1>หัวข้อข่าวทดสอบ</h1><p>เนื้อหาข่าวภาษาไทยที่ยาวพอสมควร</p></body></html>"


def cfg(paths, **kw) -> InputConfig:
    return InputConfig(paths=[str(p) for p in paths], **kw)


def docs_of(config: InputConfig) -> list:
    return list(read_sources(iter_sources(config), config))


# -- page folders: today's find_inputs, unchanged -----------------------------------------------------------

def _tree(root: Path) -> Path:
    pages = root / "pages"
    (pages / "a").mkdir(parents=True)
    (pages / "sub" / "deeper").mkdir(parents=True)
    (pages / "d.txt").mkdir()                                   # a folder that matches a pattern
    for name, text in [("x.txt", SEED), ("x.md", "# หัวข้อ\n"), ("a b.txt", "ก\n"), ("a__b.txt", "ข\n"),
                       ("a/b.txt", "ค\n"), ("a-c.txt", "ง\n"), ("sub/deeper/p.html", HTML), ("sub/q.htm", HTML),
                       ("empty.txt", ""), ("z.json", "{}"), ("d.txt/inner.txt", "จ\n")]:
        (pages / name).write_text(text, encoding="utf-8")
    (pages / "bad.txt").write_bytes("ข่าว".encode("tis-620") + b"\n")
    os.symlink(pages / "x.txt", pages / "link-to-x.txt")
    os.symlink(pages / "missing.txt", pages / "dangling.txt")
    return pages


def test_folder_sources_equal_find_inputs_ids_order_and_docs(tmp_path):
    pages = _tree(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.txt").write_text("อื่น\n", encoding="utf-8")
    for paths in ([pages], [pages, other], [other, pages / "a" / "b.txt"], [pages, pages / "sub"],
                  [pages / "sub", pages, pages]):
        config = cfg(paths)
        old = find_inputs(config.paths, config.patterns)
        new = list(iter_sources(config))
        assert [(s.name, s.doc_id) for s in new] == [(f.name, f.doc_id) for f in old]
        assert all(s.kind == "file" and s.path == str(f.path) for s, f in zip(new, old))
        assert [read_source(s) for s in new] == [read_doc(*f) for f in old]
        assert len(Sources(config)) == len(old)
    ids = [s.doc_id for s in iter_sources(cfg([pages]))]
    assert sum(i.startswith("a__b~") for i in ids) == 3          # "a b.txt", "a__b.txt", "a/b.txt" collide
    assert "link-to-x" in ids and "x" in ids and "x~" not in "".join(ids)   # link and target: one page
    assert len(set(ids)) == len(ids) and ids == [s.doc_id for s in iter_sources(cfg([pages]))]


def test_missing_input_path_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="input path does not exist"):
        list(iter_sources(cfg([tmp_path / "nope"])))
    with pytest.raises(ConfigError, match="input path does not exist"):
        list(iter_sources(cfg([tmp_path / "nope.jsonl"])))


# -- JSONL ---------------------------------------------------------------------------------------------

def _jsonl_lines() -> list[bytes]:
    good = [{"id": "a/1", "url": "https://x.test/1", "html": HTML, "date": "2024-05-01"},
            {"id": 7, "text": SEED},
            {"markdown": "# หัวข้อ\n\nย่อหน้า\n", "url": "https://x.test/3"}]
    lines = [json.dumps(r, ensure_ascii=False).encode() for r in good]
    lines += [b'{"id": "broken", "text": ',                       # 3: not JSON
              b'{"id": "latin", "text": "' + "ข่าว".encode("tis-620") + b'"}',   # 4: not UTF-8
              b'{"id": "empty", "text": "  "}',                   # 5: empty
              b'{"id": "nofield", "body": "x"}',                  # 6: missing field
              b'{"id": "num", "text": 12}',                       # 7: not text
              b'[1, 2]',                                          # 8: not an object
              '{"id": "a/1", "text": "ซ้ำ"}'.encode()]                    # 9: repeated id
    return lines[:3] + [b"", b"   "] + lines[3:]                  # blank lines are not records


def test_jsonl_records_and_bad_records(tmp_path):
    path = tmp_path / "crawl.jsonl"
    path.write_bytes(b"\n".join(_jsonl_lines()) + b"\n")
    config = cfg([path])
    sources = list(iter_sources(config))
    assert [s.doc_id for s in sources] == ["crawl~a__1", "crawl~7", "crawl~2", "crawl~3", "crawl~4",
                                           "crawl~empty", "crawl~nofield", "crawl~num", "crawl~8", "crawl~a__1~9"]
    assert [s.index for s in sources] == list(range(10)) and all(s.format == "jsonl" for s in sources)
    docs = docs_of(config)
    assert [d.format for d in docs[:3]] == ["html", "txt", "md"]
    assert docs[1].raw_lines == SEED.splitlines() and not docs[1].problems
    assert docs[0].meta["source"] == {"container": str(path), "format": "jsonl", "index": 0, "offset": 0,
                                      "url": "https://x.test/1"}
    assert docs[0].meta["source_url"] == "https://x.test/1" and docs[0].meta["date"] == "2024-05-01"
    errors = {d.file: d.problems[0]["error"] for d in docs if d.problems}
    assert all(p["line"] is None for d in docs[3:9] for p in d.problems)
    assert errors[f"{path}#3"].startswith("not decodable: not JSON")
    assert errors[f"{path}#4"].startswith("not decodable: not UTF-8 (byte 0x")
    assert errors[f"{path}#5"] == "empty record (no text)"
    assert errors[f"{path}#6"].startswith("missing field: none of 'html', 'markdown', 'text'")
    assert errors[f"{path}#7"] == "field 'text' is int, not text"
    assert errors[f"{path}#8"] == "not decodable: a JSON list, not an object"
    assert docs[9].raw_lines == ["ซ้ำ"] and set(errors) == {f"{path}#{i}" for i in range(3, 9)}


def test_jsonl_gz_configured_fields_and_rereading_elsewhere(tmp_path):
    path = tmp_path / "part-0001.jsonl.gz"
    recs = [{"key": f"k{i}", "link": f"https://x.test/{i}", "body_html": f"<p>ย่อหน้าที่ {i}</p>"} for i in range(50)]
    path.write_bytes(gzip.compress("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs).encode()))
    config = cfg([path], id_field="key", url_field="link", html_field="body_html")
    sources = list(iter_sources(config))
    assert [s.doc_id for s in sources] == [f"part-0001~k{i}" for i in range(50)]
    # a worker gets pickled sources in any order and re-reads each by its byte offset
    shuffled = pickle.loads(pickle.dumps(sources[::-1]))
    docs = {d.doc_id: d for d in read_sources(shuffled, config)}
    assert [docs[s.doc_id].raw_lines for s in sources] == [[f"<p>ย่อหน้าที่ {i}</p>"] for i in range(50)]
    assert docs["part-0001~k3"].meta["source_url"] == "https://x.test/3"
    assert len(Sources(config)) == 50


class _CountingRaw(io.RawIOBase):
    """A file that counts the bytes read from it."""

    def __init__(self, path: Path):
        self.f = open(path, "rb")
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.f.read(len(buffer))
        buffer[: len(data)] = data
        self.bytes_read += len(data)
        return len(data)

    def close(self) -> None:
        self.f.close()
        super().close()


def test_listing_is_lazy_one_source_reads_a_small_part_of_a_big_jsonl(tmp_path, monkeypatch):
    path = tmp_path / "big.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(10_000):
            fh.write(json.dumps({"id": i, "text": f"หน้าที่ {i} " + "ข่าว" * 20}, ensure_ascii=False) + "\n")
    size = path.stat().st_size
    raw = _CountingRaw(path)
    monkeypatch.setattr(S, "_open", lambda p, compression=None: io.BufferedReader(raw))
    it = iter_sources(cfg([path]))
    first = next(it)
    assert first.doc_id == "big~0" and 0 < raw.bytes_read < size / 20, (raw.bytes_read, size)
    assert next(it).doc_id == "big~1"
    it.close()


# -- Parquet ---------------------------------------------------------------------------------------------

def test_parquet_row_groups_rows_and_bad_rows(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = [f"ย่อหน้าที่ {i}\nบรรทัดที่สอง" for i in range(25)]
    texts[4], texts[9] = "", None
    table = pa.table({"id": [f"r{i}" for i in range(25)], "url": [f"https://x.test/{i}" for i in range(25)],
                      "text": texts})
    path = tmp_path / "pages.parquet"
    pq.write_table(table, path, row_group_size=10)
    config = cfg([path])
    sources = list(iter_sources(config))
    assert [(s.row_group, s.offset) for s in sources[9:12]] == [(0, 9), (1, 0), (1, 1)]
    assert [s.doc_id for s in sources] == [f"pages~r{i}" for i in range(25)]
    docs = list(read_sources(pickle.loads(pickle.dumps(sources)), config))
    assert docs[21].raw_lines == ["ย่อหน้าที่ 21", "บรรทัดที่สอง"] and docs[21].meta["source_url"] == "https://x.test/21"
    assert docs[4].problems[0]["error"] == "empty record (no text)"
    assert docs[9].problems[0]["error"].startswith("missing field")
    assert read_source(sources[17], config).raw_lines == docs[17].raw_lines    # one row alone
    assert len(Sources(config)) == 25


# -- WARC -------------------------------------------------------------------------------------------------

def _warc(path: Path) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=str(path).endswith(".gz"))
        for i, (status, ctype, body) in enumerate([
                ("200 OK", "text/html; charset=utf-8", HTML.encode()),
                ("200 OK", "text/html; charset=tis-620", "<p>ข่าวไทย</p>".encode("tis-620")),
                ("200 OK", "image/png", b"\x89PNG\r\n"),
                ("404 Not Found", "text/html", b"<p>gone</p>"),
                ("200 OK", "text/html", b"")]):
            headers = StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record(f"https://x.test/{i}", "request",
                                                payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n")))
            w.write_record(w.create_warc_record(f"https://x.test/{i}", "response", payload=io.BytesIO(body),
                                                http_headers=headers))


@pytest.mark.parametrize("name", ["crawl.warc.gz", "crawl.warc"])
def test_warc_responses_with_html(tmp_path, name):
    pytest.importorskip("warcio")
    path = tmp_path / name
    _warc(path)
    config = cfg([path])
    sources = list(iter_sources(config))
    assert [s.url for s in sources] == [f"https://x.test/{i}" for i in range(5)]   # requests are not pages
    assert [s.doc_id for s in sources] == [f"crawl~{i}" for i in range(5)]
    docs = list(read_sources(pickle.loads(pickle.dumps(sources[::-1])), config))[::-1]
    assert docs[0].format == "html" and docs[0].raw_lines == [HTML] and docs[0].meta["source_url"] == "https://x.test/0"
    assert docs[1].raw_lines == ["<p>ข่าวไทย</p>"] and not docs[1].problems      # charset of the response
    assert docs[2].problems[0]["error"] == "not HTML (Content-Type: image/png)"
    assert docs[3].problems[0]["error"] == "HTTP 404, not a page"
    assert docs[4].problems[0]["error"] == "empty record (no text)"
    assert docs[2].file == f"{path}#2" and docs[2].problems[0]["line"] is None
    assert docs[0].meta["date"] and docs[0].meta["source"]["offset"] == sources[0].offset > 0
    assert len(Sources(config)) == 5


def test_corrupt_container_is_a_problem_after_the_records_before_it(tmp_path):
    path = tmp_path / "cut.jsonl.gz"
    data = gzip.compress(b"".join(json.dumps({"text": f"หน้า {i}"}).encode() + b"\n" for i in range(2000)))
    path.write_bytes(data[: len(data) // 2])          # a copy cut off in the middle
    docs = docs_of(cfg([path]))
    assert len(docs) > 1 and all(not d.problems for d in docs[:-1])
    assert docs[-1].problems[0]["error"].startswith(f"the container cannot be read from record {len(docs) - 1} on")


def test_missing_warcio_names_the_extra(tmp_path, monkeypatch):
    path = tmp_path / "x.warc.gz"
    path.write_bytes(b"")
    monkeypatch.setitem(sys.modules, "warcio.archiveiterator", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'mt\[warc\]'"):
        list(iter_sources(cfg([path])))


# -- Hugging Face datasets, fsspec URLs --------------------------------------------------------------------

def test_hugging_face_dataset_from_a_local_folder(tmp_path, monkeypatch):
    datasets = pytest.importorskip("datasets")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = tmp_path / "thai_news"
    (folder / "data").mkdir(parents=True)
    datasets.Dataset.from_dict({"id": ["n1", "n2", "n3"], "url": ["https://x.test/1", None, "https://x.test/3"],
                                "markdown": ["# หัวข้อ\n\nย่อหน้า", "", "บรรทัด"]}).to_parquet(folder / "data" / "train.parquet")
    config = cfg([folder], format="hf")
    sources = list(iter_sources(config))
    assert [s.doc_id for s in sources] == ["thai_news~n1", "thai_news~n2", "thai_news~n3"]
    docs = list(read_sources(pickle.loads(pickle.dumps(sources)), config))
    assert docs[0].format == "md" and docs[0].raw_lines == ["# หัวข้อ", "", "ย่อหน้า"]
    assert docs[1].problems[0]["error"] == "empty record (no text)" and docs[1].file == f"{folder}#1"
    assert docs[2].meta["source"] == {"container": str(folder), "format": "hf", "index": 2, "url": "https://x.test/3"}
    assert [s.doc_id for s in iter_sources(cfg([f"hf:{folder}"]))] == [s.doc_id for s in sources]
    with pytest.raises(ConfigError, match="cannot load the Hugging Face dataset"):
        list(iter_sources(cfg([tmp_path / "nothing"], format="hf")))


def test_memory_fsspec_folder_and_jsonl():
    import fsspec

    fs = fsspec.filesystem("memory")
    fs.pipe({"/mtsrc/pages/b.txt": SEED.encode(), "/mtsrc/pages/a/p.html": HTML.encode(),
             "/mtsrc/pages/bad.txt": b"\xff\xfe\x00\x00" * 50, "/mtsrc/pages/skip.json": b"{}",
             "/mtsrc/recs.jsonl": b'{"id": 1, "text": "\\u0e02\\u0e48\\u0e32\\u0e27"}\n{"id": 2}\n'})
    try:
        config = cfg(["memory://mtsrc/pages", "memory://mtsrc/recs.jsonl"])
        sources = list(iter_sources(config))
        assert [(s.name, s.doc_id) for s in sources[:3]] == [("a/p.html", "a__p"), ("b.txt", "b"), ("bad.txt", "bad")]
        docs = docs_of(config)
        assert docs[0].format == "html" and docs[0].raw_lines == [HTML]
        assert docs[1].raw_lines == SEED.splitlines() and docs[2].problems
        assert [d.doc_id for d in docs[3:]] == ["recs~1", "recs~2"] and docs[3].raw_lines == ["ข่าว"]
        assert docs[4].problems[0]["error"].startswith("missing field")
        assert len(Sources(config)) == 5 and Sources(config)
    finally:
        fs.rm("/mtsrc", recursive=True)


def test_file_url_is_read_as_the_local_path(tmp_path):
    (tmp_path / "p.txt").write_text(SEED, encoding="utf-8")
    assert [read_source(s) for s in iter_sources(cfg([f"file://{tmp_path}"]))] == \
        [read_doc(*f) for f in find_inputs([tmp_path], ["*.txt"])]


def test_declared_format_reads_a_folder_of_containers(tmp_path):
    for i in range(3):
        (tmp_path / f"shard-{i}.jsonl").write_text(json.dumps({"text": f"หน้า {i}"}) + "\n", encoding="utf-8")
    (tmp_path / "note.txt").write_text("ไม่ใช่\n", encoding="utf-8")
    assert [s.doc_id for s in iter_sources(cfg([tmp_path], format="jsonl"))] == ["shard-0~0", "shard-1~0", "shard-2~0"]
    assert [s.doc_id for s in iter_sources(cfg([tmp_path]))] == ["note"]       # auto: a folder is page files
    with pytest.raises(ConfigError, match="unknown input format 'csv'"):
        config_from_dict({"input": {"format": "csv"}})


# -- the steps ----------------------------------------------------------------------------------------------

def test_read_and_parse_steps_keep_the_provenance(tmp_path):
    page_with_source = (ROOT / "seeds" / "001_51c23821779e26be.txt").read_text(encoding="utf-8")   # "ที่มา: https://..."
    path = tmp_path / "r.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in [
        {"id": "own", "url": "https://record.test/own", "text": page_with_source},
        {"id": "none", "url": "https://record.test/none", "text": "หัวข้อข่าวทดสอบ\nเนื้อหาข่าวภาษาไทยที่ยาวพอสมควร"}]),
        encoding="utf-8")
    config = RunConfig(input=cfg([path]))
    docs = list(ParseStep(config).run(ReadStep(config).run(Sources(config.input))))
    own, none = docs
    assert none.meta["source_url"] == "https://record.test/none"
    assert own.meta["source_url"].startswith("https://baoninhbinh.org.vn/")     # the page's own wins
    assert own.meta["source"]["url"] == "https://record.test/own" and own.meta["source"]["index"] == 0


def _run_jsonl(tmp_path: Path, where: str):
    from mt.config import load_config
    from mt.pipeline import run_pipeline

    seeds = sorted((ROOT / "seeds").glob("*.txt"))[:2]
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in [
        {"id": "s0", "url": "https://record.test/0", "text": seeds[0].read_text(encoding="utf-8")},
        {"id": "s1", "url": "https://record.test/1", "markdown": seeds[1].read_text(encoding="utf-8")},
        {"id": "bad", "text": ""}]).encode()
    if where == "memory":
        import fsspec

        path = "memory://mtrun/pages.jsonl"
        fsspec.filesystem("memory").pipe("/mtrun/pages.jsonl", data)
    else:
        path = str(tmp_path / "pages.jsonl")
        Path(path).write_bytes(data)
    config = load_config(ROOT / "configs" / "smoke.toml", {
        "input.paths": [path], "output.dir": str(tmp_path / "out"), "translate.cache": str(tmp_path / "c.sqlite"),
        "quiet": True, "review.build": False})
    return path, config, run_pipeline(config)


@pytest.mark.parametrize("where", ["local", "memory"])
def test_run_on_a_jsonl_file_with_no_further_flags(tmp_path, tiny_model_dir, where):
    from mt.pipeline import run_pipeline

    path, config, result = _run_jsonl(tmp_path, where)
    assert result.exit_code == 3 and result.counts["docs"] == 3 and result.counts["input_problems"] == 1
    problems = [json.loads(x) for x in (result.output_dir / "problems.jsonl").read_text().splitlines()]
    assert [(p["file"], p["line"]) for p in problems] == [(f"{path}#2", None)]
    rows = [json.loads(x) for x in (result.output_dir / "corpus.jsonl").read_text().splitlines()]
    assert {r["doc_id"] for r in rows} == {"pages~s0", "pages~s1"}
    assert {r["file"] for r in rows} == {f"{path}#0", f"{path}#1"}
    urls = {r["doc_id"]: r["source_url"] for r in rows}
    assert urls["pages~s0"] == "https://record.test/0"                  # the page names no source: the record's
    assert urls["pages~s1"].startswith("https://baoninhbinh.org.vn/")    # the page's own "ที่มา:" line wins
    assert run_pipeline(config).up_to_date                               # the digest covers a URL input too
    if where == "memory":
        import fsspec

        fsspec.filesystem("memory").rm("/mtrun", recursive=True)


def test_digest_follows_the_records_of_a_declared_format_folder(tmp_path):
    from mt.run import run_digest

    (tmp_path / "in").mkdir()
    shard = tmp_path / "in" / "a.jsonl"
    shard.write_text('{"text": "หน้า"}\n', encoding="utf-8")
    config = RunConfig(input=cfg([tmp_path / "in"], format="jsonl"))
    before = run_digest(config)
    shard.write_text('{"text": "หน้าอื่น"}\n', encoding="utf-8")
    assert run_digest(config) != before
