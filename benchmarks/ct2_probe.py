"""Where CTranslate2's time goes on this CPU: instruction set, GEMM backend, batch size, output vocabulary.

Calls ``ctranslate2.Translator.translate_batch`` directly (not through mt's engine) on the random-weight
opus-mt-sized Marian of benchmarks/translate_speed.py converted to int8, greedy, FLORES-200 dev Thai
sentences sorted longest first and cut into batches of N padded source tokens, all submitted
asynchronously to 2 translators x 1 thread (mt's CPU default), each output capped at its batch's longest
source + 16 tokens. Each setting runs in a fresh process (CTranslate2 reads CT2_* variables at load).
Prints target tokens per second; one run per setting, no asserts.

Settings: the default; ``CT2_FORCE_CPU_ISA=AVX512``; ``CT2_USE_MKL=0`` (oneDNN GEMMs); batches of 1,024,
4,096 and 8,192 tokens; vocabulary maps (``use_vmap``) keeping the Latin-script pieces (as
``translate.target_vocab = "script"``) and keeping the first 9,000 pieces.

    PYTHAINLP_OFFLINE=1 python benchmarks/ct2_probe.py [--n 400]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("PYTHAINLP_OFFLINE", "1")


def probe(spec: dict) -> dict:
    import ctranslate2
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(spec["hf"])
    from translate_speed import load_sentences

    texts, _ = load_sentences(spec["n"])
    src = sorted((tok.convert_ids_to_tokens(ids) for ids in tok(texts)["input_ids"]), key=len, reverse=True)
    batches: list[list[list[str]]] = []
    cur: list[list[str]] = []
    for s in src:
        if cur and (len(cur) + 1) * len(cur[0]) > spec["batch_tokens"]:
            batches.append(cur)
            cur = []
        cur.append(s)
    batches.append(cur)
    tr = ctranslate2.Translator(spec["model"], compute_type="int8", inter_threads=2, intra_threads=1)

    def run(bs: list[list[list[str]]]) -> int:
        futures = [tr.translate_batch(b, max_batch_size=0, asynchronous=True, beam_size=1,
                                      max_decoding_length=len(b[0]) + 16, use_vmap=spec["vmap"]) for b in bs]
        return sum(len(f.result().hypotheses[0]) for fs in futures for f in fs)

    run(batches[-1:])                                  # warm-up
    t0 = time.perf_counter()
    n_tok = run(batches)
    dt = time.perf_counter() - t0
    return {"tok_s": n_tok / dt, "seconds": dt, "batches": len(batches), "load": os.getloadavg()[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=400, help="FLORES sentences")
    ap.add_argument("--spec", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.spec:
        print(json.dumps(probe(json.loads(args.spec))))
        return

    from ctranslate2.converters import TransformersConverter
    from transformers import AutoTokenizer

    from mt.translate.vocab import allowed_tokens, vmap_text
    from translate_speed import build_opus_sized_marian

    work = Path(tempfile.mkdtemp(prefix="mt-ct2-probe-"))
    hf = build_opus_sized_marian(work / "opus")
    tok = AutoTokenizer.from_pretrained(hf)
    vocab = [t for t, _ in sorted(tok.get_vocab().items(), key=lambda kv: kv[1])]
    maps = {"": None, "script": allowed_tokens(tok, "en"), "first 9000": vocab[:9000]}
    models = {}
    for name, tokens in maps.items():
        vmap = None
        if tokens is not None:
            vmap = work / f"vmap-{len(tokens)}.txt"
            vmap.write_text(vmap_text(tokens), encoding="utf-8")
        out = work / f"ct2-{len(tokens) if tokens else 'full'}"
        TransformersConverter(str(hf)).convert(str(out), quantization="int8", vmap=str(vmap) if vmap else None)
        models[name] = out
    settings = [
        ("default (2,048-token batches)", {}, 2048, ""),
        ("CT2_FORCE_CPU_ISA=AVX512", {"CT2_FORCE_CPU_ISA": "AVX512"}, 2048, ""),
        ("CT2_USE_MKL=0 (oneDNN)", {"CT2_USE_MKL": "0"}, 2048, ""),
        ("1,024-token batches", {}, 1024, ""),
        ("4,096-token batches", {}, 4096, ""),
        ("8,192-token batches", {}, 8192, ""),
        (f"vocabulary map: Latin-script pieces ({len(maps['script'])} of {len(vocab)})", {}, 2048, "script"),
        (f"vocabulary map: first 9,000 pieces (of {len(vocab)})", {}, 2048, "first 9000"),
    ]
    print(f"model: random-weight Marian, opus-mt-th-en sizes, int8; {args.n} FLORES-200 dev Thai sentences, greedy, "
          f"2 translators x 1 thread; load average {os.getloadavg()[0]:.1f}")
    print("| setting | batches | seconds | target tok/s | vs default |")
    print("|---|---|---|---|---|")
    base = None
    for label, env, bt, vmap in settings:
        spec = {"hf": str(hf), "model": str(models[vmap]), "n": args.n, "batch_tokens": bt, "vmap": bool(vmap)}
        proc = subprocess.run([sys.executable, __file__, "--spec", json.dumps(spec)], capture_output=True,
                              text=True, env={**os.environ, **env}, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"{label} failed:\n{proc.stderr[-2000:]}")
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        base = base or r["tok_s"]
        print(f"| {label} | {r['batches']} | {r['seconds']:.1f} | {r['tok_s']:.0f} | {r['tok_s'] / base:.2f}x |",
              flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
