"""Training and evaluation data for the ``thaiseg`` model (FLORES-200 dev paragraphs).

FLORES-200 dev (CC BY-SA 4.0) has 997 Thai sentences from 281 articles; consecutive
sentences of one article (same URL in ``metadata_dev.tsv``) form a real paragraph
with gold sentence boundaries. Spaces inside a sentence are negative examples, the
spaces that join two sentences are positive examples.

* :func:`load_flores` -> articles (lists of sentences, trailing spaces stripped)
* :func:`paragraphs` -> evaluation paragraphs: runs of at most 6 sentences of one article
* :func:`training_paragraphs` -> seeded augmented paragraphs (regroupings, cross-article joins)
* :func:`train_model` -> a crfsuite model file
* :func:`score` -> precision / recall / F1 / exact over boundary offsets (whitespace removed)

Used by ``benchmarks/train_segmenter.py`` and ``benchmarks/segment_flores.py``.
"""
from __future__ import annotations

import csv
import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..shared_data import shared_data_dir
from .features import Candidate, find_candidates

log = logging.getLogger(__name__)

FLORES_DEV = shared_data_dir() / "flores200" / "dev"
MAX_SENTENCES = 6
TRAIN_PARAMS = {"c1": 0.3, "c2": 1.0, "max_iterations": 300, "feature.possible_transitions": True}
# seeded augmentation of the training paragraphs (see training_paragraphs)
AUGMENT = {"regroupings": 3, "cross": 6, "short": 3}


@dataclass
class Article:
    url: str
    domain: str
    sentences: list[str]


def load_flores(root: Path = FLORES_DEV) -> list[Article]:
    th = (root / "tha_Thai.dev").read_text(encoding="utf-8").split("\n")
    if th and th[-1] == "":
        th.pop()
    with open(root / "metadata_dev.tsv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    articles: list[Article] = []
    for sent, row in zip(th, rows, strict=True):
        sent = sent.strip()
        if articles and articles[-1].url == row["URL"]:
            articles[-1].sentences.append(sent)
        else:
            articles.append(Article(row["URL"], row["domain"], [sent]))
    return articles


def paragraphs(articles: Iterable[Article], max_sentences: int = MAX_SENTENCES) -> list[list[str]]:
    """Evaluation paragraphs: consecutive runs of at most ``max_sentences`` of one article."""
    out: list[list[str]] = []
    for art in articles:
        for i in range(0, len(art.sentences), max_sentences):
            out.append(art.sentences[i: i + max_sentences])
    return out


def join(sentences: list[str]) -> str:
    return " ".join(sentences)


def gold_boundaries(sentences: list[str]) -> set[int]:
    """Boundary offsets counted in non-whitespace characters."""
    out: set[int] = set()
    n = 0
    for s in sentences[:-1]:
        n += sum(1 for c in s if not c.isspace())
        out.add(n)
    return out


def span_boundaries(text: str, spans: list[tuple[int, int]]) -> set[int]:
    """Boundary offsets (non-whitespace characters) of predicted spans."""
    out: set[int] = set()
    # prefix count of non-whitespace characters
    count = 0
    ends = sorted(e for _, e in spans[:-1])
    j = 0
    for i, c in enumerate(text):
        while j < len(ends) and ends[j] == i:
            out.add(count)
            j += 1
        if not c.isspace():
            count += 1
    while j < len(ends):
        out.add(count)
        j += 1
    return out


def score(pairs: Iterable[tuple[set[int], set[int]]]) -> dict[str, float]:
    """Micro precision / recall / F1 over (gold, predicted) boundary sets, and share exact."""
    tp = fp = fn = exact = n = 0
    for gold, pred in pairs:
        tp += len(gold & pred)
        fp += len(pred - gold)
        fn += len(gold - pred)
        exact += gold == pred
        n += 1
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "exact": exact / n if n else 0.0, "paragraphs": n,
            "gold": tp + fn, "predicted": tp + fp}


def boundary_pairs(segmenter, paras: list[list[str]]) -> list[tuple[set[int], set[int]]]:
    """(gold, predicted) boundary sets of each paragraph, for :func:`score` (pooled over folds, say)."""
    texts = [join(sents) for sents in paras]
    many = getattr(segmenter, "segment_many", None)
    spans = many(texts) if many else [segmenter.segment(t) for t in texts]
    return [(gold_boundaries(s), span_boundaries(t, sp)) for s, t, sp in zip(paras, texts, spans)]


def evaluate(segmenter, paras: list[list[str]]) -> dict[str, float]:
    return score(boundary_pairs(segmenter, paras))


def training_paragraphs(articles: list[Article], seed: int = 13, regroupings: int = 3,
                        cross: int = 1, short: int = 0) -> list[list[str]]:
    """Seeded augmented training paragraphs.

    The evaluation grouping, ``regroupings`` random regroupings of each article into
    runs of 1..6 sentences, and ``cross`` passes of joins of 2..4 sentences drawn from
    different articles (more positive contexts), and ``short`` passes of joins of 2..3
    sentences that have at most one inner space (short paragraphs where the only
    spaces are sentence ends, which FLORES paragraphs rarely show).
    """
    rng = random.Random(seed)
    out = paragraphs(articles)
    for _ in range(regroupings):
        for art in articles:
            out.extend(_runs(art.sentences, rng, 1, MAX_SENTENCES))
    pool = [s for a in articles for s in a.sentences]
    few = [s for s in pool if len(s.split()) <= 2]
    for sentences, times, lo, hi in ((pool, cross, 2, 4), (few, short, 2, 3)):
        for _ in range(times):
            order = sentences[:]
            rng.shuffle(order)
            out.extend(_runs(order, rng, lo, hi))
    return out


def _runs(sentences: list[str], rng: random.Random, lo: int, hi: int) -> list[list[str]]:
    """Consecutive runs of ``lo``..``hi`` sentences (random lengths) covering ``sentences``."""
    runs, i = [], 0
    while i < len(sentences):
        k = rng.randint(lo, hi)
        runs.append(sentences[i: i + k])
        i += k
    return runs


def labelled(sentences: list[str]) -> tuple[str, list[Candidate], list[str]]:
    """Joined text, its candidates and their labels ("B" at sentence joins, else "O")."""
    text = join(sentences)
    joins: set[int] = set()
    pos = 0
    for s in sentences[:-1]:
        pos += len(s)
        joins.add(pos)
        pos += 1
    cands = find_candidates(text)
    return text, cands, ["B" if c.start in joins else "O" for c in cands]


def train_model(paras: list[list[str]], featurizer, model_path: str | Path,
                params: dict | None = None) -> None:
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    trainer.select("lbfgs", "crf1d")
    trainer.set_params({**TRAIN_PARAMS, **(params or {})})
    for sents in paras:
        text, cands, labels = labelled(sents)
        if not cands:
            continue
        trainer.append(featurizer.features(text, cands), labels)
    trainer.train(str(model_path))


def folds(articles: list[Article], k: int = 5, seed: int = 13) -> list[list[Article]]:
    """Split articles (not sentences) into k folds, seeded."""
    order = articles[:]
    random.Random(seed).shuffle(order)
    return [order[i::k] for i in range(k)]
