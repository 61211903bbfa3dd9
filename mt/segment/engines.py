"""Sentence segmenters: ``whitespace``, ``crfcut`` (PyThaiNLP) and ``thaiseg`` (ours, the default).

Every segmenter has a ``name`` and ``segment(text) -> list[(start, end)]``: character
spans into ``text``, in order, with no whitespace at either edge of a span.
Empty or whitespace-only text gives ``[]``. Newlines always end a sentence.
"""
from __future__ import annotations

import json
import logging
import math
import os
import re
from importlib import resources

from ..errors import ModelError
from .features import (
    SPACE_RUN,
    Featurizer,
    find_candidates,
    has_thai,
    spans_from_boundaries,
    strip_span,
)

log = logging.getLogger(__name__)

MODEL_FILE = "thaiseg.crfsuite"

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")


def _lines(text: str):
    """(start, end) of each physical line of ``text`` (newlines are hard boundaries)."""
    start = 0
    for m in re.finditer(r"\r\n|[\n\r\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85]", text):
        yield start, m.start()
        start = m.end()
    yield start, len(text)


class WhitespaceSegmenter:
    """Every visible whitespace run ends a sentence (the naive Thai baseline)."""

    name = "whitespace"

    def segment(self, text: str) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        start = 0
        for m in SPACE_RUN.finditer(text):
            if not any(c.isspace() for c in m.group()):
                continue
            s = strip_span(text, start, m.start())
            if s:
                out.append(s)
            start = m.end()
        s = strip_span(text, start, len(text))
        if s:
            out.append(s)
        return out


class CrfcutSegmenter:
    """PyThaiNLP's ``crfcut`` (CRF trained on TED subtitles), mapped back to character spans."""

    name = "crfcut"

    def __init__(self) -> None:
        from pythainlp.tokenize import sent_tokenize

        self._sent_tokenize = sent_tokenize

    def segment(self, text: str) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for a, b in _lines(text):
            line = text[a:b]
            if not line.strip():
                continue
            pieces = self._sent_tokenize(line, engine="crfcut")
            out.extend((a + s, a + e) for s, e in map_pieces(line, pieces))
        return out


def map_pieces(text: str, pieces: list[str]) -> list[tuple[int, int]]:
    """Map the strings a tokenizer returned back to spans of ``text``.

    Walks non-whitespace characters, so it tolerates tokenizers that drop or
    duplicate whitespace. A piece that does not match ends the mapping; the rest of
    the text becomes one last span.
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    n = len(text)
    for piece in pieces:
        core = "".join(piece.split())
        if not core:
            continue
        i = pos
        while i < n and text[i].isspace():
            i += 1
        start = i
        k = 0
        while i < n and k < len(core):
            if text[i].isspace():
                i += 1
                continue
            if text[i] != core[k]:
                break
            i += 1
            k += 1
        if k < len(core):
            break
        s = strip_span(text, start, i)
        if s:
            spans.append(s)
        pos = i
    rest = strip_span(text, pos, n)
    if rest:
        spans.append(rest)
    return spans


_LATIN_END = re.compile(r"[.!?…][\"'”’)\]]*$")
_LATIN_ABBR = re.compile(r"(?:^|\W)(?:[A-Z][a-z]{0,3}|[a-z]{1,3}|[A-Z](?:\.[A-Z])*|e\.g|i\.e|etc|vs|No|St|Mr|Mrs|Ms|Dr|Prof|Inc|Ltd|Co|Jr|Sr)\.$")


def latin_boundaries(text: str, cands) -> list[bool]:
    """Rule for text without Thai: a space after . ! ? followed by an upper-case letter, digit or quote."""
    out = []
    for c in cands:
        left = text[max(0, c.start - 12): c.start]
        right = text[c.end: c.end + 1]
        ok = bool(_LATIN_END.search(left)) and (right.isupper() or right.isdigit() or right in "\"'“‘(" or not right.isascii())
        if ok and _LATIN_ABBR.search(left) and not left.endswith(("!", "?", "…")):
            ok = False
        out.append(ok)
    return out


class ThaiSeg:
    """Our segmenter: a linear-chain CRF over candidate spaces (see :mod:`mt.segment.features`).

    The model files ship inside the package (``mt/segment/thaiseg.crfsuite`` and
    ``thaiseg.json``) and are loaded on the instance. The CRF gives each candidate
    space a probability of ending a sentence. Rules veto boundaries inside quotes or
    brackets, after title abbreviations and between a number-taking word and its
    number. :class:`LengthPriorDecoder` (parameters in ``thaiseg.json``) then picks
    the boundaries. Text without Thai letters uses a punctuation rule instead.
    Trained by ``benchmarks/train_segmenter.py``; scores in ``benchmarks/segment.md``.
    """

    name = "thaiseg"

    def __init__(self, model_path: str | None = None):
        import pycrfsuite
        from pythainlp.tokenize import word_tokenize

        from .fast import OrchidTagger

        if model_path is None:
            ref = resources.files("mt.segment").joinpath(MODEL_FILE)
            model_path = str(ref)
        if not os.path.exists(model_path):
            raise ModelError(
                f"the thaiseg model file is missing: {model_path}",
                where="segment.engine",
                fix="reinstall mt, or retrain with: python benchmarks/train_segmenter.py",
            )
        self.model_path = model_path
        self.tagger = pycrfsuite.Tagger()
        try:
            self.tagger.open(model_path)
        except Exception as exc:  # pycrfsuite raises a plain ValueError/OSError
            raise ModelError(f"cannot load thaiseg model {model_path}: {exc}", where="segment.engine",
                             fix="retrain with: python benchmarks/train_segmenter.py") from exc
        # the same features as make_featurizer(word_tokenize, pos_tag, ...) (training), with
        # the exact fast ORCHID tagger of mt.segment.fast in place of pythainlp's pos_tag
        self.featurizer = Featurizer(newmm_tokenizer(word_tokenize), OrchidTagger(), CrfcutLocal(), load_tnc_freq())
        prior_path = model_path[: -len(".crfsuite")] + ".json" if model_path.endswith(".crfsuite") else ""
        self.decoder: LengthPriorDecoder | None = None
        if prior_path and os.path.exists(prior_path):
            with open(prior_path, encoding="utf-8") as fh:
                self.decoder = LengthPriorDecoder(**json.load(fh)["decoder"])

    def boundaries(self, text: str, cands) -> list[bool]:
        if not cands:
            return []
        if not has_thai(text):
            return latin_boundaries(text, cands)
        feats = self.featurizer.features(text, cands)
        if self.decoder is None:
            labels = self.tagger.tag(feats)
            return [lab == "B" and not c.veto for lab, c in zip(labels, cands)]
        self.tagger.set(feats)
        probs = [0.0 if c.veto else self.tagger.marginal("B", i) for i, c in enumerate(cands)]
        return self.decoder.decode(text, cands, probs)

    def segment(self, text: str) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for s0, line, cands in line_candidates(text):
            labels = self.boundaries(line, cands)
            out.extend((s0 + s, s0 + e) for s, e in spans_from_boundaries(line, cands, labels))
        return out


def line_candidates(text: str):
    """``(offset, line, candidates)`` for every non-empty line of ``text``, as :meth:`ThaiSeg.segment`
    hands them to the model (the line stripped of edge spaces, its candidate boundaries)."""
    for a, b in _lines(text):
        span = strip_span(text, a, b)
        if span is None:
            continue
        line = text[span[0]:span[1]]
        yield span[0], line, find_candidates(line)


class CrfcutLocal:
    """PyThaiNLP's crfcut model (TED) scoring one space from the two words on each side.

    Its probability that the space ends a sentence is a feature of ``thaiseg``.
    The crfcut model file ships with PyThaiNLP; the tagger is opened on this instance.
    """

    def __init__(self) -> None:
        import pycrfsuite
        from pythainlp.corpus import corpus_path

        from .fast import CrfcutFeatures, model_attributes

        self._extract = CrfcutFeatures()      # = pythainlp.tokenize.crfcut._extract_features, faster
        self.tagger = pycrfsuite.Tagger()
        self.tagger.open(os.path.join(corpus_path(), "sentenceseg_crfcut.model"))
        # crfsuite ignores attributes missing from the model: dropping them first gives the
        # same marginals with less conversion work (None: keep every attribute). crfsuite
        # looks names up as C strings (cut at NUL), so windows with NUL are passed unfiltered.
        try:
            self.known: frozenset[str] | None = model_attributes(self.tagger)
        except Exception as exc:  # noqa: BLE001 -- an optimisation only
            log.warning("crfcut model attributes unreadable (%s); passing every feature", exc)
            self.known = None

    def __call__(self, l2: str, l1: str, r1: str, r2: str) -> float:
        toks = [t for t in (l2, l1) if t] + [" "] + [t for t in (r1, r2) if t]
        i = toks.index(" ")
        feats = self._extract(toks)
        known = self.known
        if known is not None and "\x00" not in l2 + l1 + r1 + r2:
            feats = [[f for f in item if f in known] for item in feats]
        self.tagger.set(feats)
        return self.tagger.marginal("E", i)


def load_tnc_freq() -> dict[str, int]:
    """Word frequencies of the Thai National Corpus list shipped with PyThaiNLP (CC0)."""
    from pythainlp.corpus import corpus_path

    out: dict[str, int] = {}
    with open(os.path.join(corpus_path(), "tnc_freq.txt"), encoding="utf-8") as fh:
        for row in fh:
            word, _, n = row.rstrip("\n").partition("\t")
            if n.isdigit():
                out[word] = int(n)
    return out


def newmm_tokenizer(word_tokenize):
    def tokenize(s: str) -> list[str]:
        return word_tokenize(s, engine="newmm", keep_whitespace=False)

    return tokenize


def make_featurizer(word_tokenize, pos_tag, boundary_prob=None, freq=None) -> Featurizer:
    tokenize = newmm_tokenizer(word_tokenize)

    def tag(tokens: list[str]) -> list[str]:
        return [t for _, t in pos_tag(tokens, engine="perceptron", corpus="orchid")]

    return Featurizer(tokenize, tag, boundary_prob, freq)


class LengthPriorDecoder:
    """Semi-Markov decoding: CRF boundary marginals plus a prior on sentence length.

    Chooses the boundaries that maximise
    ``sum (log p(boundary) + bias) + sum log(1 - p(not boundary)) + weight * sum log prior(length)``
    where ``prior`` is a log-normal density over sentence lengths in characters
    (``mu``, ``sigma`` of log length), floored at ``floor`` so that long news
    sentences are not forced apart. A sentence may span at most ``window``
    characters of candidates back, which keeps decoding linear in the text length.
    """

    def __init__(self, mu: float, sigma: float, weight: float, floor: float = -6.0, window: int = 1500,
                 long_weight: float = 1.0, bias: float = 0.0, short_weight: float = 1.0):
        self.mu, self.sigma, self.weight, self.floor, self.window = mu, sigma, weight, floor, window
        self.long_weight = long_weight
        self.short_weight = short_weight
        self.bias = bias

    def log_prior(self, n: int) -> float:
        z = (math.log(max(n, 1)) - self.mu) / self.sigma
        v = -0.5 * z * z
        v *= self.long_weight if z > 0 else self.short_weight
        return max(v, self.floor)

    def decode(self, text: str, cands, probs: list[float]) -> list[bool]:
        m = len(cands)
        eps = 1e-9
        lp = [math.log(max(p, eps)) for p in probs]
        lq = [math.log(max(1.0 - p, eps)) for p in probs]
        cum = [0.0]
        for x in lq:
            cum.append(cum[-1] + x)
        # node k in 0..m+1: 0 = text start, k = candidate k-1, m+1 = text end
        starts = [0] + [c.end for c in cands]
        ends = [c.start for c in cands] + [len(text)]
        best = [-math.inf] * (m + 2)
        back = [0] * (m + 2)
        best[0] = 0.0
        lo = 0
        last = 0          # the last reachable node
        for k in range(1, m + 2):
            e = ends[k - 1]
            gain = lp[k - 1] + self.bias if k <= m else 0.0
            if k <= m and probs[k - 1] <= 0.0:
                continue
            while lo < k - 1 and e - starts[lo] > self.window:
                lo += 1
            top, arg = -math.inf, -1
            for i in range(lo, k):
                if best[i] == -math.inf:
                    continue
                # candidates strictly between node i and node k are not boundaries
                inner = cum[k - 1] - cum[i]
                v = best[i] + inner + self.weight * self.log_prior(e - starts[i])
                if v > top:
                    top, arg = v, i
            if arg < 0:   # nothing reachable inside the window: fall back to the last reachable node
                arg = last
                top = best[arg] + cum[k - 1] - cum[arg] + self.weight * self.log_prior(e - starts[arg])
            best[k] = top + gain
            back[k] = arg
            last = k
        out = [False] * m
        k = back[m + 1]
        while k > 0:
            out[k - 1] = True
            k = back[k]
        return out
