"""Local executor vs Ray executor on the same machine: what does Ray cost, and what would N actors give?

    PYTHAINLP_OFFLINE=1 python benchmarks/ray_overhead.py [--copies 20] [--cpus 2]

Both runs use configs/smoke.toml (the tiny random-weight Marian model, offline) over ``--copies`` copies
of seeds/ under distinct file names, each with its own fresh translation cache, and write a full corpus.
The Ray run starts its own local Ray with ``--cpus`` CPUs (start-up time is reported apart). On 2 cores
no speed-up is expected: the point is the overhead, and a per-document / per-sentence cost model for
scaling the translate stage out to N actors (GPUs on a real cluster).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def make_copies(dst: Path, copies: int) -> int:
    n = 0
    for k in range(copies):
        for f in sorted((ROOT / "seeds").iterdir()):
            if f.is_file():
                shutil.copy(f, dst / f"c{k:02d}_{f.name}")
                n += 1
    return n


def run(kind: str, pages: Path, tmp: Path) -> tuple[float, dict]:
    from mt.config import load_config
    from mt.pipeline import run_pipeline

    cfg = load_config(ROOT / "configs" / "smoke.toml", {
        "input.paths": [str(pages)], "output.dir": str(tmp / f"out-{kind}"),
        "translate.cache": str(tmp / f"cache-{kind}.sqlite"), "executor.kind": kind,
        "quiet": True, "review.build": False})
    t0 = time.perf_counter()
    result = run_pipeline(cfg)
    return time.perf_counter() - t0, result.manifest


def rows(out: Path) -> list[dict]:
    return sorted((json.loads(x) for x in (out / "corpus.jsonl").read_text(encoding="utf-8").splitlines()),
                  key=lambda r: r["id"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=20)
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--threads", type=int, default=None,
                    help="OMP_NUM_THREADS / torch threads for this process (the local run; Ray actors get 1 per CPU)")
    args = ap.parse_args()
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
        import torch

        torch.set_num_threads(args.threads)

    import ray

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        pages = tmp / "pages"
        pages.mkdir()
        n_docs = make_copies(pages, args.copies)
        print(f"# Ray overhead: {args.copies}x seeds = {n_docs} pages, tiny model, fresh cache per run")
        print(f"local run threads: {args.threads or 'default (torch/OpenMP: all cores)'}")
        print(f"host: {platform.platform()}, {os.cpu_count()} cores, load average before: "
              f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}; ray {ray.__version__}")

        t_local, m_local = run("local", pages, tmp)
        t0 = time.perf_counter()
        ray.init(num_cpus=args.cpus, include_dashboard=False, logging_level="WARNING")
        t_start = time.perf_counter() - t0
        try:
            t_ray, m_ray = run("ray", pages, tmp)
        finally:
            ray.shutdown()
        same = rows(tmp / "out-local") == rows(tmp / "out-ray") and m_local["counts"] == m_ray["counts"]

        print()
        print("| run | wall s | docs/s |")
        print("|---|---:|---:|")
        print(f"| local | {t_local:.1f} | {n_docs / t_local:.2f} |")
        print(f"| ray ({args.cpus} CPUs, start-up {t_start:.1f} s not included) | {t_ray:.1f} | {n_docs / t_ray:.2f} |")
        print(f"\nray / local wall time: {t_ray / t_local:.2f}x  "
              f"({'slower' if t_ray > t_local else 'faster'}; +{t_start:.1f} s to start Ray)")
        print(f"same corpus rows and counts: {same}")
        print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (other processes share these cores)")
        ex = m_ray["executor"]
        pools = ", ".join(f"{p['actors']} {name} ({'+'.join(p['steps'])})" for name, p in ex["pools"].items())
        print(f"ray plan: {pools} actor(s); {ex['docs_per_shard']} docs per shard, {ex['in_flight']} shards in flight")

        print("\nstage seconds (local: wall time of the stage; ray: worker seconds summed over documents)")
        print("| stage | local | ray |")
        print("|---|---:|---:|")
        for k in ("load_engines", "read", "parse", "segment", "translate", "align", "write", "total"):
            print(f"| {k} | {m_local['timings_s'].get(k, 0):.2f} | {m_ray['timings_s'].get(k, 0):.2f} |")

        for label, m in (("local", m_local), ("ray translate actor", m_ray)):
            st = m["engine_stats"]
            cost = m["timings_s"]["translate"] / max(1, st.get("translated", 0))
            print(f"\nengine ({label}): {st.get('sources')} source texts, {st.get('translated')} sent to the model "
                  f"(the rest repeat across copies: cache / memo); {cost * 1000:.1f} ms per translated sentence")
        # the cost model uses the Ray actor's figures: that is what one actor costs
        st = m_ray["engine_stats"]
        tl = m_ray["timings_s"]
        translated = max(1, st.get("translated", 0))
        per_sentence = tl["translate"] / translated
        per_doc = {k: tl[k] / n_docs for k in ("read", "parse", "segment", "translate", "align", "write")}
        per_doc["write"] = m_ray["timings_s"]["write"] / n_docs
        print(f"measured engine cost, tiny model in one Ray actor (1 CPU): {per_sentence * 1000:.1f} ms per translated "
              f"sentence ({1 / per_sentence:.1f} sentences/s per actor)")

        prep = per_doc["read"] + per_doc["parse"] + per_doc["segment"]
        fresh_per_doc = per_sentence * st.get("sources", translated) / n_docs   # if every sentence were new
        print("\nexpected throughput with N translate actors (docs/s), from the per-document costs above:")
        print(f"  translate {fresh_per_doc:.3f} s/doc if every sentence were new, on this engine; prep {prep:.3f}, "
              f"align {per_doc['align']:.3f}, driver write {per_doc['write']:.4f} s/doc")
        print("| N translate actors | translate-bound | with 1 prep + 1 align actor | prep/align actors needed to keep up |")
        print("|---:|---:|---:|---:|")
        for n in (1, 2, 4, 8, 16):
            t_bound = n / fresh_per_doc if fresh_per_doc else float("inf")
            light = 1 / max(prep, per_doc["align"], 1e-9)
            write = 1 / max(per_doc["write"], 1e-9)
            both = min(t_bound, light, write)
            need = max(1, int(-(-t_bound * max(prep, per_doc["align"]) // 1)))
            print(f"| {n} | {t_bound:.2f} | {both:.2f} | {need} |")
        print("\nReading: the translate stage scales with the number of actors (each holds its own model), as long "
              "as the prep and align pools keep up and the single driver can write (it is far from the bound). "
              "On GPUs, replace the per-sentence cost above by the real model's cost per actor measured on the "
              "target GPU (a Ray run with ray_actors = 1: timings_s.translate / engine_stats.translated) -- this machine has no GPU, so no GPU figure is claimed.")


if __name__ == "__main__":
    main()
