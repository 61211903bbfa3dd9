"""mt.review: flags, static report, review server (security, persistence, conflicts), export."""
from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from mt.errors import ConfigError, InputError, OutputError  # noqa: E402
from mt.review import build_report, export, row_flags  # noqa: E402
from mt.review.flags import flag_details, numbers, severity  # noqa: E402
from mt.review.sample import sample_rows, write_sample_output  # noqa: E402
from mt.review.store import Conflict, DecisionStore  # noqa: E402

BASE = "http://127.0.0.1:8765"
SAME_ORIGIN = {"Origin": BASE}


def _row(th, en, *, align=None, flags=(), **extra):
    row = {"id": "d:1:1", "doc_id": "d", "file": "d.txt", "line": 1, "kind": "body", "th": th, "en": en,
           "vi": None, "scores": {"align": align}, "flags": list(flags)}
    row.update(extra)
    return row


# ---------------------------------------------------------------- flags -----
@pytest.mark.parametrize("th,en,expected", [
    ("ในปี 2566 เศรษฐกิจเติบโต", "In 2023 the economy grew.", []),                      # Buddhist era
    ("ในปี ๒๕๖๖ เศรษฐกิจเติบโต", "In 2023 the economy grew.", []),                      # Thai digits
    ("ในปี 2566 เศรษฐกิจเติบโต", "In 2024 the economy grew.", ["number_mismatch"]),
    ("มีผู้แทนเกือบ 1,250 คน", "Nearly 1250 delegates attended.", []),                  # separators
    ("มีผู้แทนเกือบ 1,250 คน", "Nearly 1,520 delegates attended.", ["number_mismatch"]),
    ("3 จุดเน้นทางการทูตในปี 2024", "Three diplomatic priorities in 2024", []),         # number word
    ("อัตราเพิ่มขึ้น 3.5 เปอร์เซ็นต์", "The rate rose by 3.50 percent.", []),
    ("เมื่อเวลา 09.30 น. ตามเวลาท้องถิ่น", "At around 9:30 am local time", []),           # times
    ("เมื่อเวลา 09.30 น. ตามเวลาท้องถิ่น", "At around 9:45 am local time", ["number_mismatch"]),
    ("ครอบคลุมพื้นที่ 2.2 ล้านตารางกิโลเมตร", "It covers 2.2 million km2.", []),          # unit suffix
    ("การประชุม COP28 ที่ดูไบ", "the COP28 meeting in Dubai", []),
])
def test_number_flag(th, en, expected):
    assert [f for f in row_flags(_row(th, en)) if f == "number_mismatch"] == expected


FLORES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "flores200" / "dev"


@pytest.mark.skipif(not (FLORES / "tha_Thai.dev").exists(), reason="shared FLORES-200 dev not beside the repo")
def test_flags_rarely_fire_on_human_translations():
    """Human th-en pairs (FLORES-200 dev) are mostly clean; shuffled pairs are caught."""
    import random

    th = (FLORES / "tha_Thai.dev").read_text(encoding="utf-8").splitlines()
    en = (FLORES / "eng_Latn.dev").read_text(encoding="utf-8").splitlines()
    flagged = sum(bool(row_flags({"th": t, "en": e})) for t, e in zip(th, en))
    assert flagged / len(th) < 0.03
    shuffled = en[:]
    random.Random(0).shuffle(shuffled)
    caught = sum(bool(row_flags({"th": t, "en": e})) for t, e in zip(th, shuffled))
    assert caught / len(th) > 0.4


def test_number_details_name_both_sides():
    details = flag_details(_row("ภาคการทูตในปี 2566 และครั้งที่ 32", "the diplomatic sector in 2024 and the 23rd"))
    assert details["number_mismatch"] == "Thai only: 2566, 32; English only: 2024, 23"
    assert numbers("๑,๒๕๐ คน และ 08 ครั้ง") == ["1250", "8"]


def test_latin_names():
    th = "รองนายกรัฐมนตรี Tran Luu Quang เข้าร่วมการประชุม - ภาพ: VGP/Hai Minh"
    assert "latin_missing" not in row_flags(_row(th, "Deputy PM Trần Lưu Quang attends. Photo: VGP/Hải Minh"))
    details = flag_details(_row(th, "The Deputy Prime Minister attends. Photo: VGP"))
    assert details["latin_missing"] == "missing: Tran, Luu, Quang, Hai, Minh"


@pytest.mark.parametrize("en,flag", [
    ("", "untranslated"),
    (None, "untranslated"),
    ("การทูตประชาชนมีส่วนช่วยพัฒนาเศรษฐกิจ", "copied"),
    ("People's diplomacy helps การพัฒนา the economy", "thai_in_en"),
])
def test_untranslated_and_copied(en, flag):
    flags = row_flags(_row("การทูตประชาชนมีส่วนช่วยพัฒนาเศรษฐกิจ", en))
    assert flags[0] == flag


def test_pipeline_flags_become_categories():
    row = _row("เราขอให้ผู้นำติดต่อและแลกเปลี่ยนข้อมูลอย่าง积极", "We ask leaders to exchange information actively.",
               flags=["foreign_fragment", "degenerate_repeat", "something_new"])
    assert row_flags(row) == ["degenerate", "artefact", "upstream_flag"]
    details = flag_details(row)
    assert details["degenerate"] == "degenerate_repeat" and details["upstream_flag"] == "something_new"
    # the translator's own names (mt/translate/guard.py), bookkeeping flags, a pipeline low_align
    row = _row("การประชุมครั้งนี้มีผู้แทนเกือบ 250 คน", "Nearly 250 delegates attended the conference.",
               flags=["degenerate:repeat", "split", "retried", "truncated", "low_align"])
    assert row_flags(row) == ["degenerate", "artefact", "low_align"]
    assert row_flags(_row("การประชุม", "The meeting", flags=["split", "retried"])) == []


def test_low_align_threshold_is_a_parameter():
    row = _row("สหายเล หว้าย จุง กล่าวสุนทรพจน์ในการประชุม", "Comrade Le Hoai Trung speaks at the conference",
               align=0.45, vi="Đồng chí Lê Hoài Trung phát biểu")
    assert "low_align" in row_flags(row)
    assert "low_align" not in row_flags(row, align_threshold=0.4)
    assert "low_align" not in row_flags(_row("ข้อความ", "text", align=None))


def test_length_ratio_outlier():
    th = "การประชุมครั้งนี้มีผู้แทนเกือบสองร้อยห้าสิบคนเข้าร่วมจากทั่วประเทศ"
    assert "length_ratio" in row_flags(_row(th, "Meeting."))
    assert "length_ratio" in row_flags(_row(th, "The conference was attended by delegates. " * 6))
    assert "length_ratio" not in row_flags(_row(th, "Nearly two hundred and fifty delegates from all over the country attended."))


def test_clean_row_tolerant_and_severity_order():
    clean = {"id": "x", "th": "การประชุมได้รับฟังรายงานของ VUFO", "en": "The meeting heard a report from VUFO.",
             "unknown_field": {"nested": [1, 2]}}
    assert row_flags(clean) == []
    assert row_flags({"id": "y"}) == []          # no text at all: nothing to judge
    worst = severity(["untranslated"]), severity(["low_align"], _row("ก", "a", align=0.1))
    assert worst[0] > worst[1] > severity(["low_align"], _row("ก", "a", align=0.49))


# ------------------------------------------------------------- fixtures -----
@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    rows, caps = sample_rows()
    evil = dict(rows[-1], id="002_02c73740b218f54e:18:1", line=18,
                th="ข้อความ </script><script>alert(1)</script> & <b>หนา</b>",
                en="Text </script><script>alert(1)</script> & <b>bold</b>", flags=[])
    return write_sample_output(tmp_path / "out", rows=rows + [evil], captions=caps)


def _digest(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in directory.iterdir() if p.name in ("corpus.jsonl", "captions.jsonl", "manifest.json")}


def _embedded(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="mt-data">(.*?)</script>', html, re.S)
    assert match, "embedded data missing"
    return json.loads(match.group(1))


# --------------------------------------------------------------- report -----
def test_build_report_self_contained(outdir: Path):
    before = _digest(outdir)
    path = build_report(outdir)
    assert path == outdir / "review.html"
    html = path.read_text(encoding="utf-8")
    assert "<script src" not in html and "<link" not in html and "@import" not in html
    assert "default-src 'none'" in html                      # no network from the page
    assert html.count("</script>") == 2                      # data + app; the evil row did not break out
    data = _embedded(html)
    rows, caps = sample_rows()
    unpaired = [c for c in caps if not c["th"]]
    assert len(data["rows"]) == len(rows) + 1 + len(unpaired)
    by_id = {r["i"]: r for r in data["rows"]}
    evil = by_id["002_02c73740b218f54e:18:1"]
    assert evil["e"] == "Text </script><script>alert(1)</script> & <b>bold</b>"
    year = by_id["000_396c13a82e5e0acf:11:1"]
    assert [data["flags"][f] for f in year["f"]] == ["number_mismatch"]
    assert year["x"] == ["Thai only: 2566; English only: 2024"]
    caption = by_id["002_02c73740b218f54e:6:1"]              # Thai caption paired with its Vietnamese line
    assert caption["v"].startswith("Đồng chí Lê Hoài Trung") and caption["a"] == 0.31
    only_vi = by_id["000_396c13a82e5e0acf:vi12"]
    assert only_vi["c"] == 1 and only_vi["t"] == "" and only_vi["ef"] == "vi"
    assert "000_396c13a82e5e0acf:vi5" not in by_id          # carried by its corpus row
    worst = max(data["rows"], key=lambda r: r["s"])
    assert data["flags"][worst["f"][0]] == "untranslated"
    assert [d["id"] for d in data["docs"]] == ["000_396c13a82e5e0acf", "002_02c73740b218f54e"]
    assert _digest(outdir) == before


def test_report_shows_decisions_made_so_far(outdir: Path):
    assert '<select id="status">' not in build_report(outdir).read_text(encoding="utf-8")
    store = DecisionStore(outdir / "review.sqlite")
    store.decide(ROW1, "edited", expected_version=0, edited="... in 2023.")
    html = build_report(outdir).read_text(encoding="utf-8")
    assert '<select id="status">' in html
    assert _embedded(html)["decisions"] == {ROW1: {"status": "edited", "edited": "... in 2023.", "version": 1,
                                                   "at": store.get(ROW1).at}}


def test_report_errors(tmp_path: Path):
    with pytest.raises(InputError, match="no corpus.jsonl"):
        build_report(tmp_path)
    (tmp_path / "corpus.jsonl").write_text('{"id": "a:1:1", "th": "ก", "en": "a"}\n{"id": \n', encoding="utf-8")
    with pytest.raises(InputError, match=r"corpus.jsonl:2: not valid JSON"):
        build_report(tmp_path)
    (tmp_path / "corpus.jsonl").write_text('{"id": "a:1:1"}\n{"id": "a:1:1"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="duplicate row id 'a:1:1'"):
        build_report(tmp_path)


# --------------------------------------------------------------- server -----
@pytest.fixture
def client(outdir: Path):
    from starlette.testclient import TestClient

    from mt.review import create_app

    app = create_app(outdir)
    with TestClient(app, base_url=BASE) as c:
        c.token = app.state.csrf_token
        yield c


def _post(client, row_id, body, **headers):
    h = {"X-CSRF-Token": client.token, **SAME_ORIGIN, **headers}
    return client.post(f"/rows/{row_id}", json=body, headers=h)


ROW1 = "000_396c13a82e5e0acf:11:1"
ROW2 = "002_02c73740b218f54e:8:1"


def test_page_embeds_token_and_decisions(client, outdir):
    r = client.get("/")
    assert r.status_code == 200
    assert f'<meta name="mt-csrf" content="{client.token}">' in r.text
    csp = r.headers["content-security-policy"]
    assert "script-src 'nonce-" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert _embedded(r.text)["decisions"] == {}
    assert _post(client, ROW1, {"action": "accept", "version": 0}).status_code == 200
    assert _embedded(client.get("/").text)["decisions"][ROW1]["status"] == "accepted"
    assert client.get(f"/?row={ROW1}").status_code == 200


def test_accept_reject_edit_persist(client, outdir):
    before = _digest(outdir)
    r = _post(client, ROW1, {"action": "edit", "text": "  ... in 2023.  ", "version": 0})
    assert r.status_code == 200 and r.json()["decision"] == {**r.json()["decision"], "status": "edited",
                                                              "edited": "... in 2023.", "version": 1}
    assert _post(client, ROW2, {"action": "reject", "version": 0}).json()["decision"]["status"] == "rejected"
    assert _post(client, ROW2, {"action": "accept", "version": 1}).json()["decision"]["version"] == 2
    # a new server on the same directory sees the same decisions
    from mt.review import create_app
    from starlette.testclient import TestClient

    with TestClient(create_app(outdir), base_url=BASE) as fresh:
        got = fresh.get(f"/rows/{ROW1}").json()
        assert got["decision"]["edited"] == "... in 2023." and got["flags"]["number_mismatch"]
        assert fresh.get(f"/rows/{ROW2}").json()["decision"]["status"] == "accepted"
    store = DecisionStore(outdir / "review.sqlite")
    assert [h["status"] for h in store.history(ROW2)] == ["rejected", "accepted"]
    seen = store.get(ROW1)                                  # what the reviewer saw is recorded
    assert seen.th_seen.endswith("ในปี 2566") and seen.en_seen.endswith("in 2024.")
    assert _digest(outdir) == before                        # corpus files untouched


def test_two_tabs(client):
    tab_a = _post(client, ROW1, {"action": "edit", "text": "Tab A text", "version": 0})
    tab_b_other = _post(client, ROW2, {"action": "edit", "text": "Tab B text", "version": 0})
    assert tab_a.status_code == 200 and tab_b_other.status_code == 200     # different rows: both kept
    stale = _post(client, ROW1, {"action": "edit", "text": "Tab B overwrite", "version": 0})
    assert stale.status_code == 409
    assert "changed in another tab" in stale.json()["error"]
    assert stale.json()["current"]["edited"] == "Tab A text"
    assert client.get(f"/rows/{ROW1}").json()["decision"]["edited"] == "Tab A text"
    assert client.get(f"/rows/{ROW2}").json()["decision"]["edited"] == "Tab B text"


def test_concurrent_writers(tmp_path: Path):
    store = DecisionStore(tmp_path / "review.sqlite")
    wins, conflicts = [], []

    def same_row(n):
        try:
            wins.append(store.decide("r:1:1", "edited", expected_version=0, edited=f"text {n}"))
        except Conflict:
            conflicts.append(n)

    def other_row(n):
        store.decide(f"r:{n}:1", "accepted", expected_version=0)

    threads = [threading.Thread(target=same_row, args=(n,)) for n in range(8)]
    threads += [threading.Thread(target=other_row, args=(n,)) for n in range(2, 10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1 and len(conflicts) == 7
    decisions = store.all()
    assert len(decisions) == 9 and decisions["r:1:1"].edited == wins[0].edited
    assert len(store.history()) == 9
    import sqlite3

    with sqlite3.connect(tmp_path / "review.sqlite") as conn, pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM history")


def test_csrf_required(client):
    body = {"action": "accept", "version": 0}
    r = client.post(f"/rows/{ROW1}", json=body, headers=SAME_ORIGIN)
    assert r.status_code == 403 and "CSRF" in r.json()["error"]
    r = client.post(f"/rows/{ROW1}", json=body, headers={**SAME_ORIGIN, "X-CSRF-Token": client.token[:-1] + "x"})
    assert r.status_code == 403
    assert client.get(f"/rows/{ROW1}").json()["decision"] is None


def test_foreign_origin_and_host_refused(client):
    body = {"action": "accept", "version": 0}
    assert _post(client, ROW1, body, Origin="http://evil.example").status_code == 403
    assert _post(client, ROW1, body, Origin="null").status_code == 403
    assert _post(client, ROW1, body, **{"Sec-Fetch-Site": "cross-site"}).status_code == 403
    r = client.get("/", headers={"Host": "attacker.example:8765"})        # DNS rebinding
    assert r.status_code == 403
    assert client.get(f"/rows/{ROW1}").json()["decision"] is None
    assert _post(client, ROW1, body).status_code == 200                   # same origin works


def test_oversize_body(client):
    big = {"action": "edit", "text": "x" * (70 * 1024), "version": 0}
    assert _post(client, ROW1, big).status_code == 413

    def chunks():                                                          # no Content-Length
        yield b'{"action": "edit", "version": 0, "text": "'
        for _ in range(80):
            yield b"y" * 1024
        yield b'"}'

    r = client.post(f"/rows/{ROW1}", content=chunks(),
                    headers={"X-CSRF-Token": client.token, **SAME_ORIGIN, "Content-Type": "application/json"})
    assert r.status_code == 413
    assert client.get(f"/rows/{ROW1}").json()["decision"] is None


def test_traversal_and_bad_input(client, outdir):
    listing = sorted(p.name for p in outdir.iterdir())
    for url in ("/rows/..%2F..%2Fetc%2Fpasswd", "/rows/../../etc/passwd", "/rows/%2e%2e/%2e%2e/etc/passwd",
                "/rows/..%2Fcorpus.jsonl", "/static/..%2F..%2Fetc%2Fpasswd", "/corpus.jsonl", "/review.sqlite"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert "root:" not in r.text
    assert client.get("/?row=../../x").status_code == 400
    assert client.get("/?row=..%2F..%2Fetc%2Fpasswd").status_code == 400
    assert _post(client, "..%2F..%2Fetc%2Fpasswd", {"action": "accept", "version": 0}).status_code == 404
    assert _post(client, "000_396c13a82e5e0acf:vi12", {"action": "accept", "version": 0}).status_code == 404
    assert _post(client, ROW1, {"action": "delete", "version": 0}).status_code == 400
    assert _post(client, ROW1, {"action": "edit", "text": "   ", "version": 0}).status_code == 400
    assert _post(client, ROW1, {"action": "accept", "version": "0"}).status_code == 400
    r = client.post(f"/rows/{ROW1}", content=b"not json", headers={"X-CSRF-Token": client.token, **SAME_ORIGIN})
    assert r.status_code == 400
    assert sorted(p.name for p in outdir.iterdir()) == listing


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "example.com", "::"])
def test_non_loopback_bind_needs_flag(outdir, host):
    from mt.review import serve

    with pytest.raises(ConfigError, match=f"refusing to bind the review server to non-loopback host '{re.escape(host)}'"):
        serve(outdir, host=host, port=8765)


def test_loopback_hosts_accepted():
    from mt.review.server import check_bind

    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        check_bind(host, allow_remote=False)
    check_bind("0.0.0.0", allow_remote=True)


# --------------------------------------------------------------- export -----
def test_export(outdir: Path, tmp_path: Path):
    from datasets import load_dataset

    store = DecisionStore(outdir / "review.sqlite")
    store.decide(ROW1, "edited", expected_version=0, edited="The sector's achievements in 2023 <&> praised.")
    store.decide(ROW2, "rejected", expected_version=0)
    store.decide("002_02c73740b218f54e:16:1", "accepted", expected_version=0)
    store.decide("gone:1:1", "accepted", expected_version=0)            # row no longer in the corpus
    store.decide("002_02c73740b218f54e:2:1", "accepted", expected_version=0,
                 th_seen="ข้อความเดิมก่อนรันใหม่", en_seen="an older machine translation")   # re-run since
    before = _digest(outdir)
    target = export(outdir)
    assert target == outdir / "reviewed"
    assert _digest(outdir) == before

    ds = load_dataset(str(target), cache_dir=str(tmp_path / "hf"))["train"]
    assert {"status", "edited", "en_original", "review_flags"} <= set(ds.column_names)
    by_id = {r["id"]: r for r in ds}
    assert len(by_id) == len(sample_rows()[0]) + 1
    edited = by_id[ROW1]
    assert edited["status"] == "edited" and edited["edited"] is True
    assert edited["en"] == "The sector's achievements in 2023 <&> praised."
    assert edited["en_original"].endswith("diplomatic sector in 2024.")
    assert edited["translation"] == {"th": edited["th"], "en": edited["en"], "vi": None}   # the reviewer's English
    assert by_id[ROW2]["status"] == "rejected" and by_id[ROW2]["edited"] is False
    assert sum(r["status"] == "unreviewed" for r in ds) == len(by_id) - 4
    assert [r["id"] for r in ds if r["review_stale"]] == ["002_02c73740b218f54e:2:1"]
    caps = load_dataset(str(target), "captions", cache_dir=str(tmp_path / "hf"))["train"]
    assert len(caps) == len(sample_rows()[1])

    card = (target / "README.md").read_text(encoding="utf-8")
    for line in ("| reviewed | 4 |", "| accepted | 2 |", "| rejected | 1 |", "| edited | 1 |",
                 f"| unreviewed | {len(by_id) - 4} |", "1 decision(s) in review.sqlite",
                 "1 decision(s) were made on a different Thai or English text"):
        assert line in card

    lines = (target / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[3])["id"] == ROW1 and json.loads(lines[3])["status"] == "edited"

    root = ET.parse(target / "corpus.tmx").getroot()
    assert root.get("version") == "1.4" and root.find("header").get("srclang") == "th"
    tus = {tu.get("tuid"): tu for tu in root.iter("tu")}
    assert ROW2 not in tus                                              # rejected
    assert "000_396c13a82e5e0acf:17:1" not in tus                       # no English
    segs = {tuv.get("{http://www.w3.org/XML/1998/namespace}lang"): tuv.findtext("seg") for tuv in tus[ROW1].iter("tuv")}
    assert segs["en"] == "The sector's achievements in 2023 <&> praised." and segs["th"].endswith("2566")
    evil = tus["002_02c73740b218f54e:18:1"]
    assert "</script>" in evil.find("tuv[@{http://www.w3.org/XML/1998/namespace}lang='th']/seg").text


def test_export_refuses_to_overwrite_the_corpus(outdir: Path, tmp_path: Path):
    with pytest.raises(OutputError, match="the export directory is the output directory itself"):
        export(outdir, to=outdir)
    other = write_sample_output(tmp_path / "other")
    with pytest.raises(OutputError, match="holds a pipeline output"):
        export(outdir, to=other)
    target = export(outdir, to=tmp_path / "x" / "reviewed")               # no review.sqlite: all unreviewed
    assert "| reviewed | 0 |" in (target / "README.md").read_text(encoding="utf-8")
    assert not (outdir / "review.sqlite").exists()



def test_two_exports_with_the_same_card_load_their_own_rows(tmp_path: Path):
    """datasets caches a local folder by its card's configs: two reviewed/ folders of the same
    corpus, and a re-export into the same folder, must each load their own rows."""
    from datasets import load_dataset

    one, two = write_sample_output(tmp_path / "a" / "out"), write_sample_output(tmp_path / "b" / "out")
    DecisionStore(two / "review.sqlite").decide(ROW2, "rejected", expected_version=0)
    cache = str(tmp_path / "hf")                                       # one cache, as on a real machine

    def statuses(directory: Path) -> dict[str, str]:
        return {r["id"]: r["status"] for r in load_dataset(str(directory), cache_dir=cache)["train"]}

    assert statuses(export(one))[ROW2] == "unreviewed"
    assert statuses(export(two))[ROW2] == "rejected"
    store = DecisionStore(one / "review.sqlite")
    store.decide(ROW1, "edited", expected_version=0, edited="Re-exported.")
    got = statuses(export(one))                                       # re-export into the same folder
    assert got[ROW1] == "edited" and got[ROW2] == "unreviewed"
    assert load_dataset(str(one / "reviewed"), cache_dir=cache)["train"].filter(
        lambda r: r["id"] == ROW1)[0]["en"] == "Re-exported."
    assert len(list((one / "reviewed" / "data" / "sentences").glob("*.parquet"))) == 1   # no stale shard left



def test_export_replaces_only_an_export_and_keeps_extra_columns(outdir: Path, tmp_path: Path):
    """The export swaps a whole directory: it refuses one holding other files (and leaves them);
    a corpus.jsonl column the corpus schema lacks is kept (as JSON text when its types are mixed)."""
    import pyarrow.parquet as pq

    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match=r"holds other files \(notes.txt\)"):
        export(outdir, to=busy)
    assert [p.name for p in busy.iterdir()] == ["notes.txt"]
    rows = [json.loads(x) for x in (outdir / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    rows[0]["topic"], rows[1]["topic"], rows[2]["note"] = "politics", 7, "checked"
    (outdir / "corpus.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                         encoding="utf-8")
    target = export(outdir)
    assert not [p for p in outdir.iterdir() if ".tmp-" in p.name or ".old-" in p.name]
    (shard,) = (target / "data" / "sentences").glob("*.parquet")
    table = pq.read_table(shard)
    assert table.column("topic").to_pylist()[:3] == ['"politics"', "7", None]
    assert table.column("note").to_pylist()[2] == "checked"
    rows[2]["line"] = "three"                                          # a corpus column of the wrong type
    (outdir / "corpus.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                         encoding="utf-8")
    with pytest.raises(InputError, match="does not fit the corpus schema"):
        export(outdir)
    assert pq.read_table(shard).num_rows == len(rows)                  # the previous export is untouched
    assert not [p for p in outdir.iterdir() if ".tmp-" in p.name]      # nor is a half-written one left


# ------------------------------------------------- with the real writer -----
def test_report_and_export_from_the_real_writer(tmp_path: Path):
    """Docs -> mt.write.CorpusWriter (the pipeline's sink, with the report built from its
    temporary directory as the pipeline does) -> review.html and export work on its files."""
    from mt.records import Doc, Line, Unit, ViLine
    from mt.write import CorpusWriter

    th_title = "คณะกรรมาธิการการต่างประเทศกลางจัดการประชุมเพื่อทบทวนงานในปี 2566"
    th_cap = "สหายเล หว้าย จุง กล่าวสุนทรพจน์ในการประชุม (ที่มา: VNA)"
    th_body = "การประชุมครั้งนี้มีผู้แทนเกือบ 250 คน"
    vi_cap = "Đồng chí Lê Hoài Trung phát biểu chỉ đạo hội nghị. (Nguồn: TTXVN)"
    doc = Doc(
        doc_id="002_02c73740b218f54e", file="002_02c73740b218f54e.txt", format="txt",
        lines=[Line(1, th_title, "title", "th"), Line(2, vi_cap, "caption_vi", "vi"),
               Line(3, th_cap, "caption_th", "th"), Line(4, th_body, "body", "th")],
        meta={"publication": "Báo Quốc Tế", "date": "2024-01-03", "title_th": th_title},
        units=[Unit("002_02c73740b218f54e:1:1", 1, "title", 0, len(th_title), th_title,
                    en="The Central Foreign Affairs Commission holds a conference to review work in 2023"),
               Unit("002_02c73740b218f54e:3:1", 3, "caption_th", 0, len(th_cap), th_cap,
                    en="Comrade Le Hoai Trung speaks at the conference (Source: VNA)", vi=vi_cap, vi_line=2,
                    relation="translation", scores={"align": 0.35}),
               Unit("002_02c73740b218f54e:4:1", 4, "body", 0, len(th_body), th_body,
                    en="Nearly 205 delegates attended the conference.")],
        vi_lines=[ViLine(2, vi_cap, vi_cap, relation="translation", th_line=3, th=th_cap, score=0.35,
                         en_from_th="Comrade Le Hoai Trung speaks at the conference (Source: VNA)")],
    )
    out = tmp_path / "smoke"
    writer = CorpusWriter(out, ["parquet", "jsonl", "tmx"], signature={})
    writer.write(doc)
    writer.finish({"mt_version": "test", "config": {"output": {"dir": "outputs/smoke"}}},
                  after_files=build_report)
    html = (out / "review.html").read_text(encoding="utf-8")
    data = _embedded(html)
    assert data["title"] == "smoke"
    by_id = {r["i"]: r for r in data["rows"]}
    assert set(by_id) == {"002_02c73740b218f54e:1:1", "002_02c73740b218f54e:3:1", "002_02c73740b218f54e:4:1"}
    assert by_id["002_02c73740b218f54e:3:1"]["v"] == vi_cap                  # caption paired, not duplicated
    assert [data["flags"][f] for f in by_id["002_02c73740b218f54e:3:1"]["f"]] == ["low_align"]
    assert [data["flags"][f] for f in by_id["002_02c73740b218f54e:4:1"]["f"]] == ["number_mismatch"]
    target = export(out, to=tmp_path / "reviewed")
    rows = [json.loads(line) for line in (target / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["status"] for r in rows] == ["unreviewed"] * 3


def test_report_needs_no_review_extra(outdir: Path, monkeypatch):
    """build_report works without starlette/uvicorn; the server names the pip install."""
    import subprocess
    import sys

    code = ("import sys; from pathlib import Path; from mt.review import build_report; "
            f"build_report(Path({str(outdir)!r})); print(sorted(m for m in ('starlette', 'uvicorn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "[]"
    from mt.errors import MissingExtraError
    from mt.review import create_app

    monkeypatch.setitem(sys.modules, "starlette", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'mt\[review\]'"):
        create_app(outdir)


def test_damaged_review_database(outdir: Path):
    from mt.review import create_app

    (outdir / "review.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(OutputError, match="cannot initialise the review database"):
        create_app(outdir)
    with pytest.raises(InputError, match="cannot read the review database"):
        export(outdir)
    with pytest.raises(InputError, match="cannot read the review database"):
        build_report(outdir)


def test_decisions_on_changed_rows_are_marked_stale_after_a_rerun(outdir: Path, tmp_path: Path):
    """review.sqlite stays in OUTPUT_DIR across re-runs (the writer never moves it, see test_reliability.py);
    a decision whose row text changed since the reviewer saw it is exported as stale."""
    store = DecisionStore(outdir / "review.sqlite")
    store.decide(ROW1, "edited", expected_version=0, edited="kept", th_seen="old th", en_seen="old en")
    write_sample_output(outdir)                      # the corpus files again, as a re-run writes them
    assert DecisionStore(outdir / "review.sqlite").get(ROW1).edited == "kept"
    rows = [json.loads(x) for x in (export(outdir) / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows if r["review_stale"]] == [ROW1]
