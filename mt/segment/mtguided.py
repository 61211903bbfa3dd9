"""Route C: an MT-guided second pass that chooses Thai sentence boundaries with an English translation.

Given a Thai paragraph, the boundary probability of each candidate space (from ``e5seg``) and an
English translation of the paragraph:

1. :func:`split_english` cuts the English into sentences (a regex rule with the Moses English
   non-breaking prefixes from ``sacremoses``, so ``Mr. Smith`` and ``U.S. Army`` stay whole);
2. candidates whose probability is below ``GuideConfig.min_prob`` (or vetoed by the rules) are dropped;
   the rest are *cuts*;
3. :func:`guided_boundaries` runs a dynamic program over (Thai span between two cuts <-> English
   sentences): each aligned pair adds ``weight * cosine`` of the mean-pooled, normalised e5 embeddings of
   the Thai span and the English sentence(s); each chosen cut adds its log-odds ``log p / (1 - p)``.
   A Thai segment aligns to one English sentence (1:1), to two (1:2, the Thai keeps two English
   sentences together) or two Thai segments to one English sentence (2:1, the extra cut chosen by its
   log-odds alone); 1:2 and 2:1 cost ``merge_penalty``. So the number of Thai segments follows the
   English sentence count unless the boundary evidence outweighs the penalty.

The program is bounded: a segment spans at most ``window`` cuts and ``max_chars`` characters, and the
number of English sentences consumed at a cut stays within ``band`` of its proportional share (character
fraction), so the work grows linearly with the paragraph. No English sentences: the probabilities are
thresholded as ``e5seg`` does. The similarity is a callable, so the program is tested with a fake one.

:class:`MTGuided` wires it to ``e5seg`` and the e5 encoder. It is not a registered segmenter (it needs the
translation, which the pipeline computes after segmentation); ``benchmarks/segment_mtguided.py``
measures its upper bound with FLORES reference translations as the MT.
"""
from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..errors import InputError

log = logging.getLogger(__name__)

PairScore = Callable[[int, int, int, int], float]   # (first cut, last cut, first English sentence, count)

_FALLBACK_ABBR = {"Mr", "Mrs", "Ms", "Dr", "Prof", "St", "Jr", "Sr", "vs", "etc", "e.g", "i.e", "No", "Inc", "Ltd",
                  "Co", "Corp", "Gen", "Col", "Lt", "Sgt", "Capt", "Rev", "Gov", "Sen", "Rep", "Jan", "Feb", "Mar",
                  "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "approx", "Mt", "Ft"}
_END = re.compile(r"[.!?…]+[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9À-Ý])")


def _abbreviations() -> set[str]:
    try:
        from sacremoses.corpus import NonbreakingPrefixes
    except ImportError:
        return set(_FALLBACK_ABBR)
    return {w for w in NonbreakingPrefixes().words("en") if w and not w.startswith("#")} | _FALLBACK_ABBR


class EnglishSplitter:
    """Sentence splitter for English MT output: a break after ``.!?…`` (and closing quotes) before a capital
    letter, digit or opening quote, unless the word before the full stop is an abbreviation or an initial,
    or the break is inside double quotes (quoted speech stays one sentence, as the Thai rules keep it)."""

    def __init__(self, keep_quotes: bool = True) -> None:
        self.abbr = _abbreviations()
        self.keep_quotes = keep_quotes

    def __call__(self, text: str) -> list[str]:
        text = " ".join(text.split())
        out, start = [], 0
        for m in _END.finditer(text):
            head = text[start: m.start() + 1]
            word = head.rsplit(None, 1)[-1].rstrip(".") if head.strip() else ""
            if text[m.start()] == "." and (word in self.abbr or word.lstrip("(\"'“") in self.abbr
                                           or re.fullmatch(r"(?:[A-Za-z]\.)*[A-Za-z]", word)):
                continue
            if self.keep_quotes and _inside_quote(text[start: m.end()]):   # Thai keeps quoted speech in one sentence (the rule vetoes)
                continue
            out.append(text[start: m.end()].strip())
            start = m.end()
        tail = text[start:].strip()
        if tail:
            out.append(tail)
        return [s for s in out if s]


def _inside_quote(head: str) -> bool:
    """Whether ``head`` ends inside a double quote (an odd number of ``"``, or more ``“`` than ``”``)."""
    return head.count('"') % 2 == 1 or head.count("“") > head.count("”")


def split_english(text: str) -> list[str]:
    """English sentences of ``text`` (see :class:`EnglishSplitter`); an instance is cheaper for many calls."""
    return EnglishSplitter()(text)


@dataclass(frozen=True)
class GuideConfig:
    """Settings of the program (set a priori; ``benchmarks/segment.md`` shows how the score moves with them)."""

    weight: float = 10.0         # per aligned pair: weight * cosine
    merge_penalty: float = 3.0   # cost of a 1:2 or 2:1 alignment
    min_prob: float = 0.02       # candidates below this are never cuts
    window: int = 16             # cuts a segment may span
    max_chars: int = 1500        # characters a segment may span (a segment of one piece is always allowed)
    band: int = 4                # English sentences away from the proportional share
    threshold: float = 0.5       # no English: plain threshold

    def __post_init__(self) -> None:
        if self.window < 1 or self.band < 1 or not 0.0 <= self.min_prob < 1.0:
            raise InputError(f"bad GuideConfig: window {self.window}, band {self.band}, min_prob {self.min_prob}",
                             where="mt.segment.mtguided.GuideConfig",
                             fix="window >= 1, band >= 1, 0 <= min_prob < 1")


def log_odds(p: float, eps: float = 1e-4) -> float:
    p = min(1.0 - eps, max(eps, p))
    return math.log(p / (1.0 - p))


def _band(frac: float, n_en: int, band: int) -> tuple[int, int]:
    mid = round(frac * n_en)
    return max(0, mid - band), min(n_en, mid + band)


def guided_boundaries(logits: Sequence[float], fracs: Sequence[float], n_en: int, pair: PairScore,
                      cfg: GuideConfig = GuideConfig(), lengths: Sequence[int] | None = None) -> list[bool]:
    """Which of ``len(logits)`` cuts to keep.

    ``logits[i]``: log-odds of cut ``i``; ``fracs[i]``: its position as a fraction of the paragraph;
    ``pair(a, b, k, t)``: similarity of the Thai span from cut ``a`` to cut ``b`` (0 = paragraph start,
    ``len(logits) + 1`` = end; cut ``i`` is index ``i + 1``) to English sentences ``k .. k + t - 1``;
    ``lengths[j]``: characters of the piece before cut ``j`` (for ``max_chars``; default: no limit).
    """
    n = len(logits)
    if n_en <= 0 or n == 0:
        return [lg >= log_odds(cfg.threshold) for lg in logits]
    pos = [0.0, *fracs, 1.0]
    start = [0]
    for size in (lengths or [0] * (n + 1)):
        start.append(start[-1] + size)
    best: list[dict[int, tuple[float, tuple]]] = [dict() for _ in range(n + 2)]
    best[0][0] = (0.0, ())
    for b in range(1, n + 2):
        end_bonus = logits[b - 1] if b <= n else 0.0
        lo, hi = _band(pos[b], n_en, cfg.band)
        if b == n + 1:
            lo = hi = n_en
        inner, inner_at = -math.inf, -1            # best extra cut strictly between a and b
        for a in range(b - 1, max(-1, b - 1 - cfg.window), -1):
            if a < b - 1 and logits[a] > inner:      # cut a + 1 lies inside (a, b) once a moves left of it
                inner, inner_at = logits[a], a + 1
            if b - a > 1 and start[b] - start[a] > cfg.max_chars:
                break
            for k, (score, _) in best[a].items():
                _relax(best[b], score + end_bonus, a, b, k, lo, hi, pair, cfg, inner, inner_at)
    keep = _trace(best, n, n_en)
    if keep is None:      # more English sentences than the cuts can take (1:2 at most): the plain threshold
        log.debug("mt-guided program found no path for %d cuts, %d English sentences", n, n_en)
        return [lg >= log_odds(cfg.threshold) for lg in logits]
    return keep


def _relax(cell, base, a, b, k, lo, hi, pair, cfg, inner, inner_at) -> None:
    moves = [(1, 0.0, ()), (2, -cfg.merge_penalty, ())]
    if inner_at > 0:
        moves.append((1, inner - cfg.merge_penalty, (inner_at,)))
    for t, extra, cuts in moves:
        k2 = k + t
        if k2 < lo or k2 > hi:
            continue
        val = base + extra + cfg.weight * pair(a, b, k, t)
        if k2 not in cell or val > cell[k2][0]:
            cell[k2] = (val, (a, k, cuts))


def _trace(best, n: int, n_en: int) -> list[bool] | None:
    keep = [False] * n
    if n_en not in best[n + 1]:
        return None
    b, k = n + 1, n_en
    while b > 0:
        _, (a, k_prev, cuts) = best[b][k]
        if b <= n:
            keep[b - 1] = True
        for c in cuts:
            keep[c - 1] = True
        b, k = a, k_prev
    return keep




HARD = 30.0            # log-odds of a newline (always a boundary)
WINDOW_TOKENS = 510    # content tokens per encoder window


@dataclass
class Job:
    """One paragraph prepared by :meth:`MTGuided.plan`."""

    offset: int                 # of the stripped text in the input
    text: str
    cands: list
    logits: list[float]         # per candidate (vetoed: -HARD, newline: +HARD)
    cut: list[int]              # candidates the program may choose
    sents: list[str]            # English sentences
    pieces: list[str]           # Thai text between consecutive cuts
    th_vec: tuple = ()
    en_vec: tuple = ()


class MTGuided:
    """``e5seg`` probabilities + the program above, with e5 similarities from contextual token states.

    Each side is encoded once per paragraph (``query: `` + the text, windows of at most 510 tokens): a Thai
    span's vector is the mean of the states of its tokens (prefix sums over the pieces between cuts), an
    English sentence's the mean over its tokens, both L2-normalised; so the spans cost no extra encoder
    passes. ``segmenter`` is an ``E5Seg`` (default: the shipped model), ``encoder`` / ``tokenizer`` the full
    e5 (default: :func:`mt.encoder.load_e5`; e5seg keeps only its fine-tuned lower layers, so it is not reused).
    """

    def __init__(self, segmenter=None, encoder=None, tokenizer=None, cfg: GuideConfig = GuideConfig(),
                 prefix: str = "query: "):
        from ..encoder import load_e5
        from .e5seg import E5Seg

        self.seg = segmenter if segmenter is not None else E5Seg()
        if encoder is None:
            encoder, tokenizer = load_e5()
        self.encoder, self.tok, self.cfg = encoder, tokenizer, cfg
        self.prefix = tokenizer.encode(prefix.strip()) if prefix.strip() else []
        self.split = EnglishSplitter()

    def segment_many(self, thai: list[str], english: list, probs: list[list[float]] | None = None,
                     cfg: GuideConfig | None = None) -> list[list[tuple[int, int]]]:
        """Sentence spans of each Thai text, guided by the English translation of the same index (a string,
        or a list of its sentences). ``probs``: e5seg boundary probabilities of each text's candidates
        (computed when not given); ``cfg``: settings of the program (default: the instance's)."""
        return self.decide(self.plan(thai, english, probs), cfg)

    def plan(self, thai: list[str], english: list, probs: list[list[float]] | None = None) -> list[Job]:
        """Everything :meth:`decide` needs: cuts, English sentences and the pooled vectors of both sides."""
        from .e5seg import rule_vetoes
        from .features import find_candidates, has_thai

        if len(thai) != len(english):
            raise InputError(f"{len(thai)} Thai texts but {len(english)} translations",
                             where="mt.segment.mtguided.MTGuided.segment_many", fix="pass one translation per text")
        stripped = [t.strip() for t in thai]
        cands = [find_candidates(t) for t in stripped]
        if probs is None:
            probs = self.seg.probabilities(stripped, cands)
        jobs = []
        floor = log_odds(max(self.cfg.min_prob, 1e-4))
        for i, (text, cs, ps) in enumerate(zip(stripped, cands, probs)):
            vetoes = rule_vetoes(text, cs) if cs else []
            lg = [HARD if c.hard else (log_odds(p) if not v else -HARD) for c, p, v in zip(cs, ps, vetoes)]
            cut = [j for j, x in enumerate(lg) if x >= floor]
            en = english[i] if isinstance(english[i], list) else self.split(english[i] or "")
            jobs.append(Job(len(thai[i]) - len(thai[i].lstrip()), text, cs, lg, cut,
                            en if has_thai(text) else [], _pieces(text, [cs[j] for j in cut]) if text else []))
        for job, th, en in zip(jobs, self.pooled([j.pieces for j in jobs]), self.pooled([j.sents for j in jobs])):
            job.th_vec, job.en_vec = th, en
        return jobs

    def decide(self, jobs: list[Job], cfg: GuideConfig | None = None) -> list[list[tuple[int, int]]]:
        from .features import spans_from_boundaries

        cfg = cfg or self.cfg
        out = []
        for job in jobs:
            if not job.text:
                out.append([])
                continue
            lengths = [len(p) for p in job.pieces]
            fracs, acc = [], 0
            for size in lengths[:-1]:
                acc += size
                fracs.append(acc / max(1, sum(lengths)))
            pair = _pair_scorer(*job.th_vec, *job.en_vec)
            keep = guided_boundaries([job.logits[j] for j in job.cut], fracs, len(job.sents), pair, cfg, lengths)
            lab = [False] * len(job.cands)
            for j, k in zip(job.cut, keep):
                lab[j] = k
            out.append([(job.offset + a, job.offset + b) for a, b in spans_from_boundaries(job.text, job.cands, lab)])
        return out

    def pooled(self, groups: list[list[str]]) -> list[tuple]:
        """For each group of consecutive pieces: ``(sums [P, H], counts [P])`` of their tokens' states."""
        import numpy as np
        import torch

        from .e5seg import Window, batches, collate

        hidden = self.encoder.hidden
        res = [(np.zeros((len(g), hidden), np.float32), np.zeros(len(g), np.float32)) for g in groups]
        wins, where = [], {}
        for g, pieces in enumerate(groups):
            for ids, spans in _pack(self.tok.encode_words(pieces) if pieces else [], WINDOW_TOKENS - len(self.prefix)):
                w = Window(g, [self.tok.bos] + self.prefix + ids + [self.tok.eos])
                where[id(w)] = [(p, a + 1 + len(self.prefix), b + 1 + len(self.prefix)) for p, a, b in spans]
                wins.append(w)
        with torch.inference_mode():
            for group in batches(wins):
                ids, mask, _, _ = collate(group, self.tok.pad)
                states = self.encoder(ids, mask).numpy()
                for row, w in enumerate(group):
                    sums, counts = res[w.line]
                    for p, a, b in where[id(w)]:
                        sums[p] += states[row, a:b].sum(0)
                        counts[p] += b - a
        return res


def _pieces(text: str, cuts) -> list[str]:
    bounds = [0] + [x for c in cuts for x in (c.start, c.end)] + [len(text)]
    return [text[bounds[2 * i]: bounds[2 * i + 1]] for i in range(len(cuts) + 1)]


def _pack(per: list[list[int]], limit: int):
    """Consecutive pieces packed into windows of at most ``limit`` tokens: ``(ids, [(piece, start, end)])``."""
    ids: list[int] = []
    spans: list[tuple[int, int, int]] = []
    for p, toks in enumerate(per):
        toks = toks[:limit]
        if ids and len(ids) + len(toks) > limit:
            yield ids, spans
            ids, spans = [], []
        spans.append((p, len(ids), len(ids) + len(toks)))
        ids = ids + toks
    if ids:
        yield ids, spans


def _pair_scorer(ts, tc, es, ec) -> PairScore:
    """Cosine of mean-pooled Thai span (cuts a..b) and English sentences k..k+t-1, from piece sums."""
    import numpy as np

    S = np.vstack([np.zeros((1, ts.shape[1]), np.float32), np.cumsum(ts, 0)])
    C = np.concatenate([[0.0], np.cumsum(tc)])
    E = np.vstack([np.zeros((1, es.shape[1]), np.float32), np.cumsum(es, 0)]) if len(es) else None
    D = np.concatenate([[0.0], np.cumsum(ec)])
    cache: dict[tuple, float] = {}

    def unit(v):
        norm = float(np.linalg.norm(v))
        return v / norm if norm > 0 else v

    def pair(a: int, b: int, k: int, t: int) -> float:
        key = (a, b, k, t)
        if key not in cache:
            if E is None or C[b] - C[a] <= 0 or D[k + t] - D[k] <= 0:
                cache[key] = 0.0
            else:
                cache[key] = float(unit(S[b] - S[a]) @ unit(E[k + t] - E[k]))
        return cache[key]

    return pair


__all__ = ["EnglishSplitter", "GuideConfig", "MTGuided", "guided_boundaries", "log_odds", "split_english"]
