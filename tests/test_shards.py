"""Shards: listed lazily in source order; each written into its own part with a completion marker; a run in
many shards equals a run in one; a killed run resumes from its finished shards; `mt export` from Parquet."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from input_formats import BUILDERS, SEEDS
from mt.config import InputConfig, load_config
from mt.pipeline import run_pipeline
from mt.shards import iter_shards
from mt.sources import RecordFields, iter_sources
from mt.write.export import export_corpus

ROOT = Path(__file__).resolve().parents[1]
CHEAP = ["001_51c23821779e26be.txt", "004_bd0da630c3f2089a.txt"]   # no Vietnamese lines: quick to run
ALL = sorted(p.name for p in SEEDS.iterdir() if p.suffix == ".txt")
TEXT_FILES = ("corpus.jsonl", "captions.jsonl", "corpus.th", "corpus.en", "corpus.tmx", "set_aside.jsonl",
              "problems.jsonl")


def config(tmp: Path, inputs: Path, name: str, **over):
    return load_config(ROOT / "configs" / "smoke.toml", {
        "input.paths": [str(inputs)], "output.dir": str(tmp / name), "translate.cache": str(tmp / "cache.sqlite"),
        "quiet": True, "review.build": False, "translate.retry_degenerate": False, **over})


def same_files(a: Path, b: Path, names=TEXT_FILES) -> None:
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def parquet_rows(out: Path, config: str) -> list[dict]:
    import pyarrow.parquet as pq

    return [r for f in sorted((out / "data" / config).glob("*.parquet")) for r in pq.read_table(f).to_pylist()]


@pytest.mark.parametrize("fmt", sorted(BUILDERS))
def test_shards_hold_the_sources_in_order(tmp_path, fmt):
    if fmt == "warc":
        pytest.importorskip("warcio")
    path = BUILDERS[fmt](ALL, tmp_path)
    config = InputConfig(paths=[str(path)])
    expected = [s.doc_id for s in iter_sources(config)]
    shards = list(iter_shards(config, 2))
    fields = RecordFields.of(config)
    got = [s.doc_id for shard in shards for s in shard.iter_sources(fields)]
    assert got == expected and len(got) == 6 - (fmt == "files")
    assert [s.id for s in shards] == [f"{n:06d}" for n in range(len(shards))]
    sizes = {"files": [2, 2, 1], "parquet": [2, 2, 2], "hf": [2, 2, 2], "jsonl": [None], "warc": [None]}[fmt]
    assert [s.size for s in shards] == sizes       # a JSONL / WARC file is one shard; Parquet: row ranges; hf: records
    assert [s.digest() for s in iter_shards(config, 2)] == [s.digest() for s in shards]   # stable


def test_many_shards_give_the_corpus_of_one(tmp_path):
    pages = BUILDERS["files"](CHEAP, tmp_path)
    one = run_pipeline(config(tmp_path, pages, "one"))
    many = run_pipeline(config(tmp_path, pages, "many", **{"executor.shard_docs": 1}))
    assert (one.manifest["shards"]["total"], many.manifest["shards"]["total"]) == (1, 2)
    same_files(one.output_dir, many.output_dir)
    assert one.counts == many.counts and one.manifest["fingerprint"] == many.manifest["fingerprint"]
    assert parquet_rows(one.output_dir, "sentences") == parquet_rows(many.output_dir, "sentences")
    assert len(list((many.output_dir / "data" / "sentences").glob("*.parquet"))) == 2
    assert not list(many.output_dir.glob(".mt-work-*"))               # the work folder goes with the commit


def test_export_from_parquet_equals_what_a_run_writes(tmp_path):
    pages = BUILDERS["files"](ALL[:3], tmp_path)
    full = run_pipeline(config(tmp_path, pages, "full"))
    slim = run_pipeline(config(tmp_path, pages, "slim", **{"output.formats": ["parquet"],
                                                           "executor.shard_docs": 2}))
    assert not (slim.output_dir / "corpus.jsonl").exists()
    written = export_corpus(slim.output_dir, ["jsonl", "tmx", "moses"])
    assert written == ["captions.jsonl", "corpus.en", "corpus.jsonl", "corpus.th", "corpus.tmx"]
    same_files(full.output_dir, slim.output_dir, [n for n in TEXT_FILES if n not in ("set_aside.jsonl", "problems.jsonl")])
    manifest = json.loads((slim.output_dir / "manifest.json").read_text(encoding="utf-8"))
    assert set(written) <= set(manifest["files"]) and manifest["exported"] == ["jsonl", "moses", "tmx"]
    # a forced re-run of the parquet-only config replaces the exported files too (they are the corpus's now)
    run_pipeline(config(tmp_path, pages, "slim", **{"output.formats": ["parquet"], "output.force": True}))
    assert not (slim.output_dir / "corpus.jsonl").exists()


def test_export_refuses_what_is_not_a_corpus_and_unknown_formats(tmp_path):
    from mt.errors import ConfigError, InputError

    with pytest.raises(ConfigError, match=r"cannot export parquet -- fix: choose one or more of jsonl, tmx, moses"):
        export_corpus(tmp_path, ["parquet"])
    with pytest.raises(InputError, match=r"not an mt corpus with Parquet files"):
        export_corpus(tmp_path, ["tmx"])


def _write_config(tmp: Path, pages: Path, out: Path) -> Path:
    text = (ROOT / "configs" / "smoke.toml").read_text(encoding="utf-8")
    text = text.replace('paths = ["seeds"]', f'paths = [{json.dumps(str(pages))}]')
    text = text.replace('cache = "outputs/.cache/smoke-translations.sqlite"', f'cache = {json.dumps(str(tmp / "c.sqlite"))}')
    path = tmp / "run.toml"
    path.write_text(text + f'\n[executor]\nshard_docs = 1\n\n[review]\nbuild = false\n', encoding="utf-8")
    return path


def kill_after_markers(cmd: list[str], out: Path, markers: int, timeout: float = 300) -> None:
    """Start ``cmd``, SIGKILL it (and its process group) once ``markers`` shards are marked done in ``out``."""
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHAINLP_OFFLINE": "1", "HF_HUB_OFFLINE": "1"})
    deadline = time.monotonic() + timeout
    try:
        while len(list(out.glob(".mt-work-*/done/*.json"))) < markers:
            if proc.poll() is not None:
                pytest.fail(f"the run ended before it was killed: {proc.stderr.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("no shard finished in time")
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.mark.slow
def test_killed_run_resumes_from_its_finished_shards(tmp_path):
    pages = BUILDERS["files"](ALL, tmp_path)
    out = tmp_path / "killed"
    cfg = _write_config(tmp_path, pages, out)
    whole = run_pipeline(load_config(cfg, {"output.dir": str(tmp_path / "whole"), "quiet": True,
                                           "translate.cache": str(tmp_path / "whole.sqlite")}))
    kill_after_markers([sys.executable, "-m", "mt.cli", "run", "--config", str(cfg), "-o", str(out), "-q"], out, 2)
    assert not (out / "manifest.json").exists()
    done_before = len(list(out.glob(".mt-work-*/done/*.json")))
    resumed = run_pipeline(load_config(cfg, {"output.dir": str(out), "quiet": True}))
    shards = resumed.manifest["shards"]
    assert shards["resumed"] == done_before >= 2 and shards["run"] == 5 - done_before and shards["total"] == 5
    same_files(whole.output_dir, out)
    assert resumed.counts == whole.counts
    assert parquet_rows(out, "sentences") == parquet_rows(whole.output_dir, "sentences")
    forced = run_pipeline(load_config(cfg, {"output.dir": str(out), "quiet": True, "output.force": True}))
    assert forced.manifest["shards"] == {**shards, "run": 5, "resumed": 0}


# -- an fsspec OUTPUT_DIR (memory://) ------------------------------------------------------------------------

@pytest.fixture
def memory_fs():
    fsspec = pytest.importorskip("fsspec")
    fs = fsspec.filesystem("memory")
    yield fs
    if fs.exists("/bucket"):
        fs.rm("/bucket", recursive=True)


def test_memory_url_output_equals_a_local_one_and_resumes_after_a_failure(tmp_path, memory_fs, monkeypatch):
    from mt.errors import InputError
    from mt.write.work import WorkDir

    pages = BUILDERS["files"](CHEAP, tmp_path)
    local = run_pipeline(config(tmp_path, pages, "local", **{"executor.shard_docs": 1}))
    url = "memory://bucket/corpus"
    real_finish, calls = WorkDir.finish, []

    def finish_then_fail(self, end, tmp):          # the second shard's part fails to upload
        calls.append(end.shard.id)
        if len(calls) == 2:
            raise InputError("simulated upload failure", where=self.url, fix="none")
        return real_finish(self, end, tmp)

    monkeypatch.setattr(WorkDir, "finish", finish_then_fail)
    with pytest.raises(InputError, match="simulated upload failure"):
        run_pipeline(config(tmp_path, pages, url, **{"output.dir": url, "executor.shard_docs": 1}))
    assert len(memory_fs.glob("/bucket/corpus/.mt-work-*/done/*.json")) == 1
    assert not memory_fs.exists("/bucket/corpus/manifest.json")
    monkeypatch.setattr(WorkDir, "finish", real_finish)
    remote = run_pipeline(config(tmp_path, pages, url, **{"output.dir": url, "executor.shard_docs": 1}))
    assert remote.output_dir == url and remote.manifest["shards"] == {**local.manifest["shards"], "run": 1, "resumed": 1}
    for name in TEXT_FILES:
        assert memory_fs.cat(f"/bucket/corpus/{name}") == (local.output_dir / name).read_bytes(), name
    listed = remote.manifest["files"]
    assert sorted(p.removeprefix("/bucket/corpus/") for p in memory_fs.find("/bucket/corpus")) == listed
    assert remote.counts == local.counts and remote.manifest["fingerprint"] == local.manifest["fingerprint"]


def test_memory_url_with_files_mt_did_not_write_is_refused(tmp_path, memory_fs):
    from mt.errors import OutputError

    memory_fs.pipe("/bucket/mine/notes.txt", b"a user's file")
    pages = BUILDERS["files"](CHEAP[:1], tmp_path)
    with pytest.raises(OutputError, match=r"holds files that mt did not write \(notes.txt\)"):
        run_pipeline(config(tmp_path, pages, "x", **{"output.dir": "memory://bucket/mine"}))
    assert memory_fs.cat("/bucket/mine/notes.txt") == b"a user's file"


def test_step_run_hands_apply_one_shard_at_a_time_and_notes_its_share():
    from mt.records import Doc
    from mt.steps.base import ShardEnd, Step, batches

    class Batching(Step):
        name = "batching"

        def __init__(self):
            super().__init__(None)
            self.seen: list[list[str]] = []
            self.calls = 0

        def apply(self, docs):
            for batch in batches(docs, 10):
                self.seen.append([d.doc_id for d in batch])
                self.calls += 1
                yield from batch

        def engine_stats(self):
            return {"calls": self.calls, "nested": {"calls": self.calls}, "name": "toy"}

    def doc(i):
        return Doc(doc_id=f"d{i}", file=f"d{i}.txt", path=None)

    a, b = ShardEnd("s0", docs=3), ShardEnd("s1", docs=2)
    step = Batching()
    out = list(step.run([doc(0), doc(1), doc(2), a, doc(3), doc(4), b]))
    assert step.seen == [["d0", "d1", "d2"], ["d3", "d4"]]             # a batch never spans two shards
    assert [getattr(x, "doc_id", x) for x in out] == ["d0", "d1", "d2", a, "d3", "d4", b]
    assert a.steps["batching"]["docs"] == 3 and b.steps["batching"]["docs"] == 2   # each shard its own share
    assert a.engine["batching"] == {"calls": 1, "nested": {"calls": 1}, "name": "toy"}
    assert b.engine["batching"] == {"calls": 1, "nested": {"calls": 1}, "name": "toy"}
    assert step.stats.docs == 5
