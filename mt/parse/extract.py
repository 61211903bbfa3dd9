"""Turn a page (txt, md, html) into text blocks with source line numbers and markup hints.

* txt -- one block per physical line, text as is;
* md  -- one block per physical line (one per cell on a table row of several cells); image
  markup ``![alt](src)``, table pipes, heading hashes, links and emphasis are removed from
  the text (``raw`` keeps the line);
* html -- one block per text element (img alt, figcaption, p, h1-h6, li, td, ...), split at
  ``<br>``, found with a real HTML parser (BeautifulSoup + the stdlib ``html.parser``),
  numbered by the source line where the element (or the text after a ``<br>``) starts.

Every pattern here runs in time linear in the line (no nested quantifiers, no unbounded scan
repeated from every bracket), and the HTML walker keeps its own stack: a page nested ten
thousand elements deep is read like any other.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..text import normalize_line


@dataclass
class Block:
    line: int
    text: str
    raw: str
    markup: set[str] = field(default_factory=set)   # img, img_empty, img_inline, figcaption, heading, h1, li, table, syntax
    level: int = 0                                  # heading level (1..6)
    url: str | None = None                          # image source of img / markdown image markup


# ---------------------------------------------------------------- txt
def blocks_txt(lines: list[str]) -> list[Block]:
    """One block per line; a line holding HTML markup (``<img alt=...>``) keeps only its text."""
    out = []
    for i, t in enumerate(lines, 1):
        text, markup, url = normalize_line(t), set(), None
        if _HTML_TAG.search(text):
            frag, markup, url = _html_fragment_text(text)
            text = normalize_line(re.sub(r"\s+", " ", frag).strip())
        out.append(Block(i, text, t, markup, url=url))
    return out


def looks_like_html(lines: list[str]) -> bool:
    """A .txt/.md file that is really an HTML document (saved page)."""
    head = next((ln.strip().lower() for ln in lines if ln.strip()), "")
    return head.startswith("<!doctype html") or head.startswith("<html")


# one of these makes a text file markdown: an image or a link in markdown syntax, a table separator row
_MD_STRONG = re.compile(r"!\[[^\[\]]*\]\([^()\s][^()]*\)|(?<!!)\[[^\[\]]+\]\((?:https?://|/)[^()\s]*\)"
                        r"|^\s*(?:\|\s*)?:?-{3,}:?\s*\|")
# two of these do: '#' headings, table rows
_MD_WEAK = re.compile(r"^#{1,6}\s+\S|^\s*\|.*\|\s*$")


def looks_like_markdown(lines: list[str]) -> bool:
    """A .txt file whose lines are markdown (a scraper's markdown output saved as text)."""
    weak = 0
    for ln in lines:
        if _MD_STRONG.search(ln):
            return True
        if _MD_WEAK.search(ln):
            weak += 1
            if weak >= 2:
                return True
    return False


# ---------------------------------------------------------------- md
_MD_LINKED_IMG = re.compile(r"\[\s*(!\[[^\[\]]*\]\([^()]*\))\s*\]\([^()]*\)")    # [![alt](src)](href)
_MD_IMG = re.compile(r"!\[([^\[\]]*)\]\(([^()]*)\)")
_MD_LINK = re.compile(r"(?<!!)\[([^\[\]]*)\]\(([^()]*)\)")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_MD_LIST = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_MD_QUOTE = re.compile(r"^\s*(?:>\s*)+")
_MD_EMPH = re.compile(r"(\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])|`)")
_SYNTAX_ONLY = re.compile(r"\|?(?:\s*:?-{3,}:?\s*\|)*\s*:?-{3,}:?\s*\|?|(?:[-*_]\s*){3,}|\|+")


def _syntax_only(line: str) -> bool:
    """A table separator row, a horizontal rule, a row of pipes: markdown syntax without text."""
    return _SYNTAX_ONLY.fullmatch(line.strip()) is not None
_HTML_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^<>]*>")


def _html_fragment_text(fragment: str) -> tuple[str, set[str], str | None]:
    """Text of an inline HTML fragment inside a text line (img alt, tags removed), markup, first image source."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(fragment, "html.parser")
    markup: set[str] = set()
    url = None
    for img in soup.find_all("img"):
        alt = (img.get("alt") or "").strip()
        markup.add("img" if alt else "img_empty")
        url = url or (img.get("src") or "").strip() or None
        img.replace_with(f" {alt} " if alt else " ")
    if soup.find("figcaption"):
        markup.add("figcaption")
    return soup.get_text(" "), markup, url


def _md_images(s: str, markup: set[str]) -> tuple[str, str | None]:
    """Image markup of a line: alt text kept, source returned; markup gets img / img_empty / img_inline."""
    s = _MD_LINKED_IMG.sub(r"\1", s)
    imgs = list(_MD_IMG.finditer(s))
    if not imgs:
        return s, None
    url = next((m.group(2).split()[0] for m in imgs if m.group(2).strip()), None)
    rest = _MD_LINK.sub("", _MD_IMG.sub("", s))
    alts = [m.group(1).strip() for m in imgs if m.group(1).strip()]
    if not rest.strip(" |\t"):
        markup.add("img" if alts else "img_empty")
        return " ".join(alts), url
    markup.add("img_inline")        # image inline with text: keep the text, mention the alt
    return _MD_IMG.sub(lambda m: m.group(1), s), url


def md_line(text: str) -> tuple[str, set[str], int, str | None]:
    """Text of one markdown line (or table cell), its markup, heading level and image source."""
    markup: set[str] = set()
    level = 0
    s = text
    if _syntax_only(s):
        return "", {"syntax"}, 0, None
    url = None
    if _HTML_TAG.search(s):
        s, m, url = _html_fragment_text(s)
        markup |= m
    s, img_url = _md_images(s, markup)
    url = url or img_url
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
        s = m.group(2).rstrip().rstrip("#")
    if _MD_QUOTE.match(s):
        s = _MD_QUOTE.sub("", s)
    if _MD_LIST.match(s) and not re.match(r"^\s*\d{1,2}[.)]\d", s):
        markup.add("li")
        s = _MD_LIST.sub("", s, count=1)
    s = _MD_LINK.sub(lambda m: m.group(1), s)
    s = _MD_EMPH.sub("", s)
    s = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|])", r"\1", s)
    return normalize_line(re.sub(r"\s{2,}", " ", s).strip()), markup, level, url


_MAX_CELLS = 32        # a "row" of more cells is not a table a page shows (one text block then)


def _table_cells(s: str) -> list[str]:
    """The non-empty cells of a table row of several cells (``| a | b |``); [] for any other line."""
    st = s.strip()
    if not st.startswith("|") or st.count("|") < 3:
        return []
    cells = [c.strip() for c in _MD_IMG.sub(lambda m: m.group(0).replace("|", "\x00"), st).strip("|").split("|")]
    cells = [c.replace("\x00", "|") for c in cells if c]
    return cells if 2 <= len(cells) <= _MAX_CELLS else []


def blocks_md(lines: list[str]) -> list[Block]:
    """One block per line; on a table row of several cells, one block per cell (each its own text unit)."""
    out = []
    for i, raw in enumerate(lines, 1):
        line = normalize_line(raw)
        cells = [] if _syntax_only(line) else _table_cells(line)
        for cell in cells or [line]:
            text, markup, level, url = md_line(cell)
            if cells:
                markup.add("table")
            out.append(Block(i, text, raw, markup, level, url))
    return out


# ---------------------------------------------------------------- html
_LEAF_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "figcaption", "td", "th", "dt", "dd",
              "caption", "title", "pre", "address", "blockquote"}
_CONTAINER_TAGS = {"div", "section", "article", "header", "footer", "figure", "ul", "ol", "table", "tr",
                   "tbody", "thead", "main", "nav", "aside", "body", "html", "blockquote", "li", "td"}
_SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "head", "iframe", "button", "select",
              "option", "form"}
_INLINE_BREAK = {"br"}
_BLOCKISH = _LEAF_TAGS | (_CONTAINER_TAGS - {"li", "td"}) | {"img"}


def _string_lines(soup) -> dict[int, int]:
    """Source line where every text node starts (keyed by id), in one pass in document order."""
    from bs4 import NavigableString, Tag

    out: dict[int, int] = {}
    cur = 1
    for node in soup.descendants:
        if isinstance(node, Tag):
            cur = node.sourceline or cur
        elif isinstance(node, NavigableString):
            out[id(node)] = cur
            cur += node.count("\n")
    return out


def _block_inside(soup) -> set[int]:
    """ids of the elements that hold a block element (text element, container, img) somewhere below."""
    inside: set[int] = set()
    for tag in reversed(soup.find_all(True)):      # every element after all of its descendants
        if tag.parent is not None and (tag.name in _BLOCKISH or id(tag) in inside):
            inside.add(id(tag.parent))
    return inside


class _Frame:
    """An element being walked: its remaining children and the running text not yet emitted."""

    def __init__(self, tag):
        self.children = iter(tag.children)
        self.pending: list[str] = []
        self.line = 0


class _HtmlWalker:
    """Blocks of a parsed page, walked with an explicit stack (any nesting depth)."""

    def __init__(self, soup, lines: list[str]):
        from bs4 import Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

        self.Tag, self.Str = Tag, NavigableString
        self.skip_strings = (Comment, Declaration, Doctype, ProcessingInstruction)
        self.soup = soup
        self.lines = lines
        self.str_line = _string_lines(soup)
        self.inside = _block_inside(soup)
        self.out: list[Block] = []

    def run(self) -> list[Block]:
        stack = [_Frame(self.soup)]
        while stack:
            frame = stack[-1]
            child = next(frame.children, None)
            if child is None:
                self.flush(frame)
                stack.pop()
                continue
            sub = self.visit(frame, child)
            if sub is not None:
                self.flush(frame)
                stack.append(_Frame(sub))
        return self.out

    def emit(self, line: int, text: str, raw: str, markup: set[str], level: int = 0, url: str | None = None) -> None:
        text = normalize_line(re.sub(r"\s+", " ", text).strip())
        if text or markup & {"img", "img_empty"}:
            self.out.append(Block(line, text, raw, markup, level, url))

    def flush(self, frame: _Frame) -> None:
        if frame.pending:
            text = "".join(frame.pending)
            self.emit(frame.line, text, text.strip(), set())
            frame.pending.clear()

    def _start_line(self, node) -> int:
        s = str(node)
        return self.str_line.get(id(node), 1) + s[:len(s) - len(s.lstrip())].count("\n")

    def visit(self, frame: _Frame, child):
        """Handle one child of the element being walked; return it when it must be walked in turn."""
        if isinstance(child, self.skip_strings):
            return None
        if isinstance(child, self.Str):
            if child.strip() or frame.pending:
                if not frame.pending:
                    frame.line = self._start_line(child)
                frame.pending.append(str(child))
            return None
        if not isinstance(child, self.Tag) or child.name in _SKIP_TAGS:
            return None
        name = child.name
        if name == "img":
            self.flush(frame)
            alt = (child.get("alt") or "").strip()
            src = (child.get("src") or "").strip() or None
            self.emit(child.sourceline or frame.line, alt, str(child), {"img" if alt else "img_empty"}, url=src)
        elif name in _INLINE_BREAK:
            self.flush(frame)
        elif name in _LEAF_TAGS and id(child) not in self.inside:
            self.flush(frame)
            self.leaf(child)
        elif name in _LEAF_TAGS or name in _CONTAINER_TAGS or id(child) in self.inside:
            return child
        else:  # inline element: part of the running text (a <br> inside it ends a line)
            for i, (line, text) in enumerate(self.segments(child)):
                if i:
                    self.flush(frame)
                if not frame.pending:
                    frame.line = line
                frame.pending.append(text)
        return None

    def leaf(self, tag) -> None:
        name = tag.name
        markup = {name} if name in ("figcaption", "li", "title") else set()
        level = 0
        if re.fullmatch(r"h[1-6]", name):
            markup |= {"heading", name}
            level = int(name[1])
        if name in ("td", "th"):
            markup.add("table")
        # the source line where it starts (str(tag) would compare elements recursively in bs4)
        raw = self.lines[tag.sourceline - 1][:2000] if tag.sourceline and tag.sourceline <= len(self.lines) else ""
        for i, (line, text) in enumerate(self.segments(tag)):
            self.emit(tag.sourceline or line if i == 0 else line, text, raw, set(markup), level)

    def segments(self, tag) -> list[tuple[int, str]]:
        """Text of an element split at ``<br>``: ``(line, text)`` per piece that has any text."""
        segs: list[list] = [[None, []]]
        stack = [iter(tag.children)]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
            elif isinstance(child, self.Tag):
                if child.name in _INLINE_BREAK:
                    segs.append([None, []])
                elif child.name not in _SKIP_TAGS:
                    stack.append(iter(child.children))
            elif isinstance(child, self.Str) and not isinstance(child, self.skip_strings):
                if segs[-1][0] is None and child.strip():
                    segs[-1][0] = self._start_line(child)
                segs[-1][1].append(str(child))
        return [(line, "".join(parts)) for line, parts in segs if line is not None]


# a '<' with another '<' before any '>' opens no tag; the stdlib parser would rescan the rest of the
# line from every one of them (quadratic on a line of '<a<a<a...'), so they are given as text
_NOT_A_TAG = re.compile(r"<(?=[^<>]*<)")


def blocks_html(lines: list[str]) -> list[Block]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_NOT_A_TAG.sub("&lt;", "\n".join(lines)), "html.parser")
    return _HtmlWalker(soup, lines).run()
