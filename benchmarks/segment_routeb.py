"""Route B trained (a logistic head over e5seg probability + CRF marginal + surface features) and threshold
calibration of e5seg, both cross-domain with every choice made on the training side.

    PYTHONPATH=. PYTHAINLP_OFFLINE=1 nice -n 10 python benchmarks/segment_routeb.py --stage oof --train tud
    ... --stage oof --train flores                      # out-of-fold e5seg + CRF scores on the training side
    ... --stage test --train tud --e5 DIR_TUD/e5seg.pt  # full-side models' scores on the test side
    ... --stage test --train flores --e5 DIR_FLORES/e5seg.pt
    ... --stage fit                                     # heads, thresholds, tables (both directions)

Cross-domain protocol as benchmarks/segment.md: train FLORES dev -> test TUD dev, train TUD train+dev ->
test FLORES dev; evaluation paragraphs and scoring as benchmarks/segment_flores.py.

Why out-of-fold: a head or a threshold fitted on the scores of models that saw the same paragraphs learns
their in-sample confidence. So the training side is split in 2 folds by article (seeded); on each fold an
e5seg model (the shipped recipe, ``--oof-epochs`` epochs: 1 by default, to fit the time) and a CRF (the
thaiseg recipe) are trained on the other fold and score its evaluation paragraphs. The head (numpy
logistic regression, L2, standardised features) and every threshold are chosen on these out-of-fold scores
(threshold: best boundary F1 of 2-fold cross-fitted head scores); at test time the head reads the scores of
the models trained on the whole training side (e5seg: ``--e5``, the 3-epoch cross-domain model; CRF: the
shipped thaiseg for FLORES, retrained on TUD for TUD). "FLORES pages": the held-out FLORES articles also
regrouped into seeded page-like paragraphs of 1-4 sentences (threshold chosen there; FLORES side only).
Scores are cached as JSON in ``--cache``.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402

from mt.segment import train as T  # noqa: E402
from mt.segment.e5seg import rule_vetoes  # noqa: E402
from mt.segment.features import find_candidates, has_thai, spans_from_boundaries  # noqa: E402
from train_segmenter_e5 import corpus  # noqa: E402

TEST_OF = {"flores": "tud-dev", "tud": "flores"}
SEED = 13
GRID = [round(0.05 * i, 2) for i in range(1, 20)]


def pages(articles: list[T.Article], seed: int = SEED) -> list[list[str]]:
    """Page-like paragraphs: seeded runs of 1-4 sentences of one article."""
    rng = random.Random(seed)
    out = []
    for art in articles:
        i = 0
        while i < len(art.sentences):
            k = rng.randint(1, 4)
            out.append(art.sentences[i: i + k])
            i += k
    return out


def crf_model(articles: list[T.Article], tmp: Path, name: str):
    import train_segmenter as TS

    from mt.segment.engines import ThaiSeg

    path = tmp / f"{name}.crfsuite"
    TS.train(articles, path, TS.cached_featurizer())
    return ThaiSeg(str(path))


def crf_scores(seg, texts: list[str]) -> list[list[float]]:
    from segment_combine import crf_marginals

    out = []
    for t in texts:
        cs = find_candidates(t)
        out.append(crf_marginals(seg, t, cs) if cs and has_thai(t) else [0.0] * len(cs))
    return out


def e5_scores(model_or_path, texts: list[str]) -> list[list[float]]:
    from mt.segment.e5seg import E5Seg

    seg = E5Seg(model_or_path) if isinstance(model_or_path, str) else model_or_path
    return seg.probabilities(texts, [find_candidates(t) for t in texts])


def stage_oof(args) -> None:
    import torch

    from mt.encoder import load_e5
    from mt.segment.e5seg import E5Seg
    from mt.segment.e5train import Recipe, train

    torch.set_num_threads(args.threads)
    arts = corpus("flores" if args.train == "flores" else "tud")
    out = {"paras": [], "fold": [], "e5": [], "crf": [], "pages": [], "pages_e5": [], "epochs": args.oof_epochs}
    with tempfile.TemporaryDirectory() as tmp:
        for k, held in enumerate(T.folds(arts, k=2, seed=SEED)):
            rest = [a for a in arts if a not in held]
            paras = T.paragraphs(held)
            texts = [T.join(p) for p in paras]
            t0 = time.perf_counter()
            crf = crf_model(rest, Path(tmp), f"fold{k}")
            out["crf"] += crf_scores(crf, texts)
            del crf
            print(f"fold {k}: CRF trained and scored in {time.perf_counter() - t0:.0f} s", flush=True)
            enc, tok = load_e5()
            recipe = Recipe(epochs=args.oof_epochs)
            model = train(rest, enc, tok, recipe, progress=lambda m: print(m, file=sys.stderr, flush=True))
            seg = E5Seg.from_model(model, tok, recipe.threshold)
            out["e5"] += e5_scores(seg, texts)
            out["paras"] += paras
            out["fold"] += [k] * len(paras)
            if args.train == "flores":
                pg = pages(held, SEED + k)
                out["pages"] += pg
                out["pages_e5"] += e5_scores(seg, [T.join(p) for p in pg])
            print(f"fold {k}: e5seg trained and scored, {time.perf_counter() - t0:.0f} s", flush=True)
    save(args, f"oof-{args.train}", out)


def stage_test(args) -> None:
    import torch

    from mt.segment.engines import ThaiSeg

    torch.set_num_threads(args.threads)
    paras = T.paragraphs(corpus(TEST_OF[args.train]))
    texts = [T.join(p) for p in paras]
    out = {"paras": paras, "e5": e5_scores(args.e5, texts)}
    with tempfile.TemporaryDirectory() as tmp:
        crf = ThaiSeg() if args.train == "flores" else crf_model(corpus("tud"), Path(tmp), "tud")
        out["crf"] = crf_scores(crf, texts)
    save(args, f"test-{args.train}", out)


def save(args, name: str, obj: dict) -> None:
    path = Path(args.cache) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {path}")


def load(args, name: str) -> dict:
    return json.loads((Path(args.cache) / f"{name}.json").read_text(encoding="utf-8"))


# ---- features, head, scoring -------------------------------------------------------------------------

PUNCT_END = set(".!?…)]”’\"'")
FEATURES = ["e5", "crf", "e5*crf", "prev", "next", "punct_l", "quote_r", "digit_l", "digit_r", "latin_l",
            "latin_r", "veto"]


def logit(p: float) -> float:
    p = min(1 - 1e-4, max(1e-4, p))
    return math.log(p / (1 - p))


def features(text: str, cands, pe, pc) -> tuple[np.ndarray, list[bool]]:
    """One row per candidate (see FEATURES) and the rule vetoes."""
    vetoes = rule_vetoes(text, cands) if cands else []
    rows = []
    for i, c in enumerate(cands):
        a = cands[i - 1].end if i else 0
        b = cands[i + 1].start if i + 1 < len(cands) else len(text)
        lc, rc = text[c.start - 1: c.start], text[c.end: c.end + 1]
        le, lcrf = logit(pe[i]), logit(pc[i])
        rows.append([le, lcrf, le * lcrf / 10.0, math.log1p(c.start - a), math.log1p(b - c.end),
                     lc in PUNCT_END, rc in "\"'“‘(", lc.isdigit(), rc.isdigit(), lc.isascii() and lc.isalpha(),
                     rc.isascii() and rc.isalpha(), vetoes[i]])
    return np.array(rows, dtype=np.float64).reshape(-1, len(FEATURES)), vetoes


def dataset(d: dict):
    """Features, labels and per-paragraph slices of a cached score set."""
    X, y, where = [], [], []
    for sents, pe, pc in zip(d["paras"], d["e5"], d["crf"]):
        text, cands, labels = T.labelled(sents)
        f, _ = features(text, cands, pe, pc)
        where.append((len(y), len(y) + len(cands)))
        X.append(f)
        y += [lab == "B" for lab in labels]
    return np.vstack(X), np.array(y, dtype=np.float64), where


class Logistic:
    """L2-regularised logistic regression by Newton's method on standardised features (deterministic)."""

    def __init__(self, l2: float = 1.0, iters: int = 30):
        self.l2, self.iters = l2, iters

    def fit(self, X: np.ndarray, y: np.ndarray) -> Logistic:
        self.mu, self.sd = X.mean(0), X.std(0) + 1e-9
        Z = np.hstack([(X - self.mu) / self.sd, np.ones((len(X), 1))])
        w = np.zeros(Z.shape[1])
        reg = np.full(Z.shape[1], self.l2)
        reg[-1] = 0.0
        for _ in range(self.iters):
            p = 1 / (1 + np.exp(-Z @ w))
            g = Z.T @ (p - y) + reg * w
            H = (Z * (p * (1 - p))[:, None]).T @ Z + np.diag(reg + 1e-9)
            w -= np.linalg.solve(H, g)
        self.w = w
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        Z = np.hstack([(X - self.mu) / self.sd, np.ones((len(X), 1))])
        return 1 / (1 + np.exp(-Z @ self.w))


def evaluate(paras, scores: list[list[float]], threshold: float, veto: bool = True) -> dict:
    pairs = []
    for sents, ps in zip(paras, scores):
        text, cands, _ = T.labelled(sents)
        vetoes = rule_vetoes(text, cands) if cands and veto else [False] * len(cands)
        lab = [p >= threshold and not v for p, v in zip(ps, vetoes)]
        pairs.append((T.gold_boundaries(sents), T.span_boundaries(text, spans_from_boundaries(text, cands, lab))))
    return T.score(pairs)


def best_threshold(paras, scores) -> float:
    return max(GRID, key=lambda t: (round(evaluate(paras, scores, t)["f1"], 6), -abs(t - 0.5)))


def split(values: np.ndarray, where) -> list[list[float]]:
    return [values[a:b].tolist() for a, b in where]


def head_rows(oof: dict, test: dict) -> list[tuple[str, dict]]:
    """The trained head: threshold from 2-fold cross-fitted head scores on the training side."""
    X, y, where = dataset(oof)
    folds = np.array([k for k, (a, b) in zip(oof["fold"], where) for _ in range(b - a)])
    cross = np.zeros(len(y))
    for k in sorted(set(folds.tolist())):
        cross[folds == k] = Logistic().fit(X[folds != k], y[folds != k]).predict(X[folds == k])
    thr = best_threshold(oof["paras"], split(cross, where))
    head = Logistic().fit(X, y)
    Xt, _, wt = dataset(test)
    pt = split(head.predict(Xt), wt)
    weights = ", ".join(f"{n} {w:+.2f}" for n, w in zip(FEATURES + ["bias"], head.w))
    print(f"  head weights (standardised): {weights}")
    return [("route B head, threshold 0.5", evaluate(test["paras"], pt, 0.5)),
            (f"route B head, threshold {thr} (2-fold CV on the training side)", evaluate(test["paras"], pt, thr))]


def stage_fit(args) -> None:
    print("| method | trained on | test set | threshold chosen on | precision | recall | F1 | exact |")
    print("|---|---|---|---|---|---|---|---|")
    chosen = {}
    for train in ("flores", "tud"):
        if not all((Path(args.cache) / f"{n}-{train}.json").is_file() for n in ("oof", "test")):
            print(f"(no cached scores for --train {train} in {args.cache}: run --stage oof / test first)")
            continue
        oof, test = load(args, f"oof-{train}"), load(args, f"test-{train}")
        name = {"flores": "FLORES dev", "tud": "TUD train+dev"}[train]
        tname = {"flores": "TUD dev", "tud": "FLORES dev"}[train]
        rows = [("e5seg", "fixed 0.5", evaluate(test["paras"], test["e5"], 0.5))]
        t_oof = best_threshold(oof["paras"], oof["e5"])
        chosen[train] = t_oof
        rows.append((f"e5seg, threshold {t_oof}", "training side, out-of-fold",
                     evaluate(test["paras"], test["e5"], t_oof)))
        if oof.get("pages"):
            t_pg = best_threshold(oof["pages"], oof["pages_e5"])
            rows.append((f"e5seg, threshold {t_pg}", "FLORES-dev pages (1-4 sentences), out-of-fold",
                         evaluate(test["paras"], test["e5"], t_pg)))
        rows.append(("CRF marginal alone", "fixed 0.5", evaluate(test["paras"], test["crf"], 0.5)))
        rows += [(m, "training side, 2-fold CV" if "CV" in m else "fixed 0.5", r) for m, r in head_rows(oof, test)]
        oof_e5 = evaluate(oof["paras"], oof["e5"], 0.5)
        print(f"| (out-of-fold e5seg, {oof.get('epochs', '?')} epoch(s), threshold 0.5) | {name} "
              f"(other fold) | {name} | - | {oof_e5['precision']:.3f} | {oof_e5['recall']:.3f} "
              f"| {oof_e5['f1']:.3f} | {oof_e5['exact']:.3f} |")
        for method, on, r in rows:
            print(f"| {method} | {name} | {tname} | {on} | {r['precision']:.3f} | {r['recall']:.3f} "
                  f"| {r['f1']:.3f} | {r['exact']:.3f} |", flush=True)
    if not all((Path(args.cache) / f"oof-{n}.json").is_file() for n in ("flores", "tud")):
        return
    both = load(args, "oof-flores"), load(args, "oof-tud")
    t_all = best_threshold(both[0]["paras"] + both[1]["paras"], both[0]["e5"] + both[1]["e5"])
    print(f"threshold chosen on both sides' out-of-fold scores together (a candidate for the shipped model): {t_all}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stage", choices=["oof", "test", "fit"], required=True)
    ap.add_argument("--train", choices=["flores", "tud"])
    ap.add_argument("--e5", help="stage test: the e5seg.pt trained on the whole --train side")
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "mt-routeb"))
    ap.add_argument("--oof-epochs", type=int, default=1, help="stage oof: epochs of the fold models")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    if args.stage != "fit" and not args.train:
        raise SystemExit("--train is needed for --stage oof / test")
    {"oof": stage_oof, "test": stage_test, "fit": stage_fit}[args.stage](args)


if __name__ == "__main__":
    main()
