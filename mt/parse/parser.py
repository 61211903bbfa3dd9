"""Type every line of a page and fill ``Doc.lines``, ``Doc.meta`` and ``Doc.vi_lines``.

The format is read from the content as well as the suffix (a saved HTML page, a ``.txt`` file
whose lines are markdown): ``doc.format`` is the format parsed, ``doc.meta["format_from"]`` says
``"suffix"`` or ``"content"``. The parser then works in passes over the extracted blocks:

1. per line: language (script rules + lingua), and the kinds that a line shows by itself
   (blank, invalid, image, ad artefact, site chrome, metadata, source footer, credit, agency
   signature); lines that are not text (image file names and URLs, signatures) are set aside with
   ``info["reason"]``, URLs inside Thai text are taken out of it (``info["raw"]`` keeps the line);
2. the end of the article (comment counter, "source" label, footer, "No data" ...):
   every later text line is chrome (related headlines, category menus);
3. Thai structure (:mod:`mt.parse.structure`): alt-text duplicates of the title, title, lead,
   caption_th (after an image / Vietnamese alt-text / in an image table cell, or ending with a
   photo credit; ``info["image_url"]``), heading, byline, body;
4. credits split off Thai captions (``info["content"]``, ``info["credit"]``), foreign-script
   fragments flagged, metadata collected, one ViLine per Vietnamese line, the Vietnamese title
   (alt-text repeated, or matching the source URL's slug).
"""
from __future__ import annotations

import logging
import re
from collections import Counter

from ..langid import FOREIGN_SCRIPTS, LangId
from ..records import Doc, Line, ViLine
from . import patterns as P
from .structure import ThaiStructure
from .extract import Block, blocks_html, blocks_md, blocks_txt, looks_like_html, looks_like_markdown

log = logging.getLogger(__name__)
_SPACE_RUN = re.compile(r"\s{2,}")
_LANGID_CHARS = 5000       # the language of a line is read from its start (lingua is slow on megabyte lines)


class PageParser:
    """Parser with its own language identifier (build once, reuse for many pages)."""

    def __init__(self, langid: LangId | None = None):
        self.langid = langid or LangId()

    # ------------------------------------------------------------------ entry
    def parse(self, doc: Doc) -> Doc:
        suffix_format = doc.format
        doc.format = self.detect_format(doc)
        blocks = self._blocks(doc)
        is_html = doc.format == "html"
        bad = {p.get("line") for p in doc.problems if p.get("line")}
        all_bad = any(p.get("all_lines") for p in doc.problems)
        lines: list[Line] = []
        for b in blocks:
            ln = Line(line=b.line, text=b.text)
            if b.markup:
                ln.info["markup"] = sorted(b.markup)
            if b.url:
                ln.info["image_url"] = b.url
            if is_html:
                ln.info["html"] = b.raw[:500]
            elif b.raw != b.text:
                ln.info["raw"] = b.raw
            if all_bad or b.line in bad:
                ln.kind = "invalid"
            lines.append(ln)
        doc.lines = lines
        doc.meta = {"publication": None, "date": None, "source_url": None, "title_th": None, "title_vi": None,
                    "format_from": "suffix" if doc.format == suffix_format else "content"}
        doc.vi_lines = []
        if all_bad:
            return doc
        self._pass_local(lines, blocks)
        self._pass_end(lines)
        self._pass_thai(lines, blocks)
        self._pass_finish(doc, blocks)
        return doc

    @staticmethod
    def detect_format(doc: Doc) -> str:
        """The format of the page from its content as well as its suffix: a saved HTML page is html
        whatever its name, a ``.txt`` file whose lines are markdown (image lines, tables, ``#``
        headings, link syntax) is md."""
        if doc.format == "html" or looks_like_html(doc.raw_lines):
            return "html"
        if doc.format == "md" or looks_like_markdown(doc.raw_lines):
            return "md"
        return "txt"

    def _blocks(self, doc: Doc) -> list[Block]:
        if doc.format == "html":
            return blocks_html(doc.raw_lines)
        if doc.format == "md":
            return blocks_md(doc.raw_lines)
        return blocks_txt(doc.raw_lines)

    # ------------------------------------------------------------------ pass 1
    def _pass_local(self, lines: list[Line], blocks: list[Block]) -> None:
        for ln, b in zip(lines, blocks):
            if ln.kind == "invalid":
                ln.lang = self.langid.detect(ln.text[:_LANGID_CHARS]) if ln.text else None
                continue
            text = ln.text
            if not text.strip():
                ln.kind = "image" if b.markup & {"img_empty"} else ("chrome" if "syntax" in b.markup else "blank")
                continue
            ln.lang = self.langid.detect(text[:_LANGID_CHARS])
            self._kind_of(ln)

    @staticmethod
    def _set_aside(ln: Line, kind: str, reason: str) -> None:
        ln.kind = kind
        ln.info["reason"] = reason

    def _kind_of(self, ln: Line) -> None:
        """The kind a line shows by itself (pass 1)."""
        text = _SPACE_RUN.sub(" ", ln.text)    # the patterns see one space for a run (linear on any line)
        bare = bool(P.IMAGE_FILE.match(text)) and " " not in text.strip()
        if bare or (P.image_file_line(text) and (ln.lang != "vi" or not P.strip_image_suffix(text).strip())):
            # a bare file name or image URL, or alt-text glued to an image file name ("<Thai alt> 0.png")
            self._set_aside(ln, "image", "image URL" if P.URL_IN_TEXT.match(text.strip()) else "image file name")
            if bare:
                ln.lang = None
        elif P.is_ad(text):
            ln.kind = "artefact"
            ln.info["artefact"] = "ad placeholder"
        elif (url := P.source_url(text)) is not None:
            ln.kind = "source_url"
            ln.info["url"] = url
            if not re.match(r"https?://\S+\.\S+", url):
                ln.flags.append("truncated")
        elif P.is_chrome_text(text):
            ln.kind = "chrome"
        elif (meta := P.parse_metadata(text)) is not None:
            ln.kind = "metadata"
            ln.info.update(meta)
        elif (cr := P.credit_only(text)) is not None:
            ln.kind = "credit"
            ln.info["credit"], ln.info["credit_label"] = cr
        elif P.agency_signature(text):
            self._set_aside(ln, "byline", "agency signature")
        elif ln.lang == "vi":
            ln.kind = "caption_vi"
        elif ln.lang == "th":
            ln.kind = "body"          # refined in pass 3
            self._strip_urls(ln)
        elif ln.lang is None and not re.search(r"\w", text):
            ln.kind = "artefact"      # punctuation / symbols only
        else:
            ln.kind = "artefact"      # a line in another language (English, Chinese ...)
            ln.flags.append("foreign_line")

    @staticmethod
    def _strip_urls(ln: Line) -> None:
        """URLs inside a Thai text line are not text: the line keeps its words (``info["raw"]`` keeps it whole)."""
        urls = P.URL_IN_TEXT.findall(ln.text)
        if not urls:
            return
        ln.info.setdefault("raw", ln.text)
        ln.info["urls"] = urls
        ln.text = P.strip_urls(ln.text)

    # ------------------------------------------------------------------ pass 2
    def _pass_end(self, lines: list[Line]) -> None:
        self._pass_end_markers(lines)
        self._pass_trailing_list(lines)

    @staticmethod
    def _pass_trailing_list(lines: list[Line]) -> None:
        """Related headlines without any end marker: on a page whose paragraphs are separated by blank
        lines, a final run of >= 3 short Thai lines with no blank line between them is a headline list."""
        content = [ln for ln in lines if ln.kind != "blank"]
        if len(content) < 6:
            return
        run: list[Line] = []
        for ln in reversed(lines):
            if ln.kind == "blank":
                break
            if ln.kind == "body" and len(ln.text) <= 120 and not P.SENTENCE_END.search(ln.text):
                run.append(ln)
                continue
            break
        if len(run) < 3:
            return
        start = lines.index(run[-1])
        before = lines[:start]
        paragraphs = [i for i, ln in enumerate(before) if ln.kind == "body"]
        separated = sum(1 for i in paragraphs if i + 1 < len(before) and before[i + 1].kind == "blank")
        if len(paragraphs) >= 2 and separated >= 0.8 * len(paragraphs):
            for ln in run:
                ln.kind = "chrome"
                ln.info["zone"] = "trailing headline list"

    def _pass_end_markers(self, lines: list[Line]) -> None:
        seen_thai = False
        end = None
        for i, ln in enumerate(lines):
            if ln.kind in ("body",):
                seen_thai = True
            if seen_thai and ln.kind in ("chrome", "source_url") and (P.is_end_marker(ln.text) or ln.kind == "source_url"):
                end = i
                break
        if end is None:
            return
        for ln in lines[end:]:
            if ln.kind in ("body", "caption_vi", "credit", "metadata", "artefact") and ln.kind != "invalid":
                if ln.kind == "artefact" and "ad placeholder" == ln.info.get("artefact"):
                    continue
                ln.kind = "chrome"
                ln.info["zone"] = "after article"
                if "foreign_line" in ln.flags:
                    ln.flags.remove("foreign_line")

    # ------------------------------------------------------------------ pass 3
    @staticmethod
    def _pass_thai(lines: list[Line], blocks: list[Block]) -> None:
        ThaiStructure(lines, blocks).run()

    # ------------------------------------------------------------------ pass 4
    def _pass_finish(self, doc: Doc, blocks: list[Block]) -> None:
        lines = doc.lines
        seen_end = False
        for ln in lines:
            if ln.kind in ("caption_th", "body", "lead", "heading", "title", "caption_vi"):
                cr = P.split_credit(ln.text)
                if cr is not None:
                    (s, e), who, label = cr
                    ln.info["content"] = [s, e]
                    ln.info["credit"] = who
                    ln.info["credit_label"] = label
                elif ln.lang == "th" and (m := P.VI_IMAGE_SUFFIX.search(ln.text)) and m.start() > 0:
                    ln.info["content"] = [0, m.start()]      # Thai alt-text: "- ảnh 1" is not text
            if ln.lang == "th" and ln.kind not in ("invalid", "chrome") and FOREIGN_SCRIPTS.search(ln.text):
                if "foreign_fragment" not in ln.flags:
                    ln.flags.append("foreign_fragment")
                ln.info["foreign"] = FOREIGN_SCRIPTS.findall(ln.text)
            if ln.kind == "metadata" and doc.meta["date"] is None:
                doc.meta["publication"] = ln.info.get("publication")
                doc.meta["date"] = ln.info.get("date")
            if ln.kind == "source_url" and doc.meta["source_url"] is None:
                doc.meta["source_url"] = ln.info.get("url")
            if ln.kind == "title" and doc.meta["title_th"] is None:
                doc.meta["title_th"] = ln.text
            if ln.kind == "chrome" and ln.info.get("zone"):
                seen_end = True
        # a page that stops without any end marker, in the middle of Thai text, was cut off
        if not seen_end and not any(ln.kind in ("source_url",) or P.is_end_marker(ln.text) for ln in lines):
            last = next((ln for ln in reversed(lines) if ln.kind not in ("blank",)), None)
            if last is not None and last.kind in ("body", "lead", "caption_th") and not P.SENTENCE_END.search(last.text):
                last.flags.append("truncated")
        for ln in lines:
            if ln.lang != "vi" or ln.kind == "invalid":
                continue
            raw = ln.info.get("raw", ln.text) if isinstance(ln.info.get("raw"), str) else ln.text
            vi = P.strip_image_suffix(ln.text) if ln.kind == "caption_vi" else ln.text
            doc.vi_lines.append(ViLine(line=ln.line, vi=vi, raw=raw))
        counts = Counter(v.vi for v, ln in zip(doc.vi_lines, [x for x in lines if x.lang == "vi" and x.kind != "invalid"])
                         if ln.kind == "caption_vi")
        repeated = [t for t, n in counts.items() if n >= 2]
        if repeated:
            doc.meta["title_vi"] = repeated[0]
        self._slug_title(doc)

    @staticmethod
    def _slug_title(doc: Doc) -> None:
        """The Vietnamese alt-text whose words are the source URL's slug (``/bo-ngoai-giao-gap-mat-...``,
        Vietnamese without diacritics) is the article's Vietnamese title, shortened or not."""
        slug = P.url_slug_words(doc.meta.get("source_url"))
        if len(slug) < 3:
            return
        vi_at = {ln.line: ln for ln in doc.lines if ln.kind == "caption_vi"}
        best, best_hits = None, 0
        for v in doc.vi_lines:
            if v.line not in vi_at:
                continue
            words = P.vi_words(v.vi)
            hits = sum(1 for w in dict.fromkeys(words) if w in slug)
            if len(words) >= 3 and hits >= 4 and hits >= 0.8 * len(set(words)) and hits > best_hits:
                best, best_hits = v, hits
        if best is not None:
            vi_at[best.line].info["title_like"] = "source URL slug"
            doc.meta["title_vi"] = doc.meta.get("title_vi") or best.vi


def parse_doc(doc: Doc, parser: PageParser | None = None) -> Doc:
    """Parse one page in place (see :class:`PageParser`); pass ``parser`` to reuse its language model."""
    return (parser or PageParser()).parse(doc)
