"""Inference speed of the ``thaiseg`` segmenter, with a hash of every output.

    PYTHAINLP_OFFLINE=1 python benchmarks/segment_speed.py [--engine thaiseg] [--profile] [--features] [--src DIR]
        [--engine e5seg --batch --threads 2 [--compute-type float32|bfloat16]]
        [--model PATH.crfsuite [--drop pos,crfcut]]

Inputs (all through the public API the pipeline uses: ``get_segmenter(name).segment(text)``,
one segmenter instance, as ``SegmentStage`` does):

* every line of FLORES-200 dev Thai as one paragraph (997);
* the same lines joined in groups of 5 with one space (longer paragraphs, 200);
* every line of ``seeds/*.txt`` that has a Thai letter.

Prints per set and in total: paragraphs, seconds and ms/paragraph (best and median of
``--repeat`` passes: the machine is shared, the best pass is the least disturbed one), and
a sha256 of the JSON of all outputs (for each paragraph its spans and its sentence strings). The hash must not
change when the segmenter is only made faster. ``--features`` also prints a sha256 of
the CRF feature dicts and of the CRF boundary marginals of every line (computed after the
timed run, not timed), a stricter check that the model sees exactly the same input.
``--profile`` prints the top cProfile entries (by cumulative time) of one extra pass.
No assertions on time: one run on a shared machine is noisy.

``--model PATH`` times ``ThaiSeg(PATH)`` (decoder settings from ``PATH`` with ``.json``) instead of the
shipped engine, e.g. a model trained without some feature groups by
``benchmarks/segment_experiments.py --train-all DIR``; ``--drop pos`` / ``--drop crfcut`` /
``--drop pos,crfcut`` gives that instance a featurizer without the POS tagger / the crfcut probability
(as the model was trained), so those are never computed. The instance still builds its tagger and crfcut
at start-up (start-up is not part of the ms/paragraph figures).
"""
from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
# --src DIR: import the ``mt`` package from DIR (e.g. an older commit exported with
# ``git archive <commit> mt | tar -x -C DIR``) to compare versions on the same inputs
_src = sys.argv[sys.argv.index("--src") + 1] if "--src" in sys.argv[:-1] else str(ROOT)
sys.path.insert(0, _src)

from mt.segment import get_segmenter  # noqa: E402
from mt.segment.engines import line_candidates  # noqa: E402
from mt.segment.features import Featurizer, has_thai  # noqa: E402
from mt.shared_data import shared_data_dir  # noqa: E402

FLORES = shared_data_dir() / "flores200" / "dev" / "tha_Thai.dev"


def load_sets() -> dict[str, list[str]]:
    flores = FLORES.read_text(encoding="utf-8").splitlines()
    grouped = [" ".join(x.strip() for x in flores[i:i + 5]) for i in range(0, len(flores), 5)]
    seeds = [line for p in sorted((ROOT / "seeds").glob("*.txt"))
             for line in p.read_text(encoding="utf-8").splitlines() if has_thai(line)]
    return {"flores lines": flores, "flores x5": grouped, "seeds thai lines": seeds}


def run(seg, paragraphs: list[str], batch: bool = False) -> list:
    """Outputs of every paragraph; ``batch``: one ``segment_many`` call (the encoder batched, as SegmentStage)."""
    many = getattr(seg, "segment_many", None) if batch else None
    all_spans = many(paragraphs) if many else (seg.segment(text) for text in paragraphs)
    return [[[a, b] for a, b in spans] + [[text[a:b] for a, b in spans]] for text, spans in zip(paragraphs, all_spans)]


def sha(obj) -> str:
    return hashlib.sha256(json.dumps(obj, ensure_ascii=False).encode("utf-8")).hexdigest()


def crf_inputs_hash(seg, paragraphs: list[str]) -> tuple[str, str]:
    """sha256 of the feature dicts and of the CRF marginals of every Thai line (thaiseg only)."""
    hf, hp = hashlib.sha256(), hashlib.sha256()
    for text in paragraphs:
        for _, line, cands in line_candidates(text):
            if not cands or not has_thai(line):
                continue
            feats = seg.featurizer.features(line, cands)
            hf.update(json.dumps(feats, ensure_ascii=False, sort_keys=True).encode("utf-8"))
            seg.tagger.set(feats)
            probs = [seg.tagger.marginal("B", i) for i in range(len(cands))]
            hp.update(json.dumps([repr(p) for p in probs]).encode("utf-8"))
    return hf.hexdigest(), hp.hexdigest()


def make_segmenter(engine: str, model: str | None = None, drop: tuple[str, ...] = (), compute_type: str = "auto"):
    """``get_segmenter(engine, [segment] with compute_type)``, or ``ThaiSeg(model)`` with the feature groups in
    ``drop`` left out."""
    if model is None:
        from mt.segment.config import SegmentConfig

        return get_segmenter(engine, SegmentConfig(engine=engine, compute_type=compute_type))
    from mt.segment.engines import ThaiSeg

    seg = ThaiSeg(model)
    f = seg.featurizer
    seg.featurizer = Featurizer(f.tokenize, None if "pos" in drop else f.tag,
                                None if "crfcut" in drop else f.boundary_prob, f.freq)
    return seg


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--engine", default="thaiseg")
    ap.add_argument("--profile", action="store_true", help="print the top cProfile entries of one extra pass")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=3, help="timed passes over each set (best and median shown)")
    ap.add_argument("--features", action="store_true", help="also hash the CRF feature dicts and marginals")
    ap.add_argument("--batch", action="store_true", help="segment each set in one segment_many call (e5seg)")
    ap.add_argument("--threads", type=int, help="torch threads (e5seg; default: torch's)")
    ap.add_argument("--compute-type", default="auto", help="e5seg: auto | float32 | bfloat16 ([segment] compute_type)")
    ap.add_argument("--src", default=str(ROOT), help="directory to import the mt package from (default: this repo)")
    ap.add_argument("--model", help="a thaiseg .crfsuite model to time instead of the shipped engine")
    ap.add_argument("--drop", default="", help="with --model: feature groups the model was trained without "
                                               "(comma-separated: pos, crfcut)")
    args = ap.parse_args()
    drop = tuple(x for x in args.drop.split(",") if x)
    if [x for x in drop if x not in ("pos", "crfcut")] or (drop and not args.model):
        ap.error(f"--drop takes pos and/or crfcut, and needs --model; got {args.drop!r}")

    sets = load_sets()
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    import mt
    print(f"mt imported from {Path(mt.__file__).parent}")
    t0 = time.perf_counter()
    seg = make_segmenter(args.engine, args.model, drop, args.compute_type)
    t1 = time.perf_counter()
    seg.segment("ฝนตกหนักทั้งคืน น้ำท่วมถนนหลายสาย")   # PyThaiNLP loads its dictionary and tagger lazily
    if args.model:
        print(f"model {args.model}, features dropped: {', '.join(drop) or 'none'}")
    print(f"engine {args.engine} ({getattr(seg, 'compute_type', '-')}): load {t1 - t0:.2f} s, first call {time.perf_counter() - t1:.2f} s (not counted below)")
    outputs = []
    total_n, total_best, total_med = 0, 0.0, 0.0
    same = True
    for name, paras in sets.items():
        times, out = [], None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            got = run(seg, paras, args.batch)
            times.append(time.perf_counter() - t0)
            same = same and (out is None or got == out)
            out = got
        outputs.append(out)
        best, med = min(times), statistics.median(times)
        total_n += len(paras)
        total_best += best
        total_med += med
        chars = sum(len(p) for p in paras)
        print(f"{name:18s} paragraphs {len(paras):5d}  chars {chars:7d}  seconds best {best:6.2f} median {med:6.2f}  "
              f"ms/paragraph best {1000 * best / len(paras):6.2f} median {1000 * med / len(paras):6.2f}  "
              f"sha256 {sha(out)[:16]}")
    print(f"{'total':18s} paragraphs {total_n:5d}  seconds best {total_best:6.2f} median {total_med:6.2f}  "
          f"ms/paragraph best {1000 * total_best / total_n:6.2f} median {1000 * total_med / total_n:6.2f}  "
          f"({args.repeat} passes, one segmenter instance; outputs identical across passes: {same})")
    print(f"output sha256 {sha(outputs)}")
    if args.features and hasattr(seg, "featurizer"):
        paras = [p for ps in sets.values() for p in ps]
        hf, hp = crf_inputs_hash(make_segmenter(args.engine, args.model, drop), paras)
        print(f"features sha256 {hf}")
        print(f"marginals sha256 {hp}")
    if args.profile:
        paras = [p for ps in sets.values() for p in ps]
        fresh = make_segmenter(args.engine, args.model, drop)      # no state carried over from the timed run
        prof = cProfile.Profile()
        prof.enable()
        run(fresh, paras)
        prof.disable()
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(args.top)
        print(buf.getvalue())


if __name__ == "__main__":
    main()
