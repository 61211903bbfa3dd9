"""Review page additions: undo (store and server), export from the served page, score histograms,
the severity explanation. The browser side is in test_review_browser_ux.py."""
from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from mt.review import build_report  # noqa: E402
from mt.review.flags import SEVERITY  # noqa: E402
from mt.review.histogram import bin_counts, histogram_svg, score_values  # noqa: E402
from mt.review.sample import sample_rows  # noqa: E402
from mt.review.store import Conflict, DecisionStore  # noqa: E402
from test_review import client, outdir  # noqa: E402,F401  (fixtures: the sample corpus + one row with markup)

BASE = "http://127.0.0.1:8765"
ROW1 = "000_396c13a82e5e0acf:11:1"
ROW2 = "002_02c73740b218f54e:8:1"
SVG = "{http://www.w3.org/2000/svg}"


# ----------------------------------------------------------------- undo -----
def test_undo_walks_back_through_the_changes(tmp_path: Path):
    store = DecisionStore(tmp_path / "review.sqlite")
    store.decide("r:1:1", "accepted", expected_version=0)
    store.decide("r:1:1", "edited", expected_version=1, edited="better")
    back = store.undo("r:1:1", expected_version=2)
    assert (back.status, back.edited, back.version) == ("accepted", None, 3)
    assert store.get("r:1:1") == back
    assert store.undo("r:1:1", expected_version=3) is None and store.get("r:1:1") is None   # unreviewed again
    with pytest.raises(Conflict, match="has no decision any more"):
        store.undo("r:1:1", expected_version=0)                       # nothing left to undo
    again = store.decide("r:1:1", "rejected", expected_version=0)
    assert again.version == 5                                         # versions keep growing
    assert [h["status"] for h in store.history("r:1:1")] == ["accepted", "edited", "undo", "undo", "rejected"]


def test_undo_of_a_stale_version_is_refused(tmp_path: Path):
    store = DecisionStore(tmp_path / "review.sqlite")
    store.decide("r:1:1", "accepted", expected_version=0)             # tab A
    store.decide("r:1:1", "rejected", expected_version=1)             # tab B
    with pytest.raises(Conflict, match="changed in another tab"):
        store.undo("r:1:1", expected_version=1)                       # tab A's undo: B changed it since
    assert store.get("r:1:1").status == "rejected"
    store.undo("r:1:1", expected_version=2)
    with pytest.raises(Conflict):                                     # a tab that saw version 1 before the undo
        store.decide("r:1:1", "edited", expected_version=1, edited="x")


# --------------------------------------------------------------- server -----
def _post(client, url, body, **headers):
    return client.post(url, json=body, headers={"X-CSRF-Token": client.token, "Origin": BASE, **headers})


def test_server_undo(client):
    assert _post(client, f"/rows/{ROW1}", {"action": "reject", "version": 0}).status_code == 200
    assert _post(client, f"/undo/{ROW1}", {"version": 1}, **{"X-CSRF-Token": "wrong"}).status_code == 403
    assert _post(client, f"/undo/{ROW1}", {"version": 0}).status_code == 409
    assert _post(client, "/undo/no-such-row", {"version": 1}).status_code == 404
    assert _post(client, "/undo/000_396c13a82e5e0acf:vi12", {"version": 1}).status_code == 404   # read-only
    r = _post(client, f"/undo/{ROW1}", {"version": 1})
    assert r.status_code == 200 and r.json() == {"ok": True, "decision": None}
    assert client.get(f"/rows/{ROW1}").json()["decision"] is None


def test_server_export(client, outdir: Path):
    assert _post(client, "/export", {}, **{"X-CSRF-Token": ""}).status_code == 403
    assert not (outdir / "reviewed").exists()
    _post(client, f"/rows/{ROW2}", {"action": "reject", "version": 0})
    r = _post(client, "/export", {"drop_rejected": True})
    assert r.status_code == 200
    got = r.json()
    n_rows = len(sample_rows()[0]) + 1                                # + the markup row of the fixture
    assert got == {"ok": True, "dir": "out/reviewed", "rows": n_rows - 1, "dropped": {"rejected": 1}, "reviewed": 0}
    lines = (outdir / "reviewed" / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == n_rows - 1 and ROW2 not in {json.loads(x)["id"] for x in lines}


# ----------------------------------------------------------- histograms -----
def test_histogram_counts_every_score(outdir: Path):
    html = build_report(outdir).read_text(encoding="utf-8")
    svgs = re.findall(r"<svg .*?</svg>", html, re.S)
    by_score = {ET.fromstring(s).get("data-score"): ET.fromstring(s) for s in svgs}
    assert set(by_score) == {"align", "similarity"}
    rows = sample_rows()[0]
    aligns = [r["scores"]["align"] for r in rows if r["scores"]["align"] is not None]
    bars = by_score["align"].findall(f"{SVG}rect")
    assert len(bars) == 20 and sum(int(b.get("data-n")) for b in bars) == len(aligns)
    low = sum(a < 0.5 for a in aligns)
    assert f"{len(aligns)} rows, {low} below 0.5" in by_score["align"].findtext(f"{SVG}title")
    (line,) = [x for x in by_score["align"].findall(f"{SVG}line") if x.get("class") == "threshold"]
    assert line.get("x1") == "100.0"                                   # 0.5 of a 200-px axis


def test_histogram_bins_and_empty():
    assert bin_counts([0.0, 0.04, 0.05, 0.99, 1.0], 20) == [2, 1] + [0] * 17 + [2]
    assert score_values([{"scores": {"align": 1.7}}, {"scores": {"align": None}}, {"scores": {"align": True}},
                         {"id": "x"}], "align") == [1.0]
    assert histogram_svg("align", []) == ""


def test_page_explains_the_severity_number(outdir: Path):
    html = build_report(outdir).read_text(encoding="utf-8")
    match = re.search(r'<script type="application/json" id="mt-data">(.*?)</script>', html, re.S)
    data = json.loads(match.group(1))
    assert data["flagWeight"] == SEVERITY and data["alignThreshold"] == 0.5
    assert 'id="sev-help"' in html and "sum of the\n    weights of the row's flags" in html
    assert '<span title="severity: sum of flag weights (see ?)">sev</span>' in html
    assert 'id="export-btn"' not in html and 'id="undo-btn"' not in html           # the static page is read-only
