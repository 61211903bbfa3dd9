"""Pass 3 of the parser: the structure of the Thai lines of one page.

Title, captions, lead, headings and byline, decided from page position and evidence:

* alt-text that repeats another Thai line (the title with ``- ảnh 1``) is an image, not text;
* the title is the ``<h1>`` / level-1 heading, else the first Thai line that carries no caption
  evidence (after an image, ending in a photo credit or ``ภาพ:``, a table cell, image alt-text)
  and stands where a title stands: before the date line, under the site banner, above a share
  label (``Chia sẻ``), or a short line above a longer paragraph; when several Thai lines may be the
  title (``<h1>``, first heading, short lines of the page head before the date line), the one whose
  Latin-script names and numbers are words of the Vietnamese title evidence (alt-text repeated on the
  page or matching the source URL's slug, the slug itself; without diacritics) wins over position.
  Every candidate keeps ``info["title_candidate"]`` and the title ``info["title_by"]``; when position
  alone chose, the aligner weighs the candidates again by cross-lingual similarity;
* a Thai line after an image line, after an image's Vietnamese alt-text, in an image table cell,
  or ending with a photo credit is ``caption_th`` (and keeps the image's URL in ``info["image_url"]``).
"""
from __future__ import annotations

import re
from difflib import SequenceMatcher

from ..records import Line
from . import patterns as P
from .extract import Block

MAX_CAPTION = 400          # a Thai line longer than this after an image is body text, not a caption
MAX_HEADING = 100
MAX_TITLE = 250
_SHARE_LABELS = {"chia se", "share", "แชร์", "chia se bai viet"}
_MAX_FUZZY = 1000         # longer texts are compared exactly (SequenceMatcher is quadratic)
_BEFORE_TITLE = ("chrome", "metadata", "image", "invalid", "artefact")


def _dup_key(text: str) -> str:
    t = P.VI_IMAGE_SUFFIX.sub("", text)
    cr = P.split_credit(t)
    if cr is not None:
        t = t[cr[0][0]:cr[0][1]]
    return re.sub(r"[\W_]+", "", t).lower()


def _near(a: str, b: str) -> bool:
    """Two texts that are the same line (one may be cut or carry a stray word)."""
    if not a or not b:
        return False
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    if len(short) < 0.8 * len(long_):
        return False
    if short in long_:
        return True
    return len(long_) <= _MAX_FUZZY and SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.9


def _latin_hits(th: str, words: set[str]) -> int:
    """Latin-script names and numbers of a Thai line that are words of a Vietnamese text (de-accented)."""
    if not words:
        return 0
    toks = {t for t in P.vi_words(th) if len(t) >= 2 or t.isdigit()}
    return sum(1 for t in toks if t in words)


class ThaiStructure:
    def __init__(self, lines: list[Line], blocks: list[Block]):
        self.lines = lines
        self.markups = [set(b.markup) for b in blocks]
        self.levels = [b.level for b in blocks]
        self.content = [i for i, ln in enumerate(lines) if ln.kind != "blank"]

    def thai(self) -> list[int]:
        return [i for i in self.content if self.lines[i].kind == "body"]

    def prev_nonblank(self, i: int, max_blank: int = 3) -> int | None:
        j, blanks = i - 1, 0
        while j >= 0 and (self.lines[j].kind == "blank" or "syntax" in self.markups[j]):   # |---| rows too
            blanks += 1
            if blanks > max_blank:
                return None
            j -= 1
        return j if j >= 0 else None

    def next_nonblank(self, i: int) -> int | None:
        return next((j for j in range(i + 1, len(self.lines)) if self.lines[j].kind != "blank"), None)

    # ------------------------------------------------------------------ run
    def run(self) -> None:
        if not self.thai():
            return
        self.alt_duplicates()
        title = self.choose_title()
        if title is not None:
            title = self.weigh_title_evidence(title)
            self.lines[title].kind = "title"
        self.captions()
        self.lead_and_headings()
        self.byline()

    def alt_duplicates(self) -> None:
        """Thai alt-text (img markup, or ``- ảnh N`` / ``(ảnh: ...)``) that repeats another Thai line: not text."""
        thai = self.thai()
        keys = {i: _dup_key(self.lines[i].text) for i in thai}
        for i in thai:
            ln = self.lines[i]
            alt = "img" in self.markups[i] or bool(P.VI_IMAGE_SUFFIX.search(ln.text))
            if alt and len(keys[i]) >= 8 and any(j != i and _near(keys[i], keys[j]) for j in thai):
                ln.kind = "image"
                ln.info["reason"] = "alt-text duplicate of the title"

    # ------------------------------------------------------------------ evidence
    def own_caption_evidence(self, i: int) -> bool:
        """The line itself says it is a caption: image alt / figcaption / table cell, photo credit, image suffix."""
        text = self.lines[i].text
        return bool(self.markups[i] & {"img", "figcaption", "table"}) or P.split_credit(text) is not None \
            or bool(P.CAPTION_TAIL.search(text)) or bool(P.VI_IMAGE_SUFFIX.search(text))

    def after_image(self, i: int, for_title: bool = False) -> bool:
        """The line follows an image, an image's Vietnamese alt-text or a Thai alt-text."""
        p = self.prev_nonblank(i)
        if p is None:
            return False
        prev = self.lines[p]
        if prev.kind == "caption_vi" or (prev.kind == "credit" and prev.lang == "vi"):
            return True
        if self.markups[p] & {"img", "img_inline"} or prev.info.get("reason", "").startswith("alt-text"):
            return True
        if prev.kind == "image":
            # a logo at the very top of the page is not the photo of a caption under it
            return not for_title or any(self.lines[j].lang in ("th", "vi") and self.lines[j].kind != "chrome"
                                        for j in self.content if j < p)
        return False

    def row_has_image(self, i: int) -> bool:
        """A table cell on the same row (source line) as an image cell."""
        line = self.lines[i].line
        j = i - 1
        while j >= 0 and self.lines[j].line == line:
            if self.markups[j] & {"img", "img_empty"}:
                return True
            j -= 1
        return False

    def caption_evidence(self, i: int) -> bool:
        return self.own_caption_evidence(i) or self.after_image(i, for_title=True)

    # ------------------------------------------------------------------ title
    def choose_title(self) -> int | None:
        thai = self.thai()
        for i in thai:
            if self._is_h1(i) and not self.own_caption_evidence(i):
                return i
        pool = [i for i in thai if not self.caption_evidence(i)]
        if not pool:
            return None
        first = pool[0]
        if "heading" in self.markups[first]:
            return first                    # the first heading, before any paragraph
        return first if self._stands_as_title(first) else None

    def _stands_as_title(self, first: int) -> bool:
        lines = self.lines
        text = lines[first].text
        before = [lines[j] for j in self.content if j < first]
        top_chrome = any(ln.kind == "chrome" for ln in before) and all(ln.kind in _BEFORE_TITLE for ln in before)
        meta_soon, k, seen = False, first, 0
        while (k := self.next_nonblank(k)) is not None and seen < 3:
            if lines[k].kind == "metadata":
                meta_soon = True
                break
            seen += 1
        nxt = self.next_nonblank(first)
        meta_next = nxt is not None and lines[nxt].kind == "metadata"
        share_next = nxt is not None and lines[nxt].kind == "chrome" and P.chrome_key(lines[nxt].text) in _SHARE_LABELS \
            and all(ln.kind in _BEFORE_TITLE for ln in before)
        short = len(text) <= MAX_TITLE and not re.search(r"[.;:]\s*$", text)
        # a short headline-like first line followed by a longer paragraph (pages without banner/date)
        nxt_len = len(lines[nxt].text) if nxt is not None and lines[nxt].kind == "body" else 0
        headline = (len(text) <= MAX_HEADING and not P.SENTENCE_END.search(text) and nxt_len >= 1.5 * len(text)
                    and all(ln.kind in ("chrome", "image", "invalid", "artefact") for ln in before))
        if meta_next or headline:
            return True
        return short and (top_chrome or share_next or meta_soon)

    # ------------------------------------------------------------------ title evidence
    def title_candidates(self, chosen: int) -> dict[int, list[str]]:
        """Thai lines that may be the title, each with its position evidence: the ``<h1>`` / level-1
        heading, the first heading, the line chosen by position, and the short Thai lines of the page
        head (before the first date line). None carries caption evidence."""
        out: dict[int, list[str]] = {chosen: ["position"]}
        first_meta = next((i for i in self.content if self.lines[i].kind == "metadata"), None)
        first_heading, in_head = True, True
        for i in self.thai():
            if self.caption_evidence(i):
                continue
            ev = []
            if self._is_h1(i):
                ev.append("h1")
            if "heading" in self.markups[i] and first_heading and in_head:
                ev.append("first heading")
                first_heading = False
            in_head = in_head and ("heading" in self.markups[i] or len(self.lines[i].text) <= MAX_HEADING)
            text = self.lines[i].text
            if first_meta is not None and i < first_meta and len(text) <= MAX_TITLE \
                    and not re.search(r"[.;:]\s*$", text):
                ev.append("page head")
            if ev:
                out.setdefault(i, []).extend(e for e in ev if e not in out.get(i, []))
        return dict(sorted(out.items()))

    def _is_h1(self, i: int) -> bool:
        return bool(self.markups[i] & {"h1", "title"}) or ("heading" in self.markups[i] and self.levels[i] == 1)

    def vi_title_words(self) -> tuple[set[str], str]:
        """Words (without diacritics) of the Vietnamese title evidence of the page: alt-text repeated on
        the page, alt-text whose words are the source URL's slug, and the slug itself."""
        slug = set()
        for i in self.content:
            if self.lines[i].kind == "source_url":
                slug = P.url_slug_words(self.lines[i].info.get("url"))
                break
        vi = [P.strip_image_suffix(self.lines[i].text) for i in self.content if self.lines[i].kind == "caption_vi"]
        counts: dict[str, int] = {}
        for t in vi:
            counts[t] = counts.get(t, 0) + 1
        words: set[str] = set(slug)
        where = "source URL slug" if len(slug) >= 3 else ""
        if len(slug) < 3:
            words = set()
        for t in vi:
            w = P.vi_words(t)
            hits = sum(1 for x in set(w) if x in slug)
            if counts[t] >= 2 or (len(w) >= 3 and hits >= 4 and hits >= 0.8 * len(set(w))):
                words |= set(w)
                where = "Vietnamese title in alt-text"
        return words, where

    def weigh_title_evidence(self, chosen: int) -> int:
        """Among several title candidates, the one whose Latin-script names and numbers are words of the
        Vietnamese title evidence (alt-text, URL slug) wins over position; every candidate keeps its
        evidence in ``info["title_candidate"]`` (the aligner weighs them again by similarity)."""
        cands = self.title_candidates(chosen)
        if self._is_h1(chosen):             # the page's own <h1> / level-1 heading: only another one competes
            cands = {i: ev for i, ev in cands.items() if self._is_h1(i)}
        if len(cands) < 2:
            return chosen
        words, where = self.vi_title_words()
        hits = {i: _latin_hits(self.lines[i].text, words) for i in cands}
        best = max(cands, key=lambda i: (hits[i], i == chosen))
        if hits[best] > hits[chosen]:
            cands[best].append(where)
            self.lines[chosen].kind = "heading"      # the line position chose: a kicker / second headline
            chosen = best
        for i, ev in cands.items():
            self.lines[i].info["title_candidate"] = {"evidence": ev, "words": hits[i]}
        decided = hits[chosen] > max(h for i, h in hits.items() if i != chosen)
        self.lines[chosen].info["title_by"] = where if decided else "position"
        return chosen

    # ------------------------------------------------------------------ captions, lead, headings, byline
    def captions(self) -> None:
        lines = self.lines
        for i in self.thai():
            ln = lines[i]
            p = self.prev_nonblank(i)
            after_img_cell = p is not None and (self.markups[p] & {"img", "img_empty"} or lines[p].kind == "image")
            after_img_cell = after_img_cell or self.row_has_image(i)
            n = len(ln.text)
            if self.markups[i] & {"img", "figcaption"}:
                ln.kind = "caption_th"
            elif "table" in self.markups[i] and after_img_cell:
                ln.kind = "caption_th"
            elif (P.split_credit(ln.text) is not None or P.CAPTION_TAIL.search(ln.text)
                  or P.VI_IMAGE_SUFFIX.search(ln.text)) and n <= 2 * MAX_CAPTION:
                ln.kind = "caption_th"
            elif self.after_image(i) and n <= MAX_CAPTION:
                ln.kind = "caption_th"
            if ln.kind == "caption_th" and "image_url" not in ln.info and p is not None:
                url = lines[p].info.get("image_url")
                if url:
                    ln.info["image_url"] = url

    def lead_and_headings(self) -> None:
        lines = self.lines
        body = self.thai()
        if body:
            lines[body[0]].kind = "lead"
        for i in body[1:]:
            ln = lines[i]
            if self.markups[i] & {"heading"}:
                ln.kind = "heading"
                continue
            if len(ln.text) > MAX_HEADING or P.SENTENCE_END.search(ln.text):
                continue
            nxt = self.next_nonblank(i)
            if nxt is not None and lines[nxt].kind == "body" and len(lines[nxt].text) >= max(120, 1.5 * len(ln.text)):
                ln.kind = "heading"

    def byline(self) -> None:
        """The last Thai line of the article, short, names separated by dashes/commas."""
        lines = self.lines
        tail = [i for i in self.content if lines[i].kind in ("body", "heading")]
        if not tail:
            return
        i = tail[-1]
        text = lines[i].text
        if len(text) > 80:
            return
        parts = [s for s in P.BYLINE_SEP.split(text) if s.strip()]
        if not re.search(r"\d", text) and (
                P.BYLINE_PREFIX.match(text) or (len(parts) >= 2 and all(len(s) <= 30 for s in parts))):
            after = [lines[j].kind for j in range(i + 1, len(lines))]
            if all(k not in ("body", "heading", "lead", "caption_th") for k in after):
                lines[i].kind = "byline"
