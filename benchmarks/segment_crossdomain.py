"""Cross-domain scores of the baseline segmenters: FLORES-200 dev <-> UD Thai-TUD dev.

    PYTHONPATH=. PYTHAINLP_OFFLINE=1 nice -n 10 python benchmarks/segment_crossdomain.py [--no-crf-tud]

Scored like benchmarks/segment_flores.py (paragraphs of <= 6 sentences, whitespace-free boundary
P / R / F1). ``thaiseg`` (shipped) was trained on FLORES dev, so its TUD dev row is cross-domain and
its FLORES row in-sample; the ``thaiseg CRF trained on TUD`` row retrains the same CRF recipe
(benchmarks/train_segmenter.py) on TUD train + dev and scores it on FLORES dev. The e5seg rows come
from benchmarks/train_segmenter_e5.py.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from mt.segment import get_segmenter  # noqa: E402
from mt.segment import train as T  # noqa: E402
from mt.segment.engines import LengthPriorDecoder, ThaiSeg  # noqa: E402
from train_segmenter_e5 import corpus  # noqa: E402


def row(name: str, test: str, r: dict, seconds: float) -> str:
    return (f"| {name} | {test} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r['exact']:.3f} "
            f"| {r['paragraphs']} | {1000 * seconds / r['paragraphs']:.1f} ms/paragraph |")


def timed(seg, paras):
    t0 = time.perf_counter()
    r = T.evaluate(seg, paras)
    return r, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-crf-tud", action="store_true", help="skip retraining the CRF on TUD (minutes)")
    args = ap.parse_args()
    tests = {"tud-dev": T.paragraphs(corpus("tud-dev")), "flores": T.paragraphs(corpus("flores"))}
    print("| engine | test set | precision | recall | F1 | exact | paragraphs | time |")
    print("|---|---|---|---|---|---|---|---|")
    for name in ("whitespace", "crfcut", "thaiseg"):
        seg = get_segmenter(name)
        for test, paras in tests.items():
            label = name + (" (shipped, trained on FLORES dev)" if name == "thaiseg" else "")
            print(row(label, test + (" (in-sample)" if name == "thaiseg" and test == "flores" else ""),
                      *timed(seg, paras)), flush=True)
    if not args.no_crf_tud:
        import train_segmenter as TS

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "tud.crfsuite"
            featurizer = TS.cached_featurizer()
            meta = TS.train(corpus("tud"), path, featurizer)
            seg = ThaiSeg(str(path))
            seg.featurizer = featurizer
            seg.decoder = LengthPriorDecoder(**meta["decoder"])
            print(row("thaiseg CRF trained on TUD train+dev", "flores", *timed(seg, tests["flores"])), flush=True)


if __name__ == "__main__":
    main()
