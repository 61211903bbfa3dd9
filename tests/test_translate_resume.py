"""End to end: `mt run` killed with SIGKILL mid-translation, re-run, translates only what is missing."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _rows(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(str(db), timeout=1.0) as conn:
            return conn.execute("SELECT COUNT(*) FROM translations").fetchone()[0]
    except sqlite3.Error:
        return 0


def _run(cfg: Path, out: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "mt.cli", "run", "-c", str(cfg), "-o", str(out), "--quiet",
                             "--no-review"], cwd=str(ROOT), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.slow
def test_sigkill_mid_translation_then_rerun_translates_only_the_rest(tiny_model_dir: Path, mt_cache_dir: Path,
                                                                    tmp_path: Path):
    db = tmp_path / "tr.sqlite"
    cfg = tmp_path / "run.toml"
    cfg.write_text(
        '[input]\npaths = ["%s"]\n\n[translate]\npreset = "tiny"\nbeam_size = 1\nmax_new_tokens = 48\n'
        'batch_tokens = 256\ncache = "%s"\n\n[executor]\ndocs_per_batch = 1\n'
        % ((ROOT / "seeds").as_posix(), db.as_posix()))
    env = {**os.environ, "MT_CACHE_DIR": str(mt_cache_dir), "PYTHAINLP_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}

    first = _run(cfg, tmp_path / "out1", env)
    deadline = time.monotonic() + 300
    while _rows(db) == 0 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert first.poll() is None, "the run ended before it could be killed: " + first.stderr.read().decode()[-2000:]
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    killed_at = _rows(db)
    assert killed_at > 0

    second = _run(cfg, tmp_path / "out2", env)
    _, err = second.communicate(timeout=600)
    assert second.returncode in (0, 10, 3) or not err, err.decode()[-2000:]
    stats = json.loads((tmp_path / "out2" / "manifest.json").read_text())["engine_stats"]
    assert stats["cached"] >= killed_at
    assert stats["translated"] >= 1                     # it did finish the missing part itself
    total = _rows(db)
    assert total > killed_at and stats["cached"] + stats["translated"] >= total

    third = _run(cfg, tmp_path / "out3", env)
    third.communicate(timeout=600)
    stats3 = json.loads((tmp_path / "out3" / "manifest.json").read_text())["engine_stats"]
    # (a sentence repeated in two documents is a cache hit in each document's batch)
    assert stats3["translated"] == 0 and stats3["engine_calls"] == 0 and stats3["cached"] >= total
    c2 = (tmp_path / "out2" / "corpus.jsonl").read_text(encoding="utf-8")
    c3 = (tmp_path / "out3" / "corpus.jsonl").read_text(encoding="utf-8")
    assert [json.loads(x)["en"] for x in c2.splitlines()] == [json.loads(x)["en"] for x in c3.splitlines()]

    # an uninterrupted run with its own, empty cache gives the same corpus as the killed-and-resumed one
    # (the resumed run batched the missing sentences differently: outputs are capped per text, not per batch)
    fresh = tmp_path / "fresh.toml"
    fresh.write_text(cfg.read_text().replace(db.as_posix(), (tmp_path / "fresh.sqlite").as_posix()))
    fourth = _run(fresh, tmp_path / "out4", env)
    fourth.communicate(timeout=600)
    stats4 = json.loads((tmp_path / "out4" / "manifest.json").read_text())["engine_stats"]
    assert _rows(tmp_path / "fresh.sqlite") == total and stats4["translated"] > killed_at
    c4 = (tmp_path / "out4" / "corpus.jsonl").read_text(encoding="utf-8")
    rows2 = [json.loads(x) for x in c2.splitlines()]
    rows4 = [json.loads(x) for x in c4.splitlines()]
    assert [(r["id"], r["en"], r["flags"]) for r in rows2] == [(r["id"], r["en"], r["flags"]) for r in rows4]
