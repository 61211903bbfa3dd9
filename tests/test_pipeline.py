"""End to end: the seeds through every stage with the tiny local model, and bad input in the same batch."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mt.config import load_config
from mt.pipeline import run_pipeline

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
GOLD = ROOT.parent / "shared" / "data" / "seeds-gold.jsonl"


def smoke_config(tmp: Path, inputs: list[Path] | None = None, **over):
    overrides = {
        "input.paths": [str(p) for p in (inputs or [SEEDS])],
        "output.dir": str(tmp / "out"),
        "translate.cache": str(tmp / "cache.sqlite"),
        "quiet": True,
        **over,
    }
    return load_config(ROOT / "configs" / "smoke.toml", overrides)


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("run")
    result = run_pipeline(smoke_config(tmp))
    return result


def test_line_accounting_holds(seed_run):
    c = seed_run.counts
    total_lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in SEEDS.glob("*.txt"))
    assert c["docs"] == 5
    assert c["lines_in"] == total_lines
    assert c["lines_in"] == c["lines_in_corpus"] + c["lines_set_aside"]
    aside = (seed_run.output_dir / "set_aside.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(aside) == c["lines_set_aside"]
    assert seed_run.exit_code == 0


def test_corpus_loads_as_hf_dataset(seed_run):
    from datasets import load_dataset

    ds = load_dataset(str(seed_run.output_dir), split="train")
    assert ds.num_rows == seed_run.counts["rows_sentences"] > 50
    assert all(r["en"] is not None for r in ds)
    assert {"title", "body", "caption_th"} <= set(ds["kind"])
    caps = load_dataset(str(seed_run.output_dir), "captions", split="train")
    assert caps.num_rows == seed_run.counts["rows_captions"]


def test_tmx_parses_and_has_a_unit_per_translated_row(seed_run):
    root = ET.parse(seed_run.output_dir / "corpus.tmx").getroot()
    assert root.get("version") == "1.4"
    assert len(root.findall("./body/tu")) == seed_run.counts["rows_translated"]
    th = (seed_run.output_dir / "corpus.th").read_text(encoding="utf-8").splitlines()
    assert len(th) == seed_run.counts["rows_translated"]


def test_manifest_signature_marks_tiny_model_as_not_real(seed_run):
    m = json.loads((seed_run.output_dir / "manifest.json").read_text())
    sig = m["signature"]
    assert sig["is_real"] is False
    for key in ("model", "engine", "segmenter", "aligner", "version"):
        assert key in sig, key
    assert "NOT real translations" in (seed_run.output_dir / "README.md").read_text()
    assert set(m["timings_s"]) >= {"read", "parse", "segment", "translate", "align", "write", "total"}


@pytest.mark.skipif(not GOLD.exists(), reason="shared gold not beside the repo")
def test_seed_gold_reproduced_in_the_corpus(seed_run):
    caps = {(r["file"], r["line"]): r for r in map(json.loads, (seed_run.output_dir / "captions.jsonl").open(encoding="utf-8"))}
    for g in map(json.loads, GOLD.open(encoding="utf-8")):
        if g["relation"] in ("translation", "title"):
            row = caps[(g["file"], g["line"])]
            assert (row["relation"], row["th_line"], row["th"]) == (g["relation"], g["th_line"], g["th"])
        else:
            assert (g["file"], g["line"]) not in caps


def test_bad_inputs_do_not_stop_the_batch(tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    shutil.copy(SEEDS / "002_02c73740b218f54e.txt", pages / "good.txt")
    (pages / "latin1.txt").write_bytes("ข่าวดี\n".encode("utf-8") + "ข่าว".encode("tis-620") + b"\n")
    (pages / "binary.txt").write_bytes(b"abc\x00def\nx\n")
    (pages / "empty.txt").write_bytes(b"")
    (pages / "crlf_bom.txt").write_bytes("\ufeffหัวข้อข่าวทดสอบ\r\n\r\nเนื้อหาข่าวภาษาไทยที่ยาวพอสมควร\r\n".encode("utf-8"))
    result = run_pipeline(smoke_config(tmp_path, [pages]))
    c = result.counts
    assert result.exit_code == 3
    assert c["docs"] == 5 and c["input_problems"] == 3
    assert c["lines_in"] == c["lines_in_corpus"] + c["lines_set_aside"]
    problems = [json.loads(x) for x in (result.output_dir / "problems.jsonl").read_text().splitlines()]
    assert {(p["file"], p["line"]) for p in problems} == {("latin1.txt", 2), ("binary.txt", 1), ("empty.txt", None)}
    aside = [json.loads(x) for x in (result.output_dir / "set_aside.jsonl").read_text().splitlines()]
    bad = {(r["file"], r["line"]) for r in aside if r["kind"] == "invalid"}
    assert ("latin1.txt", 2) in bad and ("binary.txt", 1) in bad and ("binary.txt", 2) in bad
    rows = [json.loads(x) for x in (result.output_dir / "corpus.jsonl").read_text().splitlines()]
    assert any(r["file"] == "crlf_bom.txt" and r["kind"] == "title" for r in rows)
    assert any(r["file"] == "latin1.txt" and r["line"] == 1 for r in rows)


def test_cli_run_and_missing_model_exit_codes(tmp_path):
    env = {"PYTHAINLP_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    import os

    env = {**os.environ, **env}
    missing = subprocess.run(
        [sys.executable, "-m", "mt.cli", "run", str(SEEDS), "-o", str(tmp_path / "o"), "--quiet",
         "--model", str(tmp_path / "no-such-model")],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert missing.returncode == 4, missing.stderr
    assert "no-such-model" in missing.stderr and "fix:" in missing.stderr
    assert not (tmp_path / "o").exists()
    bad = subprocess.run([sys.executable, "-m", "mt.cli", "run", "--segmenter", "nope", "-o", str(tmp_path / "o")],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert bad.returncode == 2 and "unknown segmenter 'nope'" in bad.stderr and "whitespace" in bad.stderr


def test_rerun_of_a_finished_job_is_skipped_until_inputs_or_config_change(tmp_path):
    import time

    pages = tmp_path / "pages"
    pages.mkdir()
    shutil.copy(SEEDS / "004_bd0da630c3f2089a.txt", pages / "a.txt")
    cfg = smoke_config(tmp_path, [pages])
    first = run_pipeline(cfg)
    assert not first.up_to_date and first.manifest["run_digest"]
    t0 = time.perf_counter()
    again = run_pipeline(cfg)
    assert again.up_to_date and time.perf_counter() - t0 < 2.0   # no engine is loaded
    assert again.counts == first.counts and again.exit_code == 0
    forced = run_pipeline(cfg.model_copy(update={"output": cfg.output.model_copy(update={"force": True})}))
    assert not forced.up_to_date and forced.manifest["engine_stats"]["translated"] == 0  # all from the cache
    (pages / "a.txt").write_text((pages / "a.txt").read_text(encoding="utf-8") + "\nบรรทัดใหม่ของข่าวนี้\n", encoding="utf-8")
    changed = run_pipeline(cfg)
    assert not changed.up_to_date and changed.counts["lines_in"] > first.counts["lines_in"]
    other_segmenter = smoke_config(tmp_path, [pages], **{"segment.engine": "crfcut"})
    assert not run_pipeline(other_segmenter).up_to_date
