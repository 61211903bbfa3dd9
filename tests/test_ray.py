"""The Ray executor writes the same corpus as the local one, survives a killed worker, and re-runs from cache.

One local Ray session (2 CPUs) for the whole module. Each comparison runs the same inputs through the local
executor and the Ray executor with separate, fresh translation caches, so the Ray actors really translate.
A worker is killed by the KILL_ONCE_ENV hook: the first translate actor that finds the armed marker file
deletes it and SIGKILLs itself after translating its batch, before returning it.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from mt.config import load_config
from mt.errors import ConfigError, ModelError, OutputError
from mt.pipeline import run_pipeline

ray = pytest.importorskip("ray")

from mt.executors.ray import KILL_ONCE_ENV, RayExecutor, _check_reachable  # noqa: E402

pytestmark = pytest.mark.ray

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
# seed pages without Vietnamese lines: nothing to embed in the align stage, so a run on them is quick
CHEAP = ("001_51c23821779e26be.txt", "004_bd0da630c3f2089a.txt")


@pytest.fixture(scope="module")
def kill_marker(tmp_path_factory):
    """A local Ray with 2 CPUs; its workers see KILL_ONCE_ENV -> a file a test creates to arm the kill."""
    marker = tmp_path_factory.mktemp("kill") / "kill-one-translate-actor"
    env = {KILL_ONCE_ENV: str(marker), "PYTHAINLP_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING", runtime_env={"env_vars": env})
    yield marker
    ray.shutdown()


def config(tmp: Path, inputs: Path, name: str, cache: str, **over):
    overrides = {
        "input.paths": [str(inputs)],
        "output.dir": str(tmp / name),
        "translate.cache": str(tmp / cache),
        "quiet": True,
        "review.build": False,
        "translate.retry_degenerate": False,   # same config for both executors; halves the tiny model's work
        **over,
    }
    return load_config(ROOT / "configs" / "smoke.toml", overrides)


def rows(out: Path, name: str, key=lambda r: r["id"]) -> list[dict]:
    return sorted((json.loads(x) for x in (out / name).read_text(encoding="utf-8").splitlines()), key=key)


def aside(out: Path) -> list[str]:
    return sorted((out / "set_aside.jsonl").read_text(encoding="utf-8").splitlines())


def parquet_rows(out: Path, config: str) -> list[dict]:
    import pyarrow.parquet as pq

    files = sorted((out / "data" / config).glob("*.parquet"))
    return sorted((r for f in files for r in pq.read_table(f).to_pylist()), key=lambda r: r["id"])


def assert_same_corpus(local, other) -> None:
    a, b = local.output_dir, other.output_dir
    assert rows(a, "corpus.jsonl") == rows(b, "corpus.jsonl")
    assert rows(a, "captions.jsonl") == rows(b, "captions.jsonl")
    assert aside(a) == aside(b)
    assert local.counts == other.counts
    assert local.exit_code == other.exit_code
    for moses in ("corpus.th", "corpus.en"):   # Moses files are in document order: identical, line for line
        assert (a / moses).read_text(encoding="utf-8") == (b / moses).read_text(encoding="utf-8")
    for config in ("sentences", "captions"):      # the same Parquet rows, however many parts made them
        assert parquet_rows(a, config) == parquet_rows(b, config)
    assert json.loads((a / "manifest.json").read_text())["fingerprint"] == \
        json.loads((b / "manifest.json").read_text())["fingerprint"]
    m = json.loads((b / "manifest.json").read_text(encoding="utf-8"))
    assert m["executor"]["kind"] == "ray" and m["signature"] == json.loads((a / "manifest.json").read_text())["signature"]
    assert (b / "README.md").exists() and (b / "corpus.tmx").exists()


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    """The seeds 20 times over, under distinct file names (100 pages)."""
    d = tmp_path_factory.mktemp("x20")
    for k in range(20):
        for f in sorted(SEEDS.iterdir()):
            if f.is_file():
                shutil.copy(f, d / f"c{k:02d}_{f.name}")
    return d


def test_seeds_killed_worker_same_corpus_then_rerun_from_cache(kill_marker, tmp_path):
    local = run_pipeline(config(tmp_path, SEEDS, "local", "local.sqlite"))
    kill_marker.write_text("armed")
    cfg = config(tmp_path, SEEDS, "ray", "ray.sqlite", **{"executor.kind": "ray", "executor.shard_docs": 2})
    on_ray = run_pipeline(cfg)
    assert not kill_marker.exists(), "no translate actor claimed the kill marker"
    assert on_ray.counts["docs"] == 5 and on_ray.counts["rows_sentences"] > 50
    assert on_ray.manifest["engine_stats"]["translated"] > 0          # the actors translated, not a cache
    assert_same_corpus(local, on_ray)                                 # nothing lost, nothing twice

    # a finished run, forced to re-run on Ray (not skipped as up to date): everything comes from the shared cache
    again = run_pipeline(cfg.model_copy(update={"output": cfg.output.model_copy(update={"force": True})}))
    stats = again.manifest["engine_stats"]
    assert stats["translated"] == 0 and stats["engine_calls"] == 0
    assert stats["cached"] > 0 and stats["sources"] == on_ray.manifest["engine_stats"]["sources"]
    assert_same_corpus(local, again)


def test_worker_death_without_retries_fails_clearly_and_rerun_completes(kill_marker, tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    for name in CHEAP:
        shutil.copy(SEEDS / name, pages / name)
    cfg = config(tmp_path, pages, "ray", "ray.sqlite",
                 **{"executor.kind": "ray", "executor.ray_max_retries": 0, "executor.shard_docs": 1})
    kill_marker.write_text("armed")
    with pytest.raises(ModelError, match=r"the Ray run failed.*fix: .*re-run"):
        run_pipeline(cfg)
    assert not kill_marker.exists()
    assert not (tmp_path / "ray").exists()                           # no half-written corpus
    done = run_pipeline(cfg)
    assert done.counts["docs"] == len(CHEAP)
    assert_same_corpus(run_pipeline(config(tmp_path, pages, "local", "local.sqlite")), done)


def test_pipeline_error_in_a_worker_reaches_the_caller_as_itself(kill_marker, tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    shutil.copy(SEEDS / CHEAP[0], pages / CHEAP[0])
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    cfg = config(tmp_path, pages, "ray", "unused.sqlite",
                 **{"executor.kind": "ray", "translate.cache": str(blocker / "cache.sqlite")})
    with pytest.raises(OutputError, match=r"cannot open the translation cache.* -- fix: set translate.cache"):
        run_pipeline(cfg)
    assert not (tmp_path / "ray").exists()


@pytest.mark.slow
def test_twenty_copies_killed_worker_same_corpus(kill_marker, copies, tmp_path):
    local = run_pipeline(config(tmp_path, copies, "local", "local.sqlite"))
    assert local.counts["docs"] == 100
    kill_marker.write_text("armed")
    on_ray = run_pipeline(config(tmp_path, copies, "ray", "ray.sqlite",
                                 **{"executor.kind": "ray", "executor.shard_docs": 8}))
    assert not kill_marker.exists()
    assert_same_corpus(local, on_ray)
    ids = [r["id"] for r in rows(on_ray.output_dir, "corpus.jsonl")]
    assert len(ids) == len(set(ids)) == local.counts["rows_sentences"]


def test_actor_plan_that_cannot_fit_is_a_config_error(kill_marker, tmp_path):
    cfg = config(tmp_path, SEEDS, "ray", "ray.sqlite", **{"executor.kind": "ray", "executor.ray_actors": 4})
    with pytest.raises(ConfigError, match=r"need 5 CPUs .* cluster has 2 -- fix: lower executor.ray_actors"):
        run_pipeline(cfg)
    assert not (tmp_path / "ray").exists()


def test_plan_puts_one_translate_actor_per_gpu_and_fills_cpus_otherwise(tmp_path):
    from itertools import groupby
    from types import SimpleNamespace

    from mt.pipeline import build_steps

    steps = build_steps(config(tmp_path, SEEDS, "ray", "c.sqlite"))
    pools = [(name, list(g)) for name, g in groupby(steps[:-1], key=lambda s: s.resources.pool)]

    def plan(resources, **over):
        ex = RayExecutor(config(tmp_path, SEEDS, "ray", "c.sqlite", **{"executor.kind": "ray", **over}))
        ex.ray = SimpleNamespace(cluster_resources=lambda: resources)
        p = ex._plan(pools)["pools"]
        return {"translate_actors": p["translate"]["actors"], "num_gpus_per_actor": p["translate"]["num_gpus"],
                "prep_actors": p["prep"]["actors"], "align_actors": p["align"]["actors"]}

    assert [name for name, _ in pools] == ["prep", "translate", "align"]
    gpu = plan({"CPU": 16.0, "GPU": 4.0})
    assert (gpu["translate_actors"], gpu["num_gpus_per_actor"], gpu["prep_actors"], gpu["align_actors"]) == (4, 1.0, 4, 4)
    half = plan({"CPU": 16.0, "GPU": 4.0}, **{"executor.ray_num_gpus_per_actor": 0.5})
    assert half["translate_actors"] == 8
    cpu = plan({"CPU": 16.0, "GPU": 4.0}, **{"translate.device": "cpu"})
    assert cpu["num_gpus_per_actor"] == 0.0 and cpu["translate_actors"] == 12     # 16 - (4 + 4) x 0.5
    assert plan({"CPU": 2.0})["translate_actors"] == 1
    assert plan({"CPU": 8.0, "GPU": 8.0})["translate_actors"] == 6       # 8 CPUs - 2 x 2 x 0.5 left for 6 actors
    with pytest.raises(ConfigError, match=r"2 translate actors x 1 GPUs need more GPUs than the cluster has \(1\)"):
        plan({"CPU": 8.0, "GPU": 1.0}, **{"executor.ray_actors": 2})


def test_unreachable_cluster_address_is_a_quick_config_error(tmp_path):
    import socket

    with socket.socket() as s:           # a port that nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConfigError, match=rf"no Ray cluster answers at '127.0.0.1:{port}'.* -- fix: start one with"):
        _check_reachable(f"127.0.0.1:{port}")      # what RayExecutor._connect runs before ray.init(address=...)
    _check_reachable("auto")                        # other address forms are left to Ray


def test_missing_ray_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ConfigError, match=r"the Ray executor needs the optional package 'ray'.*pip install 'mt\[ray\]'"):
        RayExecutor(config(tmp_path, SEEDS, "ray", "c.sqlite"))


# -- shards: every input format gives the local corpus; a killed Ray run resumes ------------------------------

@pytest.mark.parametrize("fmt", ["files", "jsonl", "parquet", "warc", "hf"])
def test_every_input_format_gives_the_local_corpus_on_ray(kill_marker, tmp_path, fmt):
    from input_formats import BUILDERS

    if fmt == "warc":
        pytest.importorskip("warcio")
    inputs = BUILDERS[fmt](list(CHEAP), tmp_path)
    local = run_pipeline(config(tmp_path, inputs, "local", "local.sqlite", **{"executor.shard_docs": 1}))
    on_ray = run_pipeline(config(tmp_path, inputs, "ray", "ray.sqlite",
                                 **{"executor.kind": "ray", "executor.shard_docs": 1}))
    assert_same_corpus(local, on_ray)
    assert on_ray.counts["input_problems"] == local.counts["input_problems"] == (fmt != "files")   # the bad record
    assert on_ray.manifest["shards"]["total"] == local.manifest["shards"]["total"]


@pytest.mark.slow
def test_killed_ray_run_resumes_from_its_finished_shards(kill_marker, tmp_path):
    from test_shards import ALL, _write_config, kill_after_markers

    from input_formats import BUILDERS

    pages = BUILDERS["files"](ALL, tmp_path)
    out = tmp_path / "killed"
    cfg = _write_config(tmp_path, pages, out)
    over = {"quiet": True, "executor.kind": "ray", "review.build": False}
    whole = run_pipeline(load_config(cfg, {**over, "output.dir": str(tmp_path / "whole"),
                                           "translate.cache": str(tmp_path / "whole.sqlite")}))
    kill_after_markers([sys.executable, "-m", "mt.cli", "run", "--config", str(cfg), "-o", str(out), "-q",
                        "--executor", "ray"], out, 2)
    done_before = len(list(out.glob(".mt-work-*/done/*.json")))
    resumed = run_pipeline(load_config(cfg, {**over, "output.dir": str(out)}))
    assert resumed.manifest["shards"]["resumed"] == done_before >= 2
    assert resumed.manifest["shards"]["run"] == 5 - done_before
    assert_same_corpus(whole, resumed)
