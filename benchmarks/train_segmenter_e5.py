"""Train the ``e5seg`` segmenter (fine-tuned e5 + boundary head) and score it cross-domain.

    PYTHONPATH=. PYTHAINLP_OFFLINE=1 nice -n 10 python benchmarks/train_segmenter_e5.py \
        --train flores --test tud [--epochs 3] [--out DIR]
    ... --train all --out mt/segment          # the shipped model (FLORES dev + TUD train + dev)
    ... --cv flores --train tud [--folds 2]   # cross-validation: per fold of FLORES dev (by article),
                                              # train on --train + the other folds, score the fold

Data: FLORES-200 dev (articles = consecutive sentences of one URL) and UD Thai-TUD train + dev
(a file's sentences, upstream-shuffled, joined into paragraphs), both from the shared data folder.
Test sets are scored like benchmarks/segment_flores.py (paragraphs of <= 6 sentences,
whitespace-free boundary precision / recall / F1). Nothing is tuned on the test side: the
threshold is the recipe's fixed 0.5. Seeded (--seed) and deterministic for a given thread count.
Writes ``e5seg.pt`` (the trained top layers + head, fp16) and ``e5seg.json`` (recipe, data, score).
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from mt.encoder import load_e5  # noqa: E402
from mt.segment import train as T  # noqa: E402
from mt.segment.e5seg import META_FILE, MODEL_FILE, E5Seg  # noqa: E402
from mt.segment.e5train import Recipe, load_tud, train  # noqa: E402

TUD = T.shared_data_dir() / "ud_thai_tud"


def corpus(name: str) -> list[T.Article]:
    if name == "none":
        return []
    if name == "flores":
        return T.load_flores()
    if name == "tud-dev":
        return load_tud(TUD / "th_tud-ud-dev.conllu")
    if name == "tud":
        return load_tud(TUD / "th_tud-ud-train.conllu") + load_tud(TUD / "th_tud-ud-dev.conllu")
    if name == "all":
        return corpus("flores") + corpus("tud")
    raise SystemExit(f"unknown corpus {name!r}: flores, tud, tud-dev, all, none")


def save(model, recipe: Recipe, out: Path, info: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    torch.save({k: v.half() for k, v in model.trained_state().items()}, out / MODEL_FILE)
    digest = hashlib.sha256((out / MODEL_FILE).read_bytes()).hexdigest()[:16]
    meta = {"layers": recipe.layers, "frozen": recipe.frozen, "threshold": recipe.threshold,
            "recipe": dataclasses.asdict(recipe), "sha256_16": digest, **info}
    (out / META_FILE).write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def fit(articles: list[T.Article], recipe: Recipe, name: str):
    encoder, tok = load_e5()
    t0 = time.perf_counter()
    model = train(articles, encoder, tok, recipe, progress=lambda m: print(m, file=sys.stderr, flush=True))
    seconds = time.perf_counter() - t0
    info = {"train": name, "train_sentences": sum(len(a.sentences) for a in articles),
            "train_seconds": round(seconds)}
    print(f"trained on {name}: {info['train_sentences']} sentences, {seconds:.0f} s, {recipe}", flush=True)
    return model, tok, info


def row(label: str, test: str, r: dict, extra: str = "") -> str:
    return (f"| e5seg, trained on {label} | {test} | {r['precision']:.3f} | {r['recall']:.3f} "
            f"| {r['f1']:.3f} | {r['exact']:.3f} | {r['paragraphs']} |{extra}")


def cross_validate(args, recipe: Recipe) -> None:
    """Pooled out-of-fold score on ``args.cv``: each fold scored by a model that never saw it."""
    pairs, base, articles = [], corpus(args.train), corpus(args.cv)
    for k, held in enumerate(T.folds(articles, k=args.folds, seed=recipe.seed)):
        kept = {a.url for a in held}
        rest = [a for a in articles if a.url not in kept]
        model, tok, _ = fit(base + rest, recipe, f"{args.train} + {args.cv} other folds")
        fold = T.boundary_pairs(E5Seg.from_model(model, tok, recipe.threshold), T.paragraphs(held))
        print(row(f"{args.train} + {args.cv} folds != {k}", f"{args.cv} fold {k}", T.score(fold)), flush=True)
        pairs += fold
    print(row(f"{args.train} + other folds ({args.folds}-fold CV)", args.cv, T.score(pairs)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", default="all", help="flores | tud (train + dev) | all | none")
    ap.add_argument("--test", help="flores | tud-dev (scored after training)")
    ap.add_argument("--cv", help="flores | tud: cross-validate on this corpus (folds by article) instead")
    ap.add_argument("--folds", type=int, default=2)
    ap.add_argument("--out", help="directory for e5seg.pt / e5seg.json (none: do not save)")
    ap.add_argument("--threads", type=int, default=2)
    for f in dataclasses.fields(Recipe):
        ap.add_argument("--" + f.name.replace("_", "-"), type=type(f.default), default=f.default)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    recipe = Recipe(**{f.name: getattr(args, f.name) for f in dataclasses.fields(Recipe)})
    if args.cv:
        return cross_validate(args, recipe)
    model, tok, info = fit(corpus(args.train), recipe, args.train)
    if args.test:
        paras = T.paragraphs(corpus(args.test))
        t1 = time.perf_counter()
        r = T.evaluate(E5Seg.from_model(model, tok, recipe.threshold), paras)
        dt = time.perf_counter() - t1
        info["test"] = {"on": args.test, **{k: round(v, 4) for k, v in r.items()}}
        print(row(args.train, args.test, r, f" {1000 * dt / len(paras):.1f} ms/paragraph |"))
    if args.out:
        save(model, recipe, Path(args.out), info)


if __name__ == "__main__":
    main()
