"""Faster, output-identical versions of the PyThaiNLP hot paths of ``thaiseg``.

``thaiseg`` features (:mod:`mt.segment.features`) use PyThaiNLP's ORCHID perceptron POS
tagger, newmm word tokens and PyThaiNLP's crfcut model. Profiled on FLORES-200 dev and the
seeds (``benchmarks/segment_speed.py --profile``), POS tagging was about half of the
segmenter's time and the crfcut score about a sixth. The shipped CRF was trained on their
exact output, so the pieces here give *the same* results with less Python work:

* :class:`OrchidTagger` -- the tags of ``pythainlp.tag.pos_tag(tokens, engine="perceptron",
  corpus="orchid")``. PyThaiNLP's greedy averaged perceptron scores the tags of a word by
  adding the weights of 14 features, one ``dict`` update per (feature, tag) pair (about
  350 per word). Here the same weights sit in one dense ``float64`` matrix (one row per
  feature, one column per tag, built on the instance from the model PyThaiNLP loaded) and
  a word's scores are the running sum (``cumsum``, row after row in PyThaiNLP's feature
  order, so every float addition is the same) of its feature rows. Equal scores go to the
  greatest tag name, as in PyThaiNLP (``max`` over ``(score, tag)``): columns are in
  descending tag order and ``argmax`` takes the first maximum.
* :class:`CrfcutFeatures` -- ``pythainlp.tokenize.crfcut._extract_features(tokens)`` with
  each n-gram string joined once instead of once per window that contains it.
* :func:`model_attributes` -- the attribute dictionary of a crfsuite model, so that
  features the model does not know can be dropped before ``Tagger.set`` (crfsuite drops
  them itself; see ``CrfcutLocal`` in :mod:`mt.segment.engines`).

The tagger and the feature extractor check themselves against PyThaiNLP on a fixed sample
when created; on any difference (a PyThaiNLP upgrade that changed the algorithm) they log
a warning and fall back to the PyThaiNLP functions. ``tests/test_segment.py`` compares
every thaiseg feature with the one built from the PyThaiNLP functions on real text.
"""
from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

# Tokens that exercise every branch: tag-dictionary words, unknown words, escaped
# punctuation (space, parentheses, quotes, full stop), numbers, years, hyphens, Latin.
SELF_CHECK = [
    ["นายกรัฐมนตรี", "กล่าว", "ว่า", "รัฐบาล", "จะ", "ลงทุน", "(", "2567", ")", "."],
    ["“", "สวัสดี", "”", "ครับ", "!", "COVID-19", "ระบาด", "ใน", "กรุงเทพฯ", "?"],
    ["ร้อยละ", "2.50", "ต่อ", "ปี", ",", "Bangkok", "Post", "’", "s", '"', "ข่าว", '"'],
    ["ผู้ป่วย", "1,234", "ราย", "+", "5", "-", "ก.พ.", "ๆ", " ", "ฯลฯ", "xxpad", "ไม่", "นะ", "คะ"],
    ["ซึ่ง", "เป็น", "การ", "แก้ไข", "ปัญหา", ":", "50", "%", "/", "ครั้ง", ";", "@", "&", "*"],
]


class OrchidTagger:
    """``tokens -> tags``, equal to PyThaiNLP's perceptron ORCHID ``pos_tag`` tags.

    The weight matrix (about 48,000 features x 46 tags, 18 MB) is built on the instance
    from the model PyThaiNLP has loaded (``pythainlp.tag.perceptron``), in about 0.1 s.
    """

    def __init__(self) -> None:
        from pythainlp.tag import pos_tag

        self._pos_tag = pos_tag
        self.exact_fallback = False
        try:
            self._build()
            ok = all(self(toks) == self._reference(toks) for toks in SELF_CHECK)
        except Exception as exc:  # an incompatible PyThaiNLP: use its own tagger
            log.warning("fast ORCHID tagger unavailable (%s); using pythainlp.tag.pos_tag", exc)
            ok = False
        if not ok:
            log.warning("fast ORCHID tagger differs from pythainlp.tag.pos_tag; using pos_tag")
            self.exact_fallback = True

    def _reference(self, tokens: list[str]) -> list[str]:
        return [t for _, t in self._pos_tag(tokens, engine="perceptron", corpus="orchid")]

    def _build(self) -> None:
        import numpy as np
        from pythainlp.tag import orchid, perceptron

        tagger = perceptron._orchid_tagger()
        model = tagger.model
        classes = set(model.classes)
        weights: dict[str, dict[str, float]] = model.weights
        if any(not set(row) <= classes for row in weights.values()):
            raise ValueError("perceptron weights name tags outside its classes")
        # descending tag names: argmax (first maximum) = greatest name among equal scores
        self.labels = sorted(classes, reverse=True)
        col = {t: k for k, t in enumerate(self.labels)}
        self.row = {f: r for r, f in enumerate(weights)}
        m = np.zeros((len(weights), len(self.labels)), dtype=np.float64)
        for r, row in enumerate(weights.values()):
            for t, w in row.items():
                m[r, col[t]] = w
        self.matrix = m
        self.tagdict: dict[str, str] = tagger.tagdict
        self.normalize = tagger._normalize
        self.escape: dict[str, str] = dict(orchid.CHAR_TO_ESCAPE)
        self.start = list(tagger.START)
        self.end = list(tagger.END)
        if len(self.start) != 2 or len(self.end) != 2:
            raise ValueError("unexpected perceptron START/END context")

    def __call__(self, tokens: list[str]) -> list[str]:
        if self.exact_fallback:
            return self._reference(tokens)
        if not tokens:
            return []
        esc = self.escape
        words = [esc.get(w, w) for w in tokens]                     # orchid.pre_process
        norm = self.normalize
        ctx = self.start + [norm(w) for w in words] + self.end
        prev, prev2 = self.start
        tagdict_get = self.tagdict.get
        row_get = self.row.get
        matrix = self.matrix
        labels = self.labels
        out: list[str] = []
        for i, word in enumerate(words):
            tag = tagdict_get(word)
            if not tag:
                j = i + 2
                w0, w1, w2 = ctx[j], ctx[j - 1], ctx[j + 1]
                # PerceptronTagger._get_features, in its order (every key is distinct, value 1)
                feats = ("bias", "i suffix " + word[-3:], "i pref1 " + word[0], "i-1 tag " + prev,
                         "i-2 tag " + prev2, "i tag+i-2 tag " + prev + " " + prev2, "i word " + w0,
                         "i-1 tag+i word " + prev + " " + w0, "i-1 word " + w1, "i-1 suffix " + w1[-3:],
                         "i-2 word " + ctx[j - 2], "i+1 word " + w2, "i+1 suffix " + w2[-3:],
                         "i+2 word " + ctx[j + 2])
                rows = [r for r in map(row_get, feats) if r is not None]
                if rows:
                    tag = labels[int(matrix.take(rows, axis=0).cumsum(axis=0)[-1].argmax())]
                else:                       # every score 0.0: the greatest tag name
                    tag = labels[0]
            out.append(tag)
            prev2 = prev
            prev = tag
        return out


def _ngram_table(window: int, max_n_gram: int):
    """(n, offset, 'word_n_a_b=', 'ender_n_a_b=', 'starter_n_a_b=') in _extract_features order."""
    table = []
    for n in range(1, min(max_n_gram + 1, 2 + window * 2)):
        for d in range(-window, window + 2 - n):
            pos = f"{n}_{d}_{d + n}"
            table.append((n, d, f"word_{pos}=", f"ender_{pos}=", f"starter_{pos}="))
    return table


class CrfcutFeatures:
    """``tokens -> crfsuite features``, equal to ``pythainlp.tokenize.crfcut._extract_features``."""

    WINDOW = 2
    MAX_N_GRAM = 3

    def __init__(self) -> None:
        from pythainlp.tokenize import crfcut

        self._reference = crfcut._extract_features
        self.exact_fallback = False
        try:
            self.enders = frozenset(crfcut._ENDERS)
            self.starters = frozenset(crfcut._STARTERS)
            self.table = _ngram_table(self.WINDOW, self.MAX_N_GRAM)
            samples = [t for toks in SELF_CHECK for t in (toks, toks[:1], toks[:3], toks[2:7])]
            ok = all(self(t) == self._reference(t) for t in samples)
        except Exception as exc:
            log.warning("fast crfcut features unavailable (%s); using pythainlp's", exc)
            ok = False
        if not ok:
            log.warning("fast crfcut features differ from pythainlp's _extract_features; using them")
            self.exact_fallback = True

    def __call__(self, doc: list[str]) -> list[list[str]]:
        if self.exact_fallback:
            return self._reference(doc)
        if not doc:
            return []
        w = self.WINDOW
        pad = ["xxpad"] * w + list(doc) + ["xxpad"] * w
        enders, starters = self.enders, self.starters
        ender = ["ender" if t in enders else "normal" for t in pad]
        starter = ["starter" if t in starters else "normal" for t in pad]
        size = len(pad)
        # every n-gram string once: grams[n][j] = "|".join(seq[j:j+n]) for the three sequences
        grams: list[list[tuple[str, str, str]]] = [[], list(zip(pad, ender, starter))]
        for n in range(2, self.MAX_N_GRAM + 1):
            grams.append([("|".join(pad[j:j + n]), "|".join(ender[j:j + n]), "|".join(starter[j:j + n]))
                          for j in range(size - n + 1)])
        out = []
        for i in range(w, size - w):
            feats = ["bias"]
            for n, d, kw, ke, ks in self.table:
                gw, ge, gs = grams[n][i + d]
                feats += (kw + gw, ke + ge, ks + gs)
            out.append(feats)
        return out


def model_attributes(tagger) -> frozenset[str] | None:
    """Every attribute name in the dictionary of an open ``pycrfsuite.Tagger``'s model.

    crfsuite's ``Tagger::set`` drops the attributes of an item that are not in the model's
    dictionary (``to_id < 0``), so dropping them before ``set`` gives the very same
    instance, only with less conversion work. The names come from the model's text dump
    (``"  %5d: %s\\n"`` per attribute); names may hold newlines, so entries are cut at the
    next expected id, and the result is checked (``num_attrs`` entries, consecutive ids,
    the section ends where the dump says, no duplicate). ``None`` if any check fails.
    """
    import re
    import tempfile

    fd, path = tempfile.mkstemp(suffix=".dump")
    os.close(fd)
    try:
        tagger.dump(path)
        with open(path, "rb") as fh:
            data = fh.read()
    finally:
        os.unlink(path)
    m = re.search(rb"\n  num_attrs: (\d+)\n", data)
    head = b"\nATTRIBUTES = {"
    a = data.find(head)
    end = data.find(b"\n}\n\nTRANSITIONS = {", a)
    if m is None or a < 0 or end < 0:
        return None
    n = int(m.group(1))
    names: list[bytes] = []
    pos = a + len(head)
    for k in range(n):
        marker = b"\n  %5d: " % k
        if not data.startswith(marker, pos):
            return None
        nxt = data.find(b"\n  %5d: " % (k + 1), pos + len(marker), end) if k + 1 < n else end
        if nxt < 0:
            return None
        names.append(data[pos + len(marker):nxt])
        pos = nxt
    try:
        out = frozenset(x.decode("utf-8") for x in names)
    except UnicodeDecodeError:
        return None
    if pos != end or len(out) != n:
        return None
    return out
