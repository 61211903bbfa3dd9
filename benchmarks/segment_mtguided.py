"""Route C upper bound: the MT-guided second pass (mt.segment.mtguided) on FLORES-200 dev paragraphs, with the
FLORES English reference as "the MT".

    PYTHONPATH=. PYTHAINLP_OFFLINE=1 nice -n 10 python benchmarks/segment_mtguided.py --e5 DIR/e5seg.pt

``--e5``: an e5seg model trained on UD Thai-TUD train + dev only (``train_segmenter_e5.py --train tud --out
DIR``), so no FLORES data trained the probabilities. Paragraphs and scoring as benchmarks/segment_flores.py
(runs of <= 6 sentences of one article, whitespace-free boundary micro P / R / F1). The English of a
paragraph is its reference sentences joined by a space and re-split by ``split_english`` (or, in the
"gold English split" row, the reference sentences as they are). This is an **upper bound**: a real
translation is worse and can merge or split sentences; the "merged" rows imitate that by joining a
seeded 25 % of adjacent English sentences. TUD has no English, so route C is not measurable there.

Rows: e5seg alone (threshold 0.5, rule vetoes); "count only" (the K - 1 most probable candidates, K the
English sentence count, no similarity); route C with the a-priori GuideConfig; then a sweep of weight and
merge penalty, read off this test set (so for information only, not a choice).
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mt.segment import train as T  # noqa: E402
from mt.segment.e5seg import E5Seg, rule_vetoes  # noqa: E402
from mt.segment.features import find_candidates, spans_from_boundaries  # noqa: E402
from mt.segment.mtguided import EnglishSplitter, GuideConfig, MTGuided  # noqa: E402


def flores_parallel() -> list[tuple[list[str], list[str]]]:
    """(Thai sentences, English sentences) of every evaluation paragraph, grouped as T.paragraphs does."""
    en = (T.FLORES_DEV / "eng_Latn.dev").read_text(encoding="utf-8").split("\n")
    arts = T.load_flores()
    out, i = [], 0
    for art in arts:
        ens = [s.strip() for s in en[i: i + len(art.sentences)]]
        i += len(art.sentences)
        for j in range(0, len(art.sentences), T.MAX_SENTENCES):
            out.append((art.sentences[j: j + T.MAX_SENTENCES], ens[j: j + T.MAX_SENTENCES]))
    return out


def merged(sents: list[str], rng: random.Random, share: float = 0.25) -> list[str]:
    """Adjacent English sentences joined at random (``; `` + lower-cased start), as an MT that merges."""
    out: list[str] = []
    for s in sents:
        if out and rng.random() < share:
            out[-1] = out[-1].rstrip(".!? ") + "; " + (s[:1].lower() + s[1:])
        else:
            out.append(s)
    return out


def row(name: str, paras, texts, spans) -> None:
    r = T.score((T.gold_boundaries(p), T.span_boundaries(t, sp)) for p, t, sp in zip(paras, texts, spans))
    print(f"| {name} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r['exact']:.3f} "
          f"| {r['paragraphs']} |", flush=True)


def count_only(texts, cands, probs, n_en) -> list[list[tuple[int, int]]]:
    out = []
    for t, cs, ps, k in zip(texts, cands, probs, n_en):
        vetoes = rule_vetoes(t, cs) if cs else []
        order = sorted((j for j in range(len(cs)) if not vetoes[j]), key=lambda j: -ps[j])[: max(0, k - 1)]
        lab = [j in set(order) for j in range(len(cs))]
        out.append(spans_from_boundaries(t, cs, lab))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--e5", required=True, help="e5seg.pt trained on TUD only")
    ap.add_argument("--limit", type=int, default=0, help="first N paragraphs only (smoke)")
    ap.add_argument("--no-sweep", action="store_true")
    args = ap.parse_args()
    data = flores_parallel()[: args.limit or None]
    paras = [th for th, _ in data]
    texts = [T.join(p) for p in paras]
    english = [" ".join(en) for _, en in data]
    for keep in (True, False):
        sp = EnglishSplitter(keep_quotes=keep)
        got = [len(sp(e)) for e in english]
        print(f"English splitter keep_quotes={keep}: {sum(got)} sentences for {sum(len(en) for _, en in data)} "
              f"reference lines; count right on {sum(g == len(en) for g, (_, en) in zip(got, data))} of "
              f"{len(data)} paragraphs, more on {sum(g > len(en) for g, (_, en) in zip(got, data))}")
    seg = E5Seg(args.e5)
    guide = MTGuided(segmenter=seg)
    cands = [find_candidates(t) for t in texts]
    t0 = time.perf_counter()
    probs = seg.probabilities(texts, cands)
    t1 = time.perf_counter()
    jobs = guide.plan(texts, english, probs)
    t2 = time.perf_counter()
    print(f"e5seg probabilities {t1 - t0:.1f} s; route C plan (split + pooled e5 of both sides) {t2 - t1:.1f} s")
    print("| method (e5seg trained on TUD train+dev; English = FLORES reference) | precision | recall | F1 "
          "| exact | paragraphs |")
    print("|---|---|---|---|---|---|")
    row("e5seg alone, threshold 0.5", paras, texts, seg.segment_many(texts))
    row("count only: K-1 most probable spaces, K = English sentences (split_english)", paras, texts,
        count_only(texts, cands, probs, [len(j.sents) for j in jobs]))
    t3 = time.perf_counter()
    row(f"route C, {GuideConfig()}", paras, texts, guide.decide(jobs))
    t4 = time.perf_counter()
    sp = EnglishSplitter(keep_quotes=False)
    row("route C, English split with keep_quotes=False", paras, texts,
        guide.segment_many(texts, [sp(e) for e in english], probs))
    row("route C, gold English split (reference sentences as they are)", paras, texts,
        guide.segment_many(texts, [list(en) for _, en in data], probs))
    rng = random.Random(13)
    m_en = [merged(list(en), rng) for _, en in data]
    print(f"merged English: {sum(map(len, m_en))} sentences for {sum(len(en) for _, en in data)}")
    row("count only, 25 % of English sentences merged", paras, texts,
        count_only(texts, cands, probs, [len(x) for x in m_en]))
    row("route C, 25 % of English sentences merged", paras, texts, guide.segment_many(texts, m_en, probs))
    print(f"route C decode {1000 * (t4 - t3) / len(texts):.1f} ms/paragraph, plan {1000 * (t2 - t1) / len(texts):.1f}"
          " ms/paragraph")
    if args.no_sweep:
        return
    print("sweep (read off FLORES dev: information only)")
    m_jobs = guide.plan(texts, m_en, probs)
    for w in (0.0, 5.0, 10.0, 20.0):
        for mp in (1.5, 3.0, 6.0):
            cfg = GuideConfig(weight=w, merge_penalty=mp)
            row(f"weight {w}, merge_penalty {mp}", paras, texts, guide.decide(jobs, cfg))
            row(f"weight {w}, merge_penalty {mp}, merged English", paras, texts, guide.decide(m_jobs, cfg))


if __name__ == "__main__":
    main()
