"""Thai sentence segmentation benchmark on FLORES-200 dev paragraphs.

    PYTHAINLP_OFFLINE=1 python benchmarks/segment_flores.py [--folds 5] [--no-cv] [--markdown FILE]

Paragraphs: consecutive sentences of one article (same URL in metadata_dev.tsv), at
most 6 per paragraph, trailing spaces stripped, joined by one space. Boundaries are
scored as character offsets with whitespace removed: micro precision, recall, F1,
and the share of paragraphs segmented exactly.

Rows:
* ``whitespace``, ``crfcut`` -- baselines, never trained on FLORES;
* ``thaiseg (shipped)`` -- the model in the package, which was trained on all of
  FLORES dev: an in-sample number, shown only for reference;
* ``thaiseg k-fold CV`` -- the honest number: k folds by article, the same
  training recipe as ``benchmarks/train_segmenter.py`` on k-1 folds, scored on the
  held-out fold; mean +- sd over folds (and the Wikinews articles alone: news).
"""
from __future__ import annotations

import argparse
import os
import statistics
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


def row(name: str, r: dict, seconds: float | None = None) -> str:
    t = f"{seconds:.1f}" if seconds is not None else ""
    return (f"| {name} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r['exact']:.3f} "
            f"| {r['paragraphs']} | {t} |")


def cv_row(name: str, results: list[dict]) -> str:
    def ms(key: str) -> str:
        vals = [r[key] for r in results]
        return f"{statistics.mean(vals):.3f} ± {statistics.stdev(vals):.3f}"
    n = sum(r["paragraphs"] for r in results)
    return f"| {name} | {ms('precision')} | {ms('recall')} | {ms('f1')} | {ms('exact')} | {n} | |"


def cross_validate(articles: list[T.Article], k: int, log) -> tuple[list[dict], list[dict]]:
    import train_segmenter as TS

    featurizer = TS.cached_featurizer()
    allr, news = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i, test in enumerate(T.folds(articles, k)):
            train = [a for a in articles if a not in test]
            path = Path(tmp) / f"fold{i}.crfsuite"
            meta = TS.train(train, path, featurizer)
            seg = ThaiSeg(str(path))
            seg.featurizer = featurizer          # same features, memoised tokeniser
            seg.decoder = LengthPriorDecoder(**meta["decoder"])
            r = T.evaluate(seg, T.paragraphs(test))
            rn = T.evaluate(seg, T.paragraphs([a for a in test if a.domain == "wikinews"]))
            allr.append(r)
            news.append(rn)
            log(f"fold {i + 1}/{k}: train {len(train)} articles, test {len(test)}: "
                f"F1 {r['f1']:.3f} (news {rn['f1']:.3f})")
    return allr, news


def main() -> None:
    ap = argparse.ArgumentParser(description="Thai sentence segmentation on FLORES-200 dev paragraphs")
    ap.add_argument("--flores", default=str(T.FLORES_DEV))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--no-cv", action="store_true", help="skip the cross-validation (minutes)")
    ap.add_argument("--markdown", help="also write the table to this file")
    args = ap.parse_args()

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    articles = T.load_flores(Path(args.flores))
    paras = T.paragraphs(articles)
    news = T.paragraphs([a for a in articles if a.domain == "wikinews"])
    lines = [
        f"FLORES-200 dev: {sum(len(a.sentences) for a in articles)} sentences, {len(articles)} articles, "
        f"{len(paras)} paragraphs (<= {T.MAX_SENTENCES} sentences), "
        f"{sum(len(p) - 1 for p in paras)} gold boundaries",
        "",
        "| engine | precision | recall | F1 | exact | paragraphs | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ("whitespace", "crfcut", "thaiseg"):
        seg = get_segmenter(name)
        t0 = time.perf_counter()
        r = T.evaluate(seg, paras)
        dt = time.perf_counter() - t0
        label = "thaiseg (shipped; in-sample, trained on all of FLORES dev)" if name == "thaiseg" else name
        lines.append(row(label, r, dt))
        log(lines[-1])
    for name in ("whitespace", "crfcut"):
        lines.append(row(f"{name}, Wikinews articles only", T.evaluate(get_segmenter(name), news)))
    if not args.no_cv:
        allr, newsr = cross_validate(articles, args.folds, log)
        lines.append(cv_row(f"thaiseg {args.folds}-fold CV by article (held out), mean ± sd", allr))
        lines.append(cv_row(f"thaiseg {args.folds}-fold CV, Wikinews articles only", newsr))
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
