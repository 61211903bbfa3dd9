"""Train the ``thaiseg`` sentence segmenter and write it into the package.

    PYTHAINLP_OFFLINE=1 python benchmarks/train_segmenter.py [--out mt/segment/thaiseg.crfsuite]

Reproducible: the augmentation is seeded, crfsuite's L-BFGS is deterministic, and
the only inputs are FLORES-200 dev (CC BY-SA 4.0, ../shared/data/flores200/dev)
and data shipped with PyThaiNLP (see mt/segment/DATA.md). Writes two files:

* ``thaiseg.crfsuite`` -- the CRF over candidate spaces;
* ``thaiseg.json``     -- the sentence-length prior used for decoding, and how the
  model was trained (data, seed, parameters).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import statistics
import sys
from pathlib import Path

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mt.segment import train as T  # noqa: E402
from mt.segment.engines import CrfcutLocal, load_tnc_freq, make_featurizer  # noqa: E402

# Decoding settings, chosen by 5-fold cross-validation by article on FLORES dev among a few
# settings. long_weight=0: only sentences *shorter* than usual are penalised, so the long
# sentences of news text are not pushed apart by FLORES's typical length.
DECODER = {"weight": 0.7, "floor": -6.0, "window": 1500, "long_weight": 0.0, "bias": 1.5}
SEED = 13


def cached_featurizer():
    """The inference featurizer with memoised tokeniser/tagger (training sees chunks many times)."""
    from functools import lru_cache

    from pythainlp.tag import pos_tag
    from pythainlp.tokenize import word_tokenize

    @lru_cache(maxsize=None)
    def wt(s: str) -> tuple[str, ...]:
        return tuple(word_tokenize(s, engine="newmm", keep_whitespace=False))

    @lru_cache(maxsize=None)
    def pt(toks: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
        return tuple(pos_tag(list(toks), engine="perceptron", corpus="orchid"))

    return make_featurizer(lambda s, engine="newmm", keep_whitespace=False: list(wt(s)),
                           lambda toks, engine=None, corpus=None: list(pt(tuple(toks))),
                           CrfcutLocal(), load_tnc_freq())


def length_prior(articles: list[T.Article]) -> dict[str, float]:
    logs = [math.log(len(s)) for a in articles for s in a.sentences]
    return {"mu": statistics.mean(logs), "sigma": statistics.stdev(logs)}


def train(articles: list[T.Article], out: Path, featurizer=None, seed: int = SEED,
          augment: dict | None = None) -> dict:
    featurizer = featurizer or cached_featurizer()
    augment = augment if augment is not None else dict(T.AUGMENT)
    paras = T.training_paragraphs(articles, seed=seed, **augment)
    T.train_model(paras, featurizer, out)
    meta = {
        "decoder": {**length_prior(articles), **DECODER},
        "training": {
            "data": "FLORES-200 dev tha_Thai (CC BY-SA 4.0), paragraphs by article URL",
            "articles": len(articles),
            "sentences": sum(len(a.sentences) for a in articles),
            "paragraphs": len(paras),
            "seed": seed,
            "augment": augment,
            "crfsuite": T.TRAIN_PARAMS,
        },
    }
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return meta


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(ROOT / "mt" / "segment" / "thaiseg.crfsuite"))
    ap.add_argument("--flores", default=str(T.FLORES_DEV))
    args = ap.parse_args()
    out = Path(args.out)
    meta = train(T.load_flores(Path(args.flores)), out)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()[:16]
    print(f"wrote {out} ({out.stat().st_size // 1024} KiB, sha256 {digest}) and {out.with_suffix('.json').name}")
    print(json.dumps(meta["training"], ensure_ascii=False))


if __name__ == "__main__":
    main()
