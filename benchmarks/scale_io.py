"""Corpus-scale I/O: does the driver stay flat as the input grows?

Synthetic inputs of N small pages (default 1k, 10k, 50k) in JSONL shards of 1,000 records, each page a Thai
title and two paragraphs of FLORES-200 dev sentences (shuffled, seeded), run by `mt run` in a subprocess with
a near-free engine: the translation-memory engine over the FLORES dev references (`engine = "tm"`, no
fallback: every sentence is in the memory), the CRF segmenter (`thaiseg`) and no similarity score, Parquet
output only (big runs use `mt export` for text formats). Local and Ray executors on this machine's CPUs.

For the `mt` process (the driver; with the local executor it is also the only worker) it samples
/proc/PID every 0.1 s: peak RSS (VmHWM) and its own CPU seconds (utime + stime, not its children's: Ray's
workers are not counted), and prints wall time, driver CPU per page and peak RSS per size. Then, from the
per-step seconds of the largest local run's manifest (worker CPU seconds per page), a paper estimate of a
cluster's throughput for 10 million pages with N CPU workers and G GPU translate actors, and which step
bounds it. One run per row; no asserts.

    PYTHAINLP_OFFLINE=1 python benchmarks/scale_io.py [--sizes 1000 10000 50000] [--executors local ray]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from flores_pages import load_flores, write_memory  # noqa: E402

RECORDS_PER_FILE = 1000
CLK = os.sysconf("SC_CLK_TCK")


def make_inputs(n: int, folder: Path, sentences: list) -> Path:
    rng = random.Random(13)
    folder.mkdir(parents=True)
    for start in range(0, n, RECORDS_PER_FILE):
        with open(folder / f"pages-{start // RECORDS_PER_FILE:05d}.jsonl", "w", encoding="utf-8") as fh:
            for i in range(start, min(n, start + RECORDS_PER_FILE)):
                picks = rng.sample(sentences, 5)
                text = "\n".join([picks[0].th, " ".join(s.th for s in picks[1:3]), " ".join(s.th for s in picks[3:])])
                fh.write(json.dumps({"id": f"p{i}", "url": f"https://example.test/th/{i}", "text": text},
                                    ensure_ascii=False) + "\n")
    return folder


def write_config(tmp: Path, inputs: Path, memory: Path, executor: str) -> Path:
    path = tmp / f"scale-{executor}.toml"
    path.write_text(f"""
[input]
paths = [{json.dumps(str(inputs))}]
format = "jsonl"
[output]
formats = ["parquet"]
[segment]
engine = "thaiseg"
[translate]
engine = "tm"
memory = {json.dumps(str(memory))}
cache = {json.dumps(str(tmp / "cache.sqlite"))}
[align]
similarity_for = []
[executor]
kind = "{executor}"
shard_docs = 1000
progress_seconds = 0
[review]
build = false
""", encoding="utf-8")
    return path


def proc_sample(pid: int) -> tuple[float, int] | None:
    """(own CPU seconds, peak RSS bytes) of ``pid``, or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    cpu = (int(stat[11]) + int(stat[12])) / CLK          # fields 14, 15: utime, stime
    hwm = [int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmHWM")]
    return (cpu, hwm[0]) if hwm else None      # a zombie has no memory figures left


def run(config: Path, out: Path) -> dict:
    env = {**os.environ, "PYTHAINLP_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "mt.cli", "run", "--config", str(config), "-o", str(out), "-q"],
                            cwd=ROOT, env=env, stderr=subprocess.PIPE)
    last = (0.0, 0)
    while proc.poll() is None:
        last = proc_sample(proc.pid) or last
        time.sleep(0.1)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"mt run failed ({proc.returncode}): {proc.stderr.read().decode()[-3000:]}")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return {"wall": wall, "cpu": last[0], "rss": last[1], "manifest": manifest}


#: assumptions of the paper estimate (not measured here): target tokens per page of real English, CTranslate2
#: int8 target tokens/s per CPU core (benchmarks/translate.md measured ~2,000 for an opus-mt-sized model), and
#: a GPU translate actor's speed relative to one core (a guess; no GPU here)
TOKENS_PER_PAGE = 60
CPU_TOKENS_PER_S = 2000
GPU_OVER_CORE = 40


def estimate(manifest: dict, pages: int) -> list[str]:
    """Paper throughput for 10M pages from the per-step worker seconds of one run (see the assumptions)."""
    per = {name: s["seconds"] / pages for name, s in manifest["steps"].items()}
    cpu_steps = {k: v for k, v in per.items() if k != "translate"}
    cpu_per_page = sum(cpu_steps.values())
    lines = ["", "Measured per-page worker seconds (largest local run, TM engine): " +
             ", ".join(f"{k} {v * 1000:.2f} ms" for k, v in per.items()),
             f"Assumed for a real MT model: {TOKENS_PER_PAGE} target tokens a page, {CPU_TOKENS_PER_S} tokens/s "
             f"per CPU core (CTranslate2 int8), a GPU actor = {GPU_OVER_CORE} cores; without GPUs half the "
             "CPUs translate.",
             "", "| cluster | CPU-step pages/s | translate pages/s | bound by | 10M pages |", "|---|---|---|---|---|"]
    for n_cpu, n_gpu in ((64, 0), (256, 0), (256, 8), (1024, 32)):
        cpu_for_steps = n_cpu if n_gpu else n_cpu / 2
        cpu_rate = cpu_for_steps / cpu_per_page
        mt_cores = n_gpu * GPU_OVER_CORE if n_gpu else n_cpu / 2
        mt_rate = mt_cores * CPU_TOKENS_PER_S / TOKENS_PER_PAGE
        rate = min(cpu_rate, mt_rate)
        bound = "translate" if mt_rate < cpu_rate else max(cpu_steps, key=cpu_steps.get)
        lines.append(f"| {n_cpu} CPUs, {n_gpu} GPUs | {cpu_rate:,.0f} | {mt_rate:,.0f} | {bound} | "
                     f"{1e7 / rate / 3600:.1f} h |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    ap.add_argument("--executors", nargs="+", default=["local", "ray"])
    ap.add_argument("--keep", type=Path, help="keep inputs and outputs here")
    args = ap.parse_args()
    tmp = args.keep or Path(tempfile.mkdtemp(prefix="mt-scale-"))
    sentences = load_flores()
    memory = write_memory(sentences, tmp / "memory.jsonl")
    print(f"machine: {os.cpu_count()} CPUs; load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("| executor | pages | shards | wall s | driver CPU s | driver CPU ms/page | driver peak RSS MiB | "
          "rows | wall ms/page |")
    print("|---|---|---|---|---|---|---|---|---|")
    largest = None
    for n in args.sizes:
        inputs = make_inputs(n, tmp / f"in-{n}", sentences)
        for executor in args.executors:
            out = tmp / f"out-{executor}-{n}"
            r = run(write_config(tmp, inputs, memory, executor), out)
            m = r["manifest"]
            print(f"| {executor} | {n:,} | {m['shards']['total']} | {r['wall']:.1f} | {r['cpu']:.1f} | "
                  f"{1000 * r['cpu'] / n:.2f} | {r['rss'] / 2**20:.0f} | {m['counts']['rows_sentences']:,} | "
                  f"{1000 * r['wall'] / n:.2f} |", flush=True)
            if executor == "local":
                largest = (m, n)
            shutil.rmtree(out, ignore_errors=True)
            (tmp / "cache.sqlite").unlink(missing_ok=True)
        shutil.rmtree(inputs, ignore_errors=True)
    if largest:
        print("\n".join(estimate(*largest)))
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
