"""The one record type that flows through the pipeline: :class:`Doc`.

Every stage takes an iterable of ``Doc`` and yields ``Doc``. A ``Doc`` holds

* ``lines``   -- every physical input line, typed by the parse stage (nothing is dropped);
* ``units``   -- corpus rows: Thai translation units (one or more sentences of one line)
                 made by the segment stage, translated by the translate stage;
* ``vi_lines``-- one :class:`ViLine` per Vietnamese-language line, with the relation
                 the align stage gave it and its Thai counterpart;
* ``problems``-- input problems (not UTF-8, NUL bytes, ...) with file:line.

Records convert to and from plain dicts (``to_dict``/``from_dict``) so that the
same stages can run on a distributed engine (Ray) that ships records between
processes.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any, NamedTuple, NotRequired, TypedDict

class Kind(StrEnum):
    """Line kinds assigned by the parse step (:func:`check_kinds` refuses any other)."""

    TITLE = "title"            # Thai article title
    METADATA = "metadata"      # publication / date line
    LEAD = "lead"              # first Thai paragraph (sapo)
    BODY = "body"              # Thai body paragraph
    HEADING = "heading"        # Thai sub-heading inside the body
    CAPTION_VI = "caption_vi"  # Vietnamese photo caption or image alt-text
    CAPTION_TH = "caption_th"  # Thai photo caption
    CREDIT = "credit"          # photo credit on its own line
    SOURCE_URL = "source_url"  # "ที่มา: https://..." footer, bare URL
    BYLINE = "byline"          # author names, agency signatures
    CHROME = "chrome"          # site banner, motto, comment counter, related headlines, menus, "No data"
    ARTEFACT = "artefact"      # ad placeholders, stray machine-translation fragments
    IMAGE = "image"            # image file name / URL / empty image markup / alt-text duplicate of the title
    BLANK = "blank"            # empty line
    INVALID = "invalid"        # a line that could not be read or parsed; see Doc.problems


class Relation(StrEnum):
    """What a Vietnamese line is to the page (align step; :func:`check_relations` refuses any other)."""

    TRANSLATION = "translation"
    TITLE = "title"
    METADATA = "metadata"
    CHROME = "chrome"
    UNPAIRED = "unpaired"


KINDS = tuple(k.value for k in Kind)
# Kinds whose Thai text becomes corpus rows.
CORPUS_KINDS = (Kind.TITLE.value, Kind.LEAD.value, Kind.BODY.value, Kind.HEADING.value, Kind.CAPTION_TH.value)
RELATIONS = tuple(r.value for r in Relation)


def check_kinds(doc: "Doc") -> None:
    """ValueError naming the document and line when a step left a kind that is not a :class:`Kind`."""
    for ln in doc.lines:
        if ln.kind not in KINDS:
            raise ValueError(f"{doc.where(ln.line)}: unknown line kind {ln.kind!r} (valid: {', '.join(KINDS)})")


def check_relations(doc: "Doc") -> None:
    for v in doc.vi_lines:
        if v.relation not in RELATIONS:
            raise ValueError(f"{doc.where(v.line)}: unknown relation {v.relation!r} (valid: {', '.join(RELATIONS)})")


class Problem(TypedDict):
    """An input problem of a document (``Doc.problems``; one row of problems.jsonl with doc_id and file)."""

    line: int | None          # 1-based line, None when it concerns the whole file
    error: str                # what is wrong
    fix: str                  # how to fix it
    all_lines: NotRequired[bool]   # every line of the document is set aside (binary file, parse failure)


class Credit(NamedTuple):
    """A photo credit split off a line: who (``VNA``) and the label that introduced it (``ภาพ``)."""

    who: str
    label: str


class LineInfo(TypedDict, total=False):
    """What the parser records about a line (``Line.info``), beside its kind."""

    content: list[int]        # [start, end) of the text proper (a trailing credit cut off)
    credit: str               # who, of a credit split off this line (see Line.credit)
    credit_label: str
    reason: str               # why a line of a set-aside kind is not text ("image file name", ...)
    image_url: str            # the image a caption belongs to
    raw: str                  # the line before URLs were cut out
    urls: list[str]
    url: str                  # the URL of a source footer
    title_like: bool          # a Vietnamese line laid out as the title (URL slug match)
    zone: str                 # why a line is chrome by position ("after article", "trailing headline list")
    markup: list[str]         # the HTML elements of a block
    html: str                 # the block's HTML (first 500 characters)
    foreign: list[str]        # foreign-script fragments inside a Thai line
    artefact: str             # what kind of artefact ("ad placeholder")


def line_key(line: int, block: int = 0) -> str:
    """The id part of one text block: its line number, and ``.block`` when a source line holds several."""
    return f"{line}.{block}" if block else str(line)


def unit_id(doc_id: str, line: int, block: int, n: int) -> str:
    """Id of the ``n``-th unit (from 1) of a line or block: unique in a run when doc ids are."""
    return f"{doc_id}:{line_key(line, block)}:{n}"


def caption_id(doc_id: str, line: int, block: int = 0) -> str:
    """Id of the captions row of a Vietnamese line or block."""
    return f"{doc_id}:vi{line_key(line, block)}"


def number_blocks(doc: "Doc") -> None:
    """Give the text blocks that share one source line their index (``Line.block``; 0 for the first),
    and each Vietnamese line record the block of its line (the k-th record of a line <-> the k-th block)."""
    seen: dict[int, int] = {}
    vi_blocks: dict[int, list[int]] = {}
    for ln in doc.lines:
        ln.block = seen.get(ln.line, 0)
        seen[ln.line] = ln.block + 1
        if ln.lang == "vi" and ln.kind != "invalid":
            vi_blocks.setdefault(ln.line, []).append(ln.block)
    taken: dict[int, int] = {}
    for v in doc.vi_lines:
        k = taken.get(v.line, 0)
        blocks = vi_blocks.get(v.line, [])
        v.block = blocks[k] if k < len(blocks) else k
        taken[v.line] = k + 1


@dataclass
class Line:
    """One physical input line, typed."""

    line: int                 # 1-based line number in the file
    text: str                 # the line after decoding and normalisation (no newline)
    kind: str = "blank"
    lang: str | None = None   # "th", "vi", "en", "zh", ... or None when unknown / empty
    flags: list[str] = field(default_factory=list)   # e.g. "foreign_fragment", "truncated"
    info: LineInfo = field(default_factory=dict)  # type: ignore[assignment]  # parser details (LineInfo)
    block: int = 0            # index among the text blocks of one source line (minified HTML), else 0

    @property
    def credit(self) -> Credit | None:
        """The photo credit the parser split off this line, if any."""
        who = self.info.get("credit")
        return Credit(who, self.info.get("credit_label", "")) if who else None


@dataclass
class Unit:
    """A corpus row: one MT unit of Thai text from one line (one or more sentences)."""

    id: str                   # unit_id(): "{doc_id}:{line}:{n}", "{doc_id}:{line}.{block}:{n}" for block > 0
    line: int                 # the line this text comes from
    kind: str                 # kind of that line
    start: int                # character offsets into Line.text
    end: int
    th: str                   # the Thai text sent to the model
    n_sentences: int = 1
    en: str | None = None
    vi: str | None = None     # aligned Vietnamese text, null unless aligned
    vi_line: int | None = None
    relation: str | None = None
    scores: dict[str, float | None] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    block: int = 0            # Line.block of the line this text comes from


@dataclass
class ViLine:
    """A Vietnamese-language line and what the aligner decided about it."""

    line: int
    vi: str                   # the Vietnamese text (suffixes like "- Ảnh 1." removed)
    raw: str                  # the line as it was
    relation: str = "unpaired"
    th_line: int | None = None
    th: str | None = None
    score: float = 0.0
    reason: str = ""
    scores: dict[str, float | None] = field(default_factory=dict)
    en_from_vi: str | None = None
    en_from_th: str | None = None
    flags: list[str] = field(default_factory=list)
    block: int = 0            # Line.block of its line


@dataclass
class Doc:
    """One input page on its way through the pipeline."""

    doc_id: str
    file: str                 # file name as given (relative to the input root)
    path: str = ""            # absolute path
    format: str = "txt"       # "txt" | "md" | "html"
    raw_lines: list[str] = field(default_factory=list)  # decoded lines before parsing
    lines: list[Line] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)  # publication, date, source_url, title_th, title_vi
    units: list[Unit] = field(default_factory=list)
    vi_lines: list[ViLine] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)   # names of the stages that ran

    # -- serialisation (for process boundaries, e.g. Ray) -------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Doc":
        kw = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        kw["lines"] = [Line(**x) for x in kw.get("lines", [])]
        kw["units"] = [Unit(**x) for x in kw.get("units", [])]
        kw["vi_lines"] = [ViLine(**x) for x in kw.get("vi_lines", [])]
        return cls(**kw)

    # -- helpers ------------------------------------------------------------
    def line_at(self, number: int) -> Line:
        return self.lines[number - 1]

    def where(self, line: int | None = None) -> str:
        return f"{self.file}:{line}" if line else self.file
