"""Turn a page (txt, md, html) into text blocks with source line numbers and markup hints.

* txt -- one block per physical line, text as is;
* md  -- one block per physical line; image markup ``![alt](src)``, table pipes, heading
  hashes, links and emphasis are removed from the text (``raw`` keeps the line);
* html -- one block per text element (img alt, figcaption, p, h1-h6, li, td, ...), found
  with a real HTML parser (BeautifulSoup + the stdlib ``html.parser``), numbered by the
  source line where the element starts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..read import normalize_line


@dataclass
class Block:
    line: int
    text: str
    raw: str
    markup: set[str] = field(default_factory=set)   # img, img_empty, figcaption, heading, h1, li, table, syntax
    level: int = 0                                  # heading level (1..6)


# ---------------------------------------------------------------- txt
def blocks_txt(lines: list[str]) -> list[Block]:
    """One block per line; a line holding HTML markup (``<img alt=...>``) keeps only its text."""
    out = []
    for i, t in enumerate(lines, 1):
        text, markup = normalize_line(t), set()
        if _HTML_TAG.search(text):
            frag, markup = _html_fragment_text(text)
            text = normalize_line(re.sub(r"\s+", " ", frag).strip())
        out.append(Block(i, text, t, markup))
    return out


def looks_like_html(lines: list[str]) -> bool:
    """A .txt/.md file that is really an HTML document (saved page)."""
    head = next((ln.strip().lower() for ln in lines if ln.strip()), "")
    return head.startswith("<!doctype html") or head.startswith("<html")


# ---------------------------------------------------------------- md
_MD_IMG = re.compile(r"!\[([^\]]*)\]\(([^)]*)\)")
_MD_LINK = re.compile(r"(?<!!)\[([^\]]*)\]\(([^)]*)\)")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_LIST = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_MD_QUOTE = re.compile(r"^\s*(?:>\s*)+")
_MD_EMPH = re.compile(r"(\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])|`)")
_MD_SYNTAX_ONLY = re.compile(r"^\s*(?:\|?\s*:?-{3,}:?\s*)+\|?\s*$|^\s*(?:[-*_]\s*){3,}$|^\s*\|+\s*$")
_HTML_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")


def _html_fragment_text(fragment: str) -> tuple[str, set[str]]:
    """Text of an inline HTML fragment inside a markdown line (img alt, tags removed)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(fragment, "html.parser")
    markup: set[str] = set()
    for img in soup.find_all("img"):
        alt = (img.get("alt") or "").strip()
        markup.add("img" if alt else "img_empty")
        img.replace_with(f" {alt} " if alt else " ")
    if soup.find("figcaption"):
        markup.add("figcaption")
    return soup.get_text(" "), markup


def md_line(text: str) -> tuple[str, set[str], int]:
    markup: set[str] = set()
    level = 0
    s = text
    if _MD_SYNTAX_ONLY.match(s):
        return "", {"syntax"}, 0
    if _HTML_TAG.search(s):
        s, m = _html_fragment_text(s)
        markup |= m
    imgs = _MD_IMG.findall(s)
    if imgs:
        rest = _MD_IMG.sub("", s)
        alts = [a.strip() for a, _ in imgs if a.strip()]
        if not rest.strip(" |\t"):
            markup.add("img" if alts else "img_empty")
            s = " ".join(alts)
        else:  # image inline with text: keep the text, mention the alt
            markup.add("img_inline")
            s = _MD_IMG.sub(lambda m: m.group(1), s)
    stripped = s.strip()
    if stripped.startswith("|") or stripped.endswith("|"):
        if stripped.startswith("|"):
            markup.add("table")
        cells = [c.strip() for c in stripped.strip("|").split("|")]
        s = " ".join(c for c in cells if c)
    m = _MD_HEADING.match(s)
    if m:
        level = len(m.group(1))
        markup.add("heading")
        s = m.group(2)
    if _MD_QUOTE.match(s):
        s = _MD_QUOTE.sub("", s)
    if _MD_LIST.match(s) and not re.match(r"^\s*\d{1,2}[.)]\d", s):
        markup.add("li")
        s = _MD_LIST.sub("", s, count=1)
    s = _MD_LINK.sub(lambda m: m.group(1), s)
    s = _MD_EMPH.sub("", s)
    s = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|])", r"\1", s)
    return normalize_line(re.sub(r"\s{2,}", " ", s).strip()), markup, level


def blocks_md(lines: list[str]) -> list[Block]:
    out = []
    for i, raw in enumerate(lines, 1):
        text, markup, level = md_line(normalize_line(raw))
        out.append(Block(i, text, raw, markup, level))
    return out


# ---------------------------------------------------------------- html
_LEAF_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "figcaption", "td", "th", "dt", "dd",
              "caption", "title", "pre", "address", "blockquote"}
_CONTAINER_TAGS = {"div", "section", "article", "header", "footer", "figure", "ul", "ol", "table", "tr",
                   "tbody", "thead", "main", "nav", "aside", "body", "html", "blockquote", "li", "td"}
_SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "head", "iframe", "button", "select",
              "option", "form"}
_INLINE_BREAK = {"br"}


def blocks_html(lines: list[str]) -> list[Block]:
    from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

    skip_strings = (Comment, Declaration, Doctype, ProcessingInstruction)

    source = "\n".join(lines)
    soup = BeautifulSoup(source, "html.parser")
    out: list[Block] = []

    def line_of(node, default: int) -> int:
        return getattr(node, "sourceline", None) or default

    def emit(line: int, text: str, raw: str, markup: set[str], level: int = 0) -> None:
        text = normalize_line(re.sub(r"\s+", " ", text).strip())
        if text or markup & {"img", "img_empty"}:
            out.append(Block(line, text, raw, markup, level))

    def inline_text(tag: Tag) -> str:
        parts = []
        for d in tag.descendants:
            if isinstance(d, skip_strings):
                continue
            if isinstance(d, NavigableString):
                if any(p.name in _SKIP_TAGS for p in d.parents if isinstance(p, Tag)):
                    continue
                parts.append(str(d))
            elif isinstance(d, Tag) and d.name in _INLINE_BREAK:
                parts.append(" ")
        return "".join(parts)

    def has_block_child(tag: Tag) -> bool:
        return any(isinstance(d, Tag) and (d.name in _LEAF_TAGS or d.name in _CONTAINER_TAGS - {"li", "td"}
                                           or d.name == "img")
                   for d in tag.descendants)

    def walk(tag: Tag, inherited_line: int) -> None:
        pending: list[str] = []
        pending_line = [inherited_line]

        def flush() -> None:
            if pending:
                emit(pending_line[0], "".join(pending), "".join(pending).strip(), set())
                pending.clear()

        cur_line = line_of(tag, inherited_line)
        for child in tag.children:
            if isinstance(child, skip_strings):
                continue
            if isinstance(child, NavigableString):
                s = str(child)
                if s.strip():
                    if not pending:
                        lead = len(s) - len(s.lstrip())
                        pending_line[0] = cur_line + s[:lead].count("\n")
                    pending.append(s)
                cur_line += s.count("\n")
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name
            cline = line_of(child, cur_line)
            if name in _SKIP_TAGS:
                cur_line = cline + str(child).count("\n")
                continue
            if name == "img":
                flush()
                alt = (child.get("alt") or "").strip()
                emit(cline, alt, str(child), {"img" if alt else "img_empty"})
            elif name in _INLINE_BREAK:
                pending.append(" ")
            elif name in _LEAF_TAGS and not has_block_child(child):
                flush()
                markup = {name} if name in ("figcaption", "li", "title") else set()
                level = 0
                if re.fullmatch(r"h[1-6]", name):
                    markup |= {"heading", name}
                    level = int(name[1])
                if name in ("td", "th"):
                    markup.add("table")
                emit(cline, inline_text(child), str(child)[:2000], markup, level)
            elif name in _LEAF_TAGS or name in _CONTAINER_TAGS or has_block_child(child):
                flush()
                walk(child, cline)
            else:  # inline element: part of the running text
                if not pending:
                    pending_line[0] = cline
                pending.append(inline_text(child))
            cur_line = cline + str(child).count("\n")
        flush()

    walk(soup, 1)
    return out
