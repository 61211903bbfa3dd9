"""Translation speed: transformers fp32 vs CTranslate2 int8 / fp32, greedy and beam 4, on CPU.

No real weights can be downloaded here, so the model is a random-weight Marian with the
sizes of Helsinki-NLP/opus-mt-th-en (d_model 512, 6+6 layers, 8 heads, FFN 2048, shared
vocabulary of 60,000). Its tokenizer is the tiny model's SentencePiece (mt.tinymodel) with
the vocabulary padded to 60k entries, so the output softmax and embeddings have the real
size; the filler pieces are alternately Latin and Thai, so about half of the vocabulary is in
each script (assumed for opus-mt-th-en, whose joint vocabulary merges a Thai and an English
SentencePiece model; its real split could not be checked offline). Rows marked
``target_vocab script`` restrict the output to Latin-script pieces (mt.translate.vocab): about
30,000 of 60,000 pieces (``--size nllb-600m``: the matrix sizes of nllb-200-distilled-600M, greedy rows only).
Inputs are real Thai sentences of variable length (FLORES-200 dev when ../shared/data is
present, else the seed pages), each sentence once (no cache hits, no de-duplication), guard off: the figures are engine throughput through the project's own
engine classes (mt.translate.load_translator -> Translator -> engine).

Random weights never predict the end of a sentence, so every output runs to its length
cap: ``max_length_ratio = 1.0`` makes that ``source tokens + 16``, close to real
translation lengths. "target tok/s" counts generated tokens (engine.generated_tokens).
Timings on a shared machine are noisy: one run, no asserts.

Each engine runs with the project's defaults for this machine (CTranslate2 on CPU: inter_threads =
cores, intra_threads = 1, its own batch size) except where a row says otherwise; transformers runs
with 1 and with all torch threads (and one smaller batch size), and every ratio is taken against
the fastest transformers row of the same beam size.

    PYTHAINLP_OFFLINE=1 python benchmarks/translate_speed.py [--greedy-n 200] [--beam-n 64] [--write]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

VOCAB = 60_000
#: random Marian models with the compute sizes of real ones (layers, widths, vocabulary)
SIZES = {
    "opus-mt": {"vocab": VOCAB, "d_model": 512, "layers": 6, "heads": 8, "ffn": 2048,
                "label": "opus-mt-th-en sizes (d_model 512, 6+6 layers, 8 heads, FFN 2048, vocab 60,000)"},
    "nllb-600m": {"vocab": 256_206, "d_model": 1024, "layers": 12, "heads": 16, "ffn": 4096,
                  "label": "nllb-200-distilled-600M sizes (d_model 1024, 12+12 layers, 16 heads, FFN 4096, "
                           "vocab 256,206; Marian layout, same matrix sizes)"},
}


def build_opus_sized_marian(out: Path, seed: int = 0, size: str = "opus-mt") -> Path:
    import torch
    from transformers import GenerationConfig, MarianConfig, MarianMTModel, MarianTokenizer

    from mt.tinymodel import build_tiny_model

    tiny = build_tiny_model()
    vocab = json.loads((tiny / "vocab.json").read_text(encoding="utf-8"))
    vocab.pop("<pad>")
    i = 0
    dims = SIZES[size]
    while len(vocab) < dims["vocab"] - 1:      # filler pieces, alternately Latin and Thai script
        vocab[f"\u2581zz{i:05d}" if i % 2 == 0 else f"\u2581\u0e2e\u0e2e{i:05d}"] = len(vocab)
        i += 1
    pad = len(vocab)
    vocab["<pad>"] = pad
    out.mkdir(parents=True, exist_ok=True)
    for f in ("source.spm", "target.spm"):
        shutil.copyfile(tiny / f, out / f)
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tok = MarianTokenizer(source_spm=str(out / "source.spm"), target_spm=str(out / "target.spm"),
                          vocab=str(out / "vocab.json"), model_max_length=512)
    config = MarianConfig(vocab_size=dims["vocab"], decoder_vocab_size=dims["vocab"], d_model=dims["d_model"],
                          encoder_layers=dims["layers"], decoder_layers=dims["layers"],
                          encoder_attention_heads=dims["heads"], decoder_attention_heads=dims["heads"],
                          encoder_ffn_dim=dims["ffn"], decoder_ffn_dim=dims["ffn"], max_position_embeddings=512, pad_token_id=pad, eos_token_id=0,
                          decoder_start_token_id=pad, forced_eos_token_id=None, scale_embedding=True,
                          share_encoder_decoder_embeddings=True, activation_function="swish",
                          dropout=0.0, attention_dropout=0.0, activation_dropout=0.0, init_std=0.1)
    torch.manual_seed(seed)
    model = MarianMTModel(config)
    with torch.no_grad():
        model.get_input_embeddings().weight[pad].zero_()
        model.final_logits_bias[0, 0] = -1e4     # never stop early: every output runs to its length cap
    model.generation_config = GenerationConfig(decoder_start_token_id=pad, eos_token_id=0, pad_token_id=pad,
                                               bad_words_ids=[[pad]], num_beams=1)
    model.eval()
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def load_sentences(n: int) -> tuple[list[str], str]:
    from mt.shared_data import shared_data_dir

    flores = shared_data_dir() / "flores200" / "dev" / "tha_Thai.dev"
    if flores.is_file():
        lines = flores.read_text(encoding="utf-8").splitlines()
        source = "FLORES-200 dev tha_Thai"
    else:
        import re

        lines = [ln for f in sorted((ROOT / "seeds").glob("*.txt")) for ln in f.read_text(encoding="utf-8").splitlines()
                 if re.search("[\u0e00-\u0e7f]", ln)]
        source = "seed pages (Thai lines)"
    seen: list[str] = []
    for ln in lines:
        ln = " ".join(ln.split())
        if ln and ln not in seen:
            seen.append(ln)
        if len(seen) >= n:
            break
    return seen, source


def run(model_dir: Path, texts: list[str], engine: str, compute_type: str, beam: int, ct2_dir: Path,
        inter: int | None = None, intra: int | None = None, batch_tokens: int | None = None,
        target_vocab: str = "full") -> dict:
    from mt.translate import TranslateConfig, load_translator

    cfg = TranslateConfig(preset="opus-mt", model=str(model_dir), engine=engine, compute_type=compute_type,
                          beam_size=beam, max_new_tokens=256, max_length_ratio=1.0, batch_tokens=batch_tokens,
                          cache=None, guard=False, local_files_only=True, ct2_dir=str(ct2_dir),
                          inter_threads=inter, intra_threads=intra, target_vocab=target_vocab)
    t0 = time.perf_counter()
    tr = load_translator(cfg, progress=False)
    load_s = time.perf_counter() - t0
    tr.translate(texts[:4], "th")                     # warm-up (not timed)
    tr.engine.generated_tokens = 0
    calls0 = tr.stats["engine_calls"]
    t0 = time.perf_counter()
    tr.translate(texts[4:], "th")
    dt = time.perf_counter() - t0
    toks = tr.engine.generated_tokens
    n = len(texts) - 4
    calls = tr.stats["engine_calls"] - calls0
    bt = batch_tokens or tr.engine.batch_tokens
    threads = f"inter={getattr(tr.engine, 'inter_threads', '-')}, intra={getattr(tr.engine, 'intra_threads', '-')}" \
        if engine == "ctranslate2" else f"torch threads={tr.engine.threads}"
    tr.close()
    return {"engine": engine, "compute": tr.engine.compute_type, "beam": beam, "threads": threads, "n": n,
            "vocab": target_vocab,
            "batching": f"{bt}{'' if batch_tokens else ' (default)'}, {calls} batches",
            "seconds": dt, "sent_s": n / dt, "tok_s": toks / dt, "tokens": toks, "load_s": load_s}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--greedy-n", type=int, default=200)
    ap.add_argument("--beam-n", type=int, default=64)
    ap.add_argument("--size", choices=sorted(SIZES), default="opus-mt",
                    help="model sizes; nllb-600m runs greedy only: transformers fp32 (all torch threads) vs CTranslate2 "
                         "int8 (slow: use --greedy-n 32)")
    ap.add_argument("--write", action="store_true", help="also write benchmarks/translate.md")
    ap.add_argument("--row", action="store_true", help=argparse.SUPPRESS)   # internal: one row, spec on stdin
    args = ap.parse_args()
    if args.row:
        spec = json.loads(sys.stdin.read())
        r = run(Path(spec["model_dir"]), spec["texts"], spec["engine"], spec["compute_type"], spec["beam"],
                Path(spec["ct2_dir"]), spec["inter"], spec["intra"], spec["batch_tokens"], spec["vocab"])
        print(json.dumps(r))
        return

    work = Path(tempfile.mkdtemp(prefix="mt-bench-"))
    os.environ.setdefault("MT_CACHE_DIR", str(work / "cache"))
    out_lines: list[str] = []

    def say(s: str = "") -> None:
        print(s, flush=True)
        out_lines.append(s)

    try:
        t0 = time.perf_counter()
        model_dir = build_opus_sized_marian(work / args.size, size=args.size)
        say(f"# Translation speed (CPU, {os.cpu_count()} cores, {platform.processor() or platform.machine()})")
        say()
        say(f"model: random-weight Marian, {SIZES[args.size]['label']}; built in {time.perf_counter() - t0:.1f} s")
        import ctranslate2
        import torch
        import transformers

        say(f"versions: torch {torch.__version__}, transformers {transformers.__version__}, "
            f"ctranslate2 {ctranslate2.__version__}")
        texts, source = load_sentences(max(args.greedy_n, args.beam_n) + 4)
        say(f"input: real Thai sentences from {source} (the first {len(texts)}, 4 of them for warm-up)")
        from mt.translate import TranslateConfig, load_translator

        probe = load_translator(TranslateConfig(preset="opus-mt", model=str(model_dir), cache=None, guard=False,
                                                local_files_only=True), progress=False)
        lens = probe.engine.token_lengths(texts, "th")
        probe.close()
        say(f"source tokens per sentence: mean {statistics.mean(lens):.1f}, median {statistics.median(lens):.0f}, "
            f"min {min(lens)}, max {max(lens)}; target length cap = source tokens + 16 (random weights never stop)")
        say("batching: length-bucketed (longest first) by padded source tokens, each engine's default batch size "
            "unless a row says otherwise; guard and cache off; one timed run per row after a warm-up")
        say(f"load average before the run: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        say()
        ct2_dir = work / "ct2"
        rows = []
        cores = os.cpu_count() or 1
        # (engine, compute type, beam, inter_threads, intra_threads / torch threads, batch_tokens, sentences,
        #  target_vocab)
        g, b = args.greedy_n, args.beam_n
        plan = [
            ("transformers", "float32", 1, None, 1, None, g, "full"),
            ("transformers", "float32", 1, None, cores, None, g, "full"),
            ("transformers", "float32", 1, None, cores, 1024, g, "full"),
            ("ctranslate2", "float32", 1, None, None, None, g, "full"),
            ("ctranslate2", "int8", 1, None, None, None, g, "full"),
            ("ctranslate2", "int8", 1, 1, cores, None, g, "full"),
            ("transformers", "float32", 1, None, cores, None, g, "script"),
            ("ctranslate2", "int8", 1, None, None, None, g, "script"),
            ("transformers", "float32", 4, None, 1, None, b, "full"),
            ("transformers", "float32", 4, None, cores, None, b, "full"),
            ("ctranslate2", "float32", 4, None, None, None, b, "full"),
            ("ctranslate2", "int8", 4, None, None, None, b, "full"),
            ("transformers", "float32", 4, None, cores, None, b, "script"),
            ("ctranslate2", "int8", 4, None, None, None, b, "script"),
        ]
        if args.size != "opus-mt":
            plan = [("transformers", "float32", 1, None, cores, None, g, "full"),
                    ("ctranslate2", "int8", 1, None, None, None, g, "full")]
        plan = [row for row in plan if row[6] > 0]
        groups = sorted({(row[2], row[7]) for row in plan})       # (beam, target_vocab)
        for engine, ct, beam, inter, intra, bt, n, vocab in plan:
            # every row in a fresh process: torch's thread pool keeps state once set (a 2-thread row after
            # a 1-thread row in the same process ran 3-6x slower here), CTranslate2 keeps its own threads
            spec = {"model_dir": str(model_dir), "texts": texts[:n + 4], "engine": engine, "compute_type": ct,
                    "beam": beam, "ct2_dir": str(ct2_dir), "inter": inter, "intra": intra, "batch_tokens": bt,
                    "vocab": vocab}
            proc = subprocess.run([sys.executable, __file__, "--row"], input=json.dumps(spec), text=True,
                                  capture_output=True, check=False)
            if proc.returncode != 0:
                raise SystemExit(f"row {engine} {ct} beam {beam} failed:\n{proc.stderr[-3000:]}")
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            rows.append(r)
            print(f"  done: {engine} {ct} beam {beam} vocab {vocab} ({r['threads']}; {r['batching']}): "
                  f"{r['tok_s']:.0f} tok/s",
                  file=sys.stderr)
        say("| engine | compute | beam | target vocab | threads | batch tokens | sentences | seconds | sentences/s "
            "| target tok/s | vs best transformers fp32 (same beam, same vocab) |")
        say("|---|---|---|---|---|---|---|---|---|---|---|")

        def key(r: dict) -> tuple[int, str]:
            return r["beam"], r["vocab"]

        base = {k: max(r["tok_s"] for r in rows if r["engine"] == "transformers" and key(r) == k) for k in groups}
        for r in rows:
            say(f"| {r['engine']} | {r['compute']} | {r['beam']} | {r['vocab']} | {r['threads']} | {r['batching']} "
                f"| {r['n']} | {r['seconds']:.1f} | {r['sent_s']:.2f} | {r['tok_s']:.0f} | "
                f"{r['tok_s'] / base[key(r)]:.2f}x |")
        say()
        best = {k: max(r["tok_s"] for r in rows if key(r) == k and r["compute"] == "int8") for k in groups}
        say("CTranslate2 int8 / best transformers fp32 row (target tok/s): " + ", ".join(
            f"{'greedy' if b == 1 else f'beam {b}'} vocab {v} {best[(b, v)]:.0f} / {base[(b, v)]:.0f} = "
            f"{best[(b, v)] / base[(b, v)]:.2f}x" for b, v in groups) + " (target: >= 5x)")
        say(f"load average after the run: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
            f"(other processes share the {os.cpu_count()} cores: absolute figures are noisy)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.write:
        md = ROOT / "benchmarks" / "translate.md"
        md.write_text("\n".join(out_lines) + "\n\nCommand: `PYTHAINLP_OFFLINE=1 python benchmarks/translate_speed.py "
                      f"--greedy-n {args.greedy_n} --beam-n {args.beam_n} --write`\n", encoding="utf-8")
        print(f"wrote {md}", file=sys.stderr)


if __name__ == "__main__":
    main()
