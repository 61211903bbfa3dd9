"""End to end: ``mt run`` over tests/pages/ and seeds/ puts no image name, URL, markdown syntax or byline
in any corpus row (every row of corpus.jsonl and captions.jsonl is scanned)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mt.config import load_config
from mt.parse.patterns import agency_signature
from mt.pipeline import run_pipeline

pytestmark = pytest.mark.slow          # one smoke run of the whole pipeline (~30 s on 2 shared cores)

ROOT = Path(__file__).resolve().parents[1]
# markdown syntax, URLs, image file names, agency signatures (Latin and Thai transliterations)
NOT_TEXT = {
    "markdown": re.compile(r"!\[|\]\(|\||^\s*#{1,6}\s|\*\*|__|^\s*>|`"),
    "url": re.compile(r"https?:|www\.|\b[\w-]+\.(?:vn|com|org|net)/", re.IGNORECASE),
    "image name": re.compile(r"\.(?:jpe?g|png|gif|webp|avif|svg|bmp)\b|\s-\s*[Ảả]nh\s*\d", re.IGNORECASE),
    "signature": re.compile(r"/\s*(?:VOV|VNA|TTXVN|วีโอวี)|^\s*(?:TTXVN|VNA|VOV)\s*$", re.IGNORECASE),
}


def _dirt(text: str | None) -> list[str]:
    if not text:
        return []
    found = [name for name, rx in NOT_TEXT.items() if rx.search(text)]
    if agency_signature(text):
        found.append("signature")
    return found


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, tiny_model_dir) -> Path:
    tmp = tmp_path_factory.mktemp("clean")
    cfg = load_config(ROOT / "configs" / "smoke.toml", {
        "input.paths": [str(ROOT / "tests" / "pages"), str(ROOT / "seeds")],
        "output.dir": str(tmp / "out"),
        "translate.cache": str(tmp / "cache.sqlite"),
        "quiet": True,
    })
    return Path(run_pipeline(cfg).output_dir)


def _rows(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def test_no_non_text_in_any_corpus_row(run_dir: Path) -> None:
    rows = _rows(run_dir / "corpus.jsonl")
    files = {r["file"] for r in rows}
    assert len(rows) > 100 and any(f.endswith(".html") for f in files) and any(f.endswith(".md") for f in files)
    dirty = [(r["id"], d, r["th"]) for r in rows for d in _dirt(r["th"])]
    assert dirty == []


def test_no_non_text_in_any_caption_row(run_dir: Path) -> None:
    rows = _rows(run_dir / "captions.jsonl")
    assert len(rows) > 10
    dirty = [(r["id"], field, d, r[field]) for r in rows for field in ("th", "vi") for d in _dirt(r[field])]
    assert dirty == []


def test_set_aside_records_say_the_parsers_specific_reason(tmp_path):
    from mt.records import Doc, Line
    from mt.write.rows import set_aside_rows

    doc = Doc(doc_id="d", file="d.txt")
    doc.lines = [Line(line=1, text="ภาพข่าว 0.png", kind="image", info={"reason": "image file name"}),
                 Line(line=2, text="", kind="blank")]
    reasons = [r["reason"] for r in set_aside_rows(doc, [], [])]
    assert reasons == ["image markup or file name without text: image file name", "blank line"]
