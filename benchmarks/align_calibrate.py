"""Calibrate the aligner's decision thresholds on synthetic pages of the FLORES-200 dev *tune* half.

Scores are computed once per page (:meth:`Aligner.score`); only :func:`mt.align.aligner.decide` is run
again for every setting of the grid, so the search is fast. The pages are the ones of
``align_synthetic.py`` (easy and hard, same-story negatives), txt rendering, MT off. The test half is
never read here: report figures with ``align_synthetic.py --split test``.

    PYTHAINLP_OFFLINE=1 python benchmarks/align_calibrate.py [--pages 480] [--seed 29] [--errors]
"""
from __future__ import annotations

import argparse
import itertools
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from align_synthetic import RELATIONS, CachedEmbedder, make_pages, perfect_mt, render  # noqa: E402

from mt.align import Aligner  # noqa: E402
from mt.align.aligner import decide  # noqa: E402
from mt.align.config import AlignConfig  # noqa: E402
from mt.embed import get_embedder  # noqa: E402
from mt.parse import PageParser  # noqa: E402
from mt.records import Doc  # noqa: E402

GRID = {
    "min_translation_score": [0.45, 0.5, 0.55, 0.6],
    "min_title_score": [0.35, 0.4, 0.45, 0.5],
    "min_title_score_repeated": [0.1, 0.2, 0.3],
    "min_title_rank": [0.08, 0.12, 0.16, 0.2, 0.25, 0.3, 0.35, 0.4],
}


def scored(pages, parser: PageParser, aligner: Aligner, use_mt: bool = False):
    out = []
    for name, lines, gold, en_of_line, vi_en, roles in pages:
        doc = Doc(doc_id=name, file=name, format="txt", raw_lines=render(lines, roles, "txt", name))
        parser.parse(doc)
        if use_mt:
            perfect_mt(doc, name, en_of_line, vi_en)
        aligner.use_mt = use_mt
        out.append((doc, aligner.score(doc), gold))
    return out


def f1s(items, cfg: AlignConfig, errors: list | None = None) -> dict[str, float]:
    tp, fp, fn = defaultdict(int), defaultdict(int), defaultdict(int)
    for doc, cands, gold in items:
        decide(doc, cands, cfg)
        pred = {v.line: (v.relation, v.th_line) for v in doc.vi_lines}
        for line, g in gold.items():
            p = pred.get(line, ("missing", None))
            if p == g:
                tp[g[0]] += 1
                continue
            fn[g[0]] += 1
            fp[p[0]] += 1
            if errors is not None:
                v = next(x for x in doc.vi_lines if x.line == line)
                errors.append((doc.file, line, g, p, v.reason, {k: v.scores.get(k) for k in ("combined", "rank", "embedding")}))
    out = {}
    for r in RELATIONS:
        prec = tp[r] / (tp[r] + fp[r]) if tp[r] + fp[r] else 1.0
        rec = tp[r] / (tp[r] + fn[r]) if tp[r] + fn[r] else 1.0
        out[r] = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=480)
    ap.add_argument("--seed", type=int, default=29)
    ap.add_argument("--errors", action="store_true", help="print the errors of the default and the best setting")
    ap.add_argument("--mt", action="store_true", help="MT signal on (English references), grid over title_mt_no_rank "
                    "with the other thresholds as configured")
    args = ap.parse_args(argv)
    cfg0 = AlignConfig()
    parser = PageParser()
    aligner = Aligner(cfg0, use_mt=False, embedder=CachedEmbedder(get_embedder(cfg0.embedder)))
    sets = {hard: scored(make_pages(args.pages, args.seed, "tune", hard), parser, aligner, args.mt)
            for hard in (False, True)}
    grid = {"title_mt_no_rank": [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.01]} if args.mt else GRID

    def objective(cfg: AlignConfig) -> tuple[float, float, dict]:
        per = {hard: f1s(items, cfg) for hard, items in sets.items()}
        key = [per[h][r] for h in per for r in ("translation", "title", "unpaired")]
        return min(key), sum(key) / len(key), per

    names = list(grid)
    results = []
    for values in itertools.product(*(grid[n] for n in names)):
        cfg = cfg0.model_copy(update=dict(zip(names, values)))
        lo, mean, per = objective(cfg)
        results.append((lo, mean, values, per))
    # ties (to the float) are broken toward the setting nearest the current defaults (relative change)
    def distance(values) -> float:
        return sum(abs(v - getattr(cfg0, n)) / getattr(cfg0, n) for n, v in zip(names, values))

    results.sort(key=lambda r: (-round(r[0], 6), -round(r[1], 6), distance(r[2])))
    lo, mean, per = objective(cfg0)
    print(f"tune half, {args.pages} pages x (easy, hard), seed {args.seed}; objective: min F1 of translation/title/"
          f"unpaired over easy and hard, then mean; MT {'on' if args.mt else 'off'}")
    print("default", {n: getattr(cfg0, n) for n in names}, f"min {lo:.4f} mean {mean:.4f}",
          {("hard" if h else "easy"): {r: round(x, 3) for r, x in p.items() if r in ("translation", "title", "unpaired")}
           for h, p in per.items()})
    for lo, mean, values, per in results[:8]:
        print("grid", dict(zip(names, values)), f"min {lo:.4f} mean {mean:.4f}",
              {("hard" if h else "easy"): {r: round(x, 3) for r, x in p.items() if r in ("translation", "title", "unpaired")}
               for h, p in per.items()})
    if args.errors:
        for label, cfg in (("best", cfg0.model_copy(update=dict(zip(names, results[0][2])))),):
            for hard, items in sets.items():
                errs: list = []
                f1s(items, cfg, errs)
                for e in errs:
                    print(label, "hard" if hard else "easy", *e)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
