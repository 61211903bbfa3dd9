"""Route B (untrained combination): e5seg boundary probability averaged with the thaiseg CRF marginal.

    PYTHONPATH=. PYTHAINLP_OFFLINE=1 nice -n 10 python benchmarks/segment_combine.py \
        --e5 DIR/e5seg.pt --train flores --test tud-dev          # CRF: the shipped thaiseg (FLORES dev)
    ... --e5 DIR/e5seg.pt --train tud --test flores              # CRF retrained on TUD train + dev

Both models trained on the same side (--train), scored on the other, like benchmarks/segment_flores.py.
Per candidate space: ``p = w * p_e5 + (1 - w) * p_crf`` (thaiseg's rule vetoes applied), a boundary when
``p >= 0.5``; printed for w = 1 (e5 alone), 0 (CRF marginal alone, no length prior) and 0.5. Nothing is
fitted on the test side.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from mt.segment import train as T  # noqa: E402
from mt.segment.e5seg import E5Seg, rule_vetoes  # noqa: E402
from mt.segment.engines import ThaiSeg  # noqa: E402
from mt.segment.features import find_candidates, has_thai, spans_from_boundaries  # noqa: E402
from train_segmenter_e5 import corpus  # noqa: E402


def crf_marginals(seg: ThaiSeg, text: str, cands) -> list[float]:
    seg.tagger.set(seg.featurizer.features(text, cands))
    return [seg.tagger.marginal("B", i) for i in range(len(cands))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--e5", required=True)
    ap.add_argument("--train", choices=["flores", "tud"], required=True)
    ap.add_argument("--test", choices=["flores", "tud-dev"], required=True)
    args = ap.parse_args()
    paras = T.paragraphs(corpus(args.test))
    texts = [T.join(p) for p in paras]
    e5 = E5Seg(args.e5)
    with tempfile.TemporaryDirectory() as tmp:
        if args.train == "flores":
            crf = ThaiSeg()
        else:
            import train_segmenter as TS

            path = Path(tmp) / "tud.crfsuite"
            TS.train(corpus("tud"), path, TS.cached_featurizer())
            crf = ThaiSeg(str(path))
        cands = [find_candidates(t) for t in texts]
        pe = e5.probabilities(texts, cands)
        pc = [crf_marginals(crf, t, c) if c and has_thai(t) else [] for t, c in zip(texts, cands)]
    gold = [T.gold_boundaries(p) for p in paras]
    print(f"| combination (trained on {args.train}) | test set | precision | recall | F1 | exact |")
    print("|---|---|---|---|---|---|")
    for w in (1.0, 0.0, 0.5):
        pairs = []
        for t, c, a, b, g in zip(texts, cands, pe, pc, gold):
            labels = [w * x + (1 - w) * y >= 0.5 and not v for x, y, v in zip(a, b, rule_vetoes(t, c))]
            pairs.append((g, T.span_boundaries(t, spans_from_boundaries(t, c, labels))))
        r = T.score(pairs)
        print(f"| w_e5 = {w} | {args.test} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} "
              f"| {r['exact']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
