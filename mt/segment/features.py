"""Candidate boundaries and their features for the ``thaiseg`` segmenter.

Thai marks a sentence end with a space, so every visible whitespace run in a
paragraph is a *candidate* boundary; the model decides which candidates end a
sentence. Features look at the text on both sides of a candidate: PyThaiNLP
``newmm`` word tokens (and their ORCHID part-of-speech tags) at the edges of the
neighbouring chunks, punctuation, digits, quotes, Latin tokens, chunk lengths
and whether the candidate sits inside quotes or parentheses.

Everything here is linear in the length of the text: a chunk (the text between
two candidates) is only tokenised in a window of ``WINDOW`` characters at each
edge, never as a whole, so a 1 MB paragraph without spaces costs no more than a
short one.

The same code builds features for training (:mod:`mt.segment.train`) and for
inference (:class:`mt.segment.engines.ThaiSeg`).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Characters that separate but are not visible spaces. They are stripped from
# sentence edges, but a run made only of them is not a candidate boundary.
from ..text import SPACE_RUN, ZERO_WIDTH, strip_span  # noqa: E402,F401  (one home: mt/text.py)
# A run of whitespace (NBSP, ideographic space, tabs, newlines included) and zero-width characters.
THAI_LETTER = re.compile(r"[\u0e01-\u0e2e\u0e30-\u0e3a\u0e40-\u0e4e]")
THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"

WINDOW = 40            # characters tokenised at each edge of a chunk
MAX_QUOTE = 400        # an opening quote/parenthesis older than this is treated as unbalanced

# Quote and bracket characters.
OPEN_BRACKETS = "([{"
CLOSE_BRACKETS = ")]}"
OPEN_QUOTES = "“‘«"
CLOSE_QUOTES = "”’»"
STRAIGHT_QUOTES = "\"'"

# Title abbreviations that are followed by a name, never a sentence end.
TITLE_ABBREVIATIONS = frozenset(
    """ดร. นพ. พญ. ทพ. ทพญ. ภก. ภญ. ศ. รศ. ผศ. อ. ศ.ดร. รศ.ดร. ผศ.ดร. ม.ร.ว. ม.ล. ม.จ. พล.อ. พล.ท. พล.ต.
    พ.อ. พ.ท. พ.ต. ร.อ. ร.ท. ร.ต. จ.ส.อ. ส.อ. พล.ต.อ. พล.ต.ท. พล.ต.ต. พ.ต.อ. พ.ต.ท. พ.ต.ต. ร.ต.อ. ร.ต.ท.
    ร.ต.ต. ด.ต. จ.ส.ต. ส.ต.อ. พล.ร.อ. พล.อ.อ. น.อ. น.ท. น.ต. ร.อ. พ.จ.อ. นาง น.ส. ด.ช. ด.ญ. พ.ศ. ค.ศ. จ. อ.
    ต. ถ. ซ. กม. ส.ส. ส.ว. รมว. รมช. ผวจ. ผบ.ตร. ผบ.ทบ.""".split()
)
# Words after which a number follows inside the same sentence ("ปี 2567", "วันที่ 5").
NUMBER_TAKERS = frozenset(
    """ปี พ.ศ. ค.ศ. วันที่ ที่ เดือน เวลา จำนวน ครั้งที่ ข้อ มาตรา ร้อยละ กว่า ประมาณ ราว อายุ วัย เลขที่ หมายเลข
    ฉบับที่ รุ่นที่ ชั้น ห้อง ถนน หมู่ หมู่ที่ ซอย ชุด ลำดับที่ อันดับ อันดับที่ ครั้ง ช่วง ถึง และ กับ รวม ทั้งหมด
    มากกว่า น้อยกว่า เกือบ เพียง คือ เป็น ละ ระหว่าง จาก""".split()
)
# Sentence-final particles (a feature, not a rule).
FINAL_PARTICLES = frozenset("ครับ ค่ะ คะ นะ นะคะ นะครับ จ้ะ จ้า เถอะ เลย แล้ว ด้วย กัน ละ ล่ะ หรอก".split())
# Words that continue a sentence after a space (a feature, not a rule).
CONTINUERS = frozenset(
    """ซึ่ง และ หรือ โดย ที่ เพื่อ เช่น คือ ว่า จึง ก็ จาก ใน ของ กับ ให้ ได้แก่ รวมถึง รวมทั้ง ตั้งแต่ จนถึง
    ถึง เป็น ทั้ง แต่ เนื่องจาก เพราะ หาก ถ้า แม้ ส่วน ตลอดจน ทำให้ ส่งผลให้ ขณะที่ อีกทั้ง พร้อม พร้อมกับ""".split()
)


def char_class(ch: str) -> str:
    if not ch:
        return "none"
    if "\u0e01" <= ch <= "\u0e2e":
        return "thcons"
    if ch in "\u0e30\u0e32\u0e33\u0e45":
        return "thvowel"
    if "\u0e31" <= ch <= "\u0e3a" or "\u0e47" <= ch <= "\u0e4e":
        return "thmark"
    if "\u0e40" <= ch <= "\u0e44":
        return "thlead"
    if ch == "ๆ":
        return "maiyamok"
    if ch == "ฯ":
        return "paiyannoi"
    if ch.isdigit() or ch in THAI_DIGITS:
        return "digit"
    if ch.isascii() and ch.isalpha():
        return "LATU" if ch.isupper() else "latl"
    if ch.isalpha():
        return "alpha"
    if ch in OPEN_BRACKETS:
        return "open"
    if ch in CLOSE_BRACKETS:
        return "close"
    if ch in OPEN_QUOTES or ch in CLOSE_QUOTES or ch in STRAIGHT_QUOTES:
        return "quote"
    if ch in ".!?":
        return "stop"
    if ch == "…":
        return "ellipsis"
    cat = unicodedata.category(ch)
    return "P" + cat[1] if cat.startswith("P") else cat[0]


_NUM_CHARS = re.compile(r"[\d๐-๙.,:/%-]+")
_THAI_ABBR = re.compile(r"(?:[ก-ฮ]{1,4}\.){1,4}")
_ACRO = re.compile(r"[A-Z]{2,}[0-9]*")
_CAP = re.compile(r"[A-Z][a-z]+.*")
_LATIN = re.compile(r"[A-Za-z].*")


def token_shape(tok: str) -> str:
    """A coarse shape of a token: thai / num / LATIN / abbr / punct ..."""
    if not tok:
        return "none"
    if _NUM_CHARS.fullmatch(tok) and any(c.isdigit() or c in THAI_DIGITS for c in tok):
        return "num"
    if _THAI_ABBR.fullmatch(tok):
        return "thabbr"
    if THAI_LETTER.search(tok):
        return "thai"
    if _ACRO.fullmatch(tok):
        return "ACRO"
    if _CAP.fullmatch(tok):
        return "Cap"
    if _LATIN.fullmatch(tok):
        return "latin"
    return "punct"


def length_bin(n: int) -> str:
    for b in (1, 2, 4, 8, 16, 32, 64, 128, 256):
        if n <= b:
            return str(b)
    return "big"


def freq_bin(n: int) -> str:
    if n <= 0:
        return "oov"
    for b in (10, 100, 1000, 10000, 100000):
        if n <= b:
            return str(b)
    return "top"


@dataclass
class Candidate:
    """A whitespace run that may end a sentence: text[start:end] is the run."""

    start: int
    end: int
    hard: bool = False     # a newline: always a boundary
    veto: bool = False     # a rule says this is never a boundary


def find_candidates(text: str) -> list[Candidate]:
    """Every visible whitespace run strictly inside the (stripped) text."""
    out: list[Candidate] = []
    n = len(text)
    for m in SPACE_RUN.finditer(text):
        s, e = m.span()
        if s == 0 or e == n:
            continue
        run = m.group()
        if not any(c.isspace() for c in run):   # only zero-width characters
            continue
        out.append(Candidate(s, e, hard=("\n" in run or "\r" in run or "\u2029" in run)))
    return out


class Featurizer:
    """Builds crfsuite feature dicts for the candidates of one text.

    ``tokenize`` and ``tag`` are injected so that the model's engines live on the
    segmenter instance (no module-level model cache here).
    """

    def __init__(self, tokenize, tag=None, boundary_prob=None, freq=None):
        self.tokenize = tokenize
        self.tag = tag
        self.freq = freq or {}                 # word -> corpus frequency (rare words, names)
        self.boundary_prob = boundary_prob   # (l2, l1, r1, r2) -> P(space ends a sentence), e.g. crfcut

    def edge_tokens(self, chunk: str, left: bool) -> list[str]:
        """The last (left=True) or first tokens of a chunk, tokenised within a window."""
        chunk = chunk.strip(ZERO_WIDTH)
        if not chunk:
            return []
        piece = chunk[-WINDOW:] if left else chunk[:WINDOW]
        toks = [t for t in self.tokenize(piece) if t and not t.isspace()]
        if left and len(chunk) > WINDOW and len(toks) > 1:
            toks = toks[1:]          # the first token of a cut window may be a cut word
        if not left and len(chunk) > WINDOW and len(toks) > 1:
            toks = toks[:-1]
        return toks[-3:] if left else toks[:3]

    def features(self, text: str, cands: list[Candidate]) -> list[dict[str, float | str]]:
        bounds = [0] + [x for c in cands for x in (c.start, c.end)] + [len(text)]
        chunks = [text[bounds[2 * i]: bounds[2 * i + 1]] for i in range(len(cands) + 1)]
        edges = self._chunk_edges(chunks)
        inside = self._inside_states(text, cands)      # quote / bracket state at each candidate (linear scan)
        feats = [self._candidate(text, c, i, chunks, edges, inside[i]) for i, c in enumerate(cands)]
        return _with_context(feats)

    def _chunk_edges(self, chunks: list[str]) -> dict[str, list]:
        """Tokens and tags at each chunk's edges (the whole chunk when short), and whether it has a verb."""
        out: dict[str, list] = {"l": [], "r": [], "tl": [], "tr": [], "verb": []}
        for ch in chunks:
            core = ch.strip(ZERO_WIDTH)
            if len(core) <= 3 * WINDOW:
                toks = [t for t in self.tokenize(core) if t and not t.isspace()] if core else []
                tags = self.tag(toks) if (self.tag is not None and toks) else []
                out["l"].append(toks[-3:])
                out["r"].append(toks[:3])
                out["tl"].append(tags[-3:])
                out["tr"].append(tags[:3])
                out["verb"].append("v" if any(t.startswith("V") for t in tags) else "nov")
            else:
                tl, tr = self.edge_tokens(ch, True), self.edge_tokens(ch, False)
                out["l"].append(tl)
                out["r"].append(tr)
                out["tl"].append(self.tag(tl) if (self.tag is not None and tl) else [])
                out["tr"].append(self.tag(tr) if (self.tag is not None and tr) else [])
                out["verb"].append("v")           # a chunk this long is a clause
        return out

    def _candidate(self, text: str, c: Candidate, i: int, chunks: list[str], edges: dict[str, list],
                   state: str) -> dict[str, float | str]:
        """The features of candidate ``i`` (between chunks ``i`` and ``i + 1``); sets ``c.veto``."""
        L, R = chunks[i], chunks[i + 1]
        lt, rt = edges["l"][i], edges["r"][i + 1]
        l1 = lt[-1] if lt else ""
        l2 = lt[-2] if len(lt) > 1 else ""
        r1 = rt[0] if rt else ""
        r2 = rt[1] if len(rt) > 1 else ""
        lc = L.rstrip(ZERO_WIDTH)[-1:] if L else ""
        rc = R.lstrip(ZERO_WIDTH)[:1] if R else ""
        f = _surface(text, c, l1, l2, r1, r2, lc, rc, L, R)
        if self.freq:
            f["lfreq"] = freq_bin(self.freq.get(l1, 0))
            f["rfreq"] = freq_bin(self.freq.get(r1, 0))
        _lexical(f, l1, r1, lc, rc, L)
        if self.tag is not None:
            _tags(f, edges["tl"][i], edges["tr"][i + 1], edges["verb"][i], edges["verb"][i + 1])
        if self.boundary_prob is not None:
            p = self.boundary_prob(l2, l1, r1, r2)
            f["crfcut"] = p
            f["crfcut_bin"] = str(round(p * 4))
        if state:
            f["inside"] = state
        c.veto = self._veto(l1, r1, lc, rc, state)
        if c.veto:
            f["veto"] = 1.0
        return f

    @staticmethod
    def _veto(l1: str, r1: str, lc: str, rc: str, state: str) -> bool:
        if rc in ("ๆ", "ฯ") or r1.startswith(("ๆ", "ฯ")):
            return True                     # "ต่าง ๆ", "กรุงเทพ ฯ"
        if l1 in TITLE_ABBREVIATIONS and rc and (THAI_LETTER.match(rc) or rc.isdigit() or rc.isalpha()):
            return True                     # "ดร. สมชาย", "พ.ศ. 2567"
        if l1 in NUMBER_TAKERS and (rc.isdigit() or rc in THAI_DIGITS):
            return True                     # "ปี 2567", "วันที่ 5"
        if state in ("bracket", "quote"):
            return True                     # never split inside quotes or brackets
        if lc in OPEN_BRACKETS or lc in OPEN_QUOTES or rc in CLOSE_BRACKETS or rc in CLOSE_QUOTES:
            return True
        return False

    @staticmethod
    def _inside_states(text: str, cands: list[Candidate]) -> list[str]:
        """For every candidate: "bracket", "quote" or "" (outside both).

        One left-to-right scan. Straight double quotes toggle; an opening quote or
        bracket older than MAX_QUOTE characters is considered unbalanced and dropped.
        """
        out: list[str] = []
        brackets: list[int] = []      # positions of open brackets
        quote_open: int | None = None
        pos = 0
        for c in cands:
            for j in range(pos, c.start):
                ch = text[j]
                if ch in OPEN_BRACKETS:
                    brackets.append(j)
                elif ch in CLOSE_BRACKETS:
                    if brackets:
                        brackets.pop()
                elif ch in OPEN_QUOTES:
                    quote_open = j
                elif ch in CLOSE_QUOTES:
                    quote_open = None
                elif ch == '"':
                    quote_open = None if quote_open is not None else j
            pos = c.start
            while brackets and c.start - brackets[-1] > MAX_QUOTE:
                brackets.pop()
            if brackets and c.start - brackets[0] > MAX_QUOTE:
                brackets.clear()
            if quote_open is not None and c.start - quote_open > MAX_QUOTE:
                quote_open = None
            if brackets:
                out.append("bracket")
            elif quote_open is not None:
                out.append("quote")
            else:
                out.append("")
            if "\n" in text[c.start:c.end]:
                brackets.clear()
                quote_open = None
        return out


def has_thai(text: str) -> bool:
    return THAI_LETTER.search(text) is not None


def spans_from_boundaries(text: str, cands: list[Candidate], labels: list[bool]) -> list[tuple[int, int]]:
    """Sentence spans from the candidates labelled as boundaries, stripped of edge whitespace."""
    spans: list[tuple[int, int]] = []
    start = 0
    for c, is_b in zip(cands, labels):
        if is_b or c.hard:
            spans.append((start, c.start))
            start = c.end
    spans.append((start, len(text)))
    return [s for s in (strip_span(text, a, b) for a, b in spans) if s is not None]


def _surface(text: str, c: Candidate, l1: str, l2: str, r1: str, r2: str, lc: str, rc: str, L: str,
             R: str) -> dict[str, float | str]:
    """Edge tokens, their shapes and character classes, chunk lengths and the position of candidate ``c``."""
    run = text[c.start:c.end]
    lshape, rshape = token_shape(l1), token_shape(r1)
    lcc, rcc = char_class(lc), char_class(rc)
    llen, rlen = length_bin(len(L)), length_bin(len(R))
    return {
        "bias": 1.0,
        "l1": l1, "l2": l2, "r1": r1, "r2": r2,
        "l2l1": l2 + "|" + l1, "r1r2": r1 + "|" + r2, "l1r1": l1 + "|" + r1,
        "lshape": lshape, "rshape": rshape,
        "shapes": lshape + "|" + rshape,
        "lcc": lcc, "rcc": rcc,
        "ccs": lcc + "|" + rcc,
        "llen": llen, "rlen": rlen,
        "lens": llen + "|" + rlen,
        "from_start": length_bin(c.start), "to_end": length_bin(len(text) - c.end),
        "run": "multi" if len(run) > 1 else ("nbsp" if run == "\xa0" else "space"),
    }


def _lexical(f: dict[str, float | str], l1: str, r1: str, lc: str, rc: str, L: str) -> None:
    """Punctuation at the edges, final particles, continuers, ellipses, title abbreviations."""
    if not lc.isalnum():
        f["lchar"] = lc
    if not rc.isalnum():
        f["rchar"] = rc
    if l1 in FINAL_PARTICLES:
        f["final_particle"] = 1.0
    if r1 in CONTINUERS:
        f["continuer"] = 1.0
    if L.endswith(("...", "…")):
        f["ellipsis"] = 1.0
    if l1 in TITLE_ABBREVIATIONS:
        f["title_abbr"] = 1.0


def _tags(f: dict[str, float | str], tl: list[str], tr: list[str], lverb: str, rverb: str) -> None:
    """POS tags at the edges and whether each side has a verb."""
    lp1 = tl[-1] if tl else ""
    lp2 = tl[-2] if len(tl) > 1 else ""
    rp1 = tr[0] if tr else ""
    rp2 = tr[1] if len(tr) > 1 else ""
    f.update({"lp1": lp1, "rp1": rp1, "lp2lp1": lp2 + "|" + lp1, "rp1rp2": rp1 + "|" + rp2,
              "lp1rp1": lp1 + "|" + rp1})
    f["lverb"] = lverb
    f["rverb"] = rverb
    f["verbs"] = lverb + "|" + rverb


#: observations of the neighbouring candidates copied into each candidate's features
CONTEXT_KEYS = ("l1", "r1", "lp1", "rp1", "lens", "crfcut_bin", "ccs", "continuer", "final_particle", "veto")


def _with_context(feats: list[dict[str, float | str]]) -> list[dict[str, float | str]]:
    base = [{k: f[k] for k in CONTEXT_KEYS if k in f} for f in feats]
    for i, f in enumerate(feats):
        if i > 0:
            f.update({"p:" + k: v for k, v in base[i - 1].items()})
        else:
            f["p:none"] = 1.0
        if i + 1 < len(feats):
            f.update({"n:" + k: v for k, v in base[i + 1].items()})
        else:
            f["n:none"] = 1.0
    return feats
