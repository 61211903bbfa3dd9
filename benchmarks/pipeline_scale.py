"""End-to-end scaling of ``mt run`` with the tiny model: 10x and 100x copies of the seeds.

Prints, for each size: wall time, the time inside the translate stage vs outside it, peak RSS of the run
(a subprocess, so each size is measured alone), then the 10x -> 100x time ratio and the time of a re-run of
the finished 100x job (everything comes from the translation cache).

Copies are made unique (a copy number is appended to every long Thai line) so the translation cache and the
per-run de-duplication do not turn the copies into free work. The Vietnamese lines and the short Thai lines
are the same in every copy: the aligner's embedding cache does not embed them again (``--variants no-cache``
measures the run without that cache). One run per size; no timed asserts.

``--variants`` adds first runs (fresh translation cache each) with a changed section:
``no-similarity`` (``[align] similarity_for = []``: no th<->en similarity score), ``no-cache``
(``[align] embed_cache = 0``) and ``segment-float32`` (``[segment] compute_type = "float32"``: e5seg without bf16).

``--model opus-ct2`` replaces the tiny model (whose engine time is close to nothing) by a random-weight Marian
with the sizes of opus-mt-th-en (built by benchmarks/translate_speed.py) run by the CTranslate2 engine at its
CPU defaults (int8, one single-threaded translator per core), greedy, outputs capped at source tokens + 16:
an engine that costs what a real opus-mt model costs per generated token. Degenerate rows are flagged but not
retried (``retry_degenerate = false``: random outputs are all degenerate, a real model's rarely are). Its
English is filler tokens, longer in the embedder's tokens than real English, so the similarity score costs
more than it would with a real model: compare with ``--variants no-similarity``.

    PYTHAINLP_OFFLINE=1 python benchmarks/pipeline_scale.py [--sizes 10 100] [--variants no-similarity no-cache]
        [--model tiny|opus-ct2] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
THAI = re.compile("[\u0e00-\u0e7f]")
VARIANTS = {"no-similarity": "[align]\nsimilarity_for = []", "no-cache": "[align]\nembed_cache = 0",
            "segment-float32": "[segment]\ncompute_type = \"float32\""}
OPUS_CT2_CONFIG = """# benchmarks/pipeline_scale.py --model opus-ct2: random-weight opus-mt-sized Marian on CTranslate2
[input]
paths = ["seeds"]

[output]
dir = "outputs/bench"

[translate]
preset = "opus-mt"
model = "{model}"
engine = "ctranslate2"
beam_size = 1
max_length_ratio = 1.0
retry_degenerate = false
local_files_only = true
ct2_dir = "{ct2_dir}"
cache = "outputs/.cache/bench-translations.sqlite"
"""


def base_config(work: Path, model: str) -> Path:
    """The run config: configs/smoke.toml (tiny model) or an opus-mt-sized model on CTranslate2."""
    if model == "tiny":
        return ROOT / "configs" / "smoke.toml"
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from translate_speed import build_opus_sized_marian

    model_dir = work / "opus-mt-sized"
    if not (model_dir / "config.json").is_file():
        build_opus_sized_marian(model_dir)
    config = work / "opus-ct2.toml"
    config.write_text(OPUS_CT2_CONFIG.format(model=model_dir, ct2_dir=work / "ct2"), encoding="utf-8")
    return config


def make_copies(dst: Path, times: int) -> int:
    dst.mkdir(parents=True, exist_ok=True)
    n = 0
    for k in range(times):
        for page in sorted((ROOT / "seeds").glob("*.txt")):
            lines = page.read_text(encoding="utf-8").splitlines()
            out = [f"{ln} ฉบับ {k}" if THAI.search(ln) and len(ln) > 40 else ln for ln in lines]
            (dst / f"{page.stem}_copy{k:04d}.txt").write_text("\n".join(out) + "\n", encoding="utf-8")
            n += 1
    return n


def run(inputs: Path, out: Path, config: Path, force: bool = False) -> dict:
    cmd = [sys.executable, "-m", "mt.cli", "run", str(inputs), "-c", str(config),
           "-o", str(out), "--quiet", "--no-review"] + (["--force"] if force else [])
    env = {**os.environ, "PYTHAINLP_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak RSS
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"mt run failed ({proc.returncode}):\n{err.read().decode()[-2000:]}")
    manifest = json.loads((out / "manifest.json").read_text())
    t = manifest["timings_s"]
    return {"wall": wall, "timings": t, "counts": manifest["counts"], "engine": manifest.get("engine_stats", {}),
            "created": manifest.get("created"), "load": (load, os.getloadavg()[0]),
            "peak_rss_mib": usage.ru_maxrss / 1024, "cpu": usage.ru_utime + usage.ru_stime}


def report(res: dict, indent: str = "   ") -> None:
    t = res["timings"]
    inside = t.get("translate", 0.0)
    print(f"{indent}wall {res['wall']:.1f} s (pipeline total {t['total']:.1f} s); translate stage {inside:.1f} s; "
          f"outside the engine {t['total'] - inside:.1f} s = {100 * (t['total'] - inside) / t['total']:.1f}%")
    other = t["total"] - inside - t.get("load_engines", 0.0)
    print(f"{indent}outside the engine and model loading (read, parse, segment, align, write): {other:.1f} s = "
          f"{100 * other / t['total']:.1f}%")
    print(f"{indent}stages: " + ", ".join(f"{k} {v:.1f}" for k, v in t.items() if k != "total"))
    seg, docs = t.get("segment", 0.0), res["counts"].get("docs", 0)
    print(f"{indent}segment stage: {seg:.1f} s = {100 * seg / t['total']:.1f}% of the run"
          + (f", {1000 * seg / docs:.0f} ms per document ({docs} documents)" if docs else ""))
    print(f"{indent}CPU time of the run (user+sys, all threads): {res['cpu']:.1f} s = "
          f"{res['cpu'] / res['wall']:.2f} cores")
    print(f"{indent}peak RSS of the run: {res['peak_rss_mib']:.0f} MiB; load average (1 min) before/after: "
          f"{res['load'][0]:.1f}/{res['load'][1]:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 100])
    ap.add_argument("--variants", nargs="*", default=[], choices=sorted(VARIANTS),
                    help="extra first runs with a changed [align] or [segment] section")
    ap.add_argument("--model", choices=["tiny", "opus-ct2"], default="tiny",
                    help="tiny: configs/smoke.toml; opus-ct2: an opus-mt-sized random Marian on CTranslate2")
    ap.add_argument("--keep", help="keep inputs/outputs in this folder")
    args = ap.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="mt-scale-"))
    config = base_config(work, args.model)
    print(f"model: {args.model} (config {config.name}); load average {os.getloadavg()[0]:.1f}", flush=True)
    results = {}
    for size in args.sizes:
        inputs = work / f"in{size}"
        n_docs = make_copies(inputs, size)
        # the smoke config's cache path is relative to the cwd: run from a scratch cwd with a fresh cache
        scratch = work / f"cwd{size}"
        scratch.mkdir(exist_ok=True)
        os.chdir(scratch)
        shutil.rmtree(scratch / "outputs", ignore_errors=True)
        first = run(inputs, work / f"out{size}", config)
        again = run(inputs, work / f"out{size}", config)
        forced = run(inputs, work / f"out{size}", config, force=True)   # same cwd, so the same translation cache
        os.chdir(ROOT)
        results[size] = (n_docs, first, again)
        print(f"== {size}x seeds: {n_docs} pages, {first['counts']['rows_sentences']} rows, "
              f"{first['engine'].get('translated', '?')} sentences translated")
        report(first)
        skipped = again["created"] == first["created"]  # the corpus was left as it was: up to date
        what = "skipped, corpus up to date" if skipped else f"translated {again['engine'].get('translated', '?')} sentences"
        print(f"   re-run of the finished job: {again['wall']:.1f} s = {100 * again['wall'] / first['wall']:.1f}% of the "
              f"first run ({what})")
        print(f"   forced re-run (--force: parse, segment, align again; translations from the cache): "
              f"{forced['wall']:.1f} s = {100 * forced['wall'] / first['wall']:.1f}% of the first run; "
              f"translated {forced['engine'].get('translated', '?')} sentences")
        for name in args.variants:
            variant = work / f"{config.stem}-{name}.toml"
            variant.write_text(config.read_text(encoding="utf-8") + f"\n{VARIANTS[name]}\n", encoding="utf-8")
            scratch = work / f"cwd{size}-{name}"       # its own fresh translation cache
            scratch.mkdir(exist_ok=True)
            os.chdir(scratch)
            shutil.rmtree(scratch / "outputs", ignore_errors=True)
            res = run(inputs, work / f"out{size}-{name}", variant)
            os.chdir(ROOT)
            print(f"   variant {name} ({VARIANTS[name].replace(chr(10), ' ')}), first run:")
            report(res, indent="     ")
    if len(args.sizes) >= 2:
        a, b = args.sizes[0], args.sizes[-1]
        ra, rb = results[a][1], results[b][1]
        print(f"== scaling {a}x -> {b}x: time x{rb['wall'] / ra['wall']:.2f} for x{b / a:.0f} the input; "
              f"peak RSS {ra['peak_rss_mib']:.0f} -> {rb['peak_rss_mib']:.0f} MiB")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
