"""Test pages built from FLORES-200 dev articles, with the English references as a translation memory.

FLORES-200 dev (``shared_data_dir()/flores200/dev``) has the same sentences, line by line, in
``tha_Thai.dev``, ``vie_Latn.dev`` and ``eng_Latn.dev``; ``metadata_dev.tsv`` gives each line's source
URL, so consecutive lines with one URL are one article. A page made of an article looks like a
vietnam.vn page: site banner, a Thai title line (the first sentence), the publication/date line, one
Vietnamese photo caption (the second sentence, "- Ảnh 1.") followed by its Thai counterpart, then Thai
body paragraphs of the remaining sentences, two a paragraph (the last one's without a space between them). :class:`FloresPage` remembers which sentences are on
which line and where, so a test can say which English every corpus row must carry.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from mt.shared_data import shared_data_dir

BANNER = "Vietnam.vn - Nền tảng quảng bá Việt Nam"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
DATELINE = "Báo Tài nguyên Môi trườngBáo Tài nguyên Môi trường22/12/2023"


@dataclass(frozen=True)
class Sentence:
    index: int          # 0-based line of the FLORES dev files
    url: str
    th: str
    vi: str
    en: str


def flores_dev_dir() -> Path:
    return shared_data_dir() / "flores200" / "dev"


def load_flores(root: Path | None = None) -> list[Sentence]:
    root = root or flores_dev_dir()

    def lines(name: str) -> list[str]:
        return (root / name).read_text(encoding="utf-8").splitlines()

    th, vi, en = lines("tha_Thai.dev"), lines("vie_Latn.dev"), lines("eng_Latn.dev")
    urls = [row.split("\t")[0] for row in lines("metadata_dev.tsv")[1:]]
    if not len(th) == len(vi) == len(en) == len(urls):
        raise ValueError(f"FLORES dev files differ in length: {len(th)} {len(vi)} {len(en)} {len(urls)}")
    return [Sentence(i, u, a, b, c) for i, (u, a, b, c) in enumerate(zip(urls, th, vi, en))]


def articles(sentences: list[Sentence], min_sentences: int = 4) -> list[list[Sentence]]:
    """Runs of consecutive sentences from one URL, at least ``min_sentences`` long."""
    runs: list[list[Sentence]] = []
    for s in sentences:
        if runs and runs[-1][-1].url == s.url:
            runs[-1].append(s)
        else:
            runs.append([s])
    return [r for r in runs if len(r) >= min_sentences]


def write_memory(sentences: list[Sentence], path: Path) -> Path:
    """The references as a JSONL memory: one {"th", "vi", "en"} object per sentence."""
    with open(path, "w", encoding="utf-8") as fh:
        for s in sentences:
            fh.write(json.dumps({"th": s.th, "vi": s.vi, "en": s.en}, ensure_ascii=False) + "\n")
    return path


@dataclass
class FloresPage:
    name: str
    lines: list[str] = field(default_factory=list)
    #: 1-based line number -> (sentence, start, end) of every FLORES sentence on that Thai line
    thai: dict[int, list[tuple[Sentence, int, int]]] = field(default_factory=dict)
    caption: Sentence | None = None     # the sentence of the Vietnamese caption + Thai caption
    caption_vi_line: int = 0
    caption_th_line: int = 0

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def _add(self, text: str = "") -> int:
        self.lines.append(text)
        return len(self.lines)

    def _add_thai(self, sentences: list[Sentence], sep: str = " ") -> int:
        # FLORES Thai has zero-width spaces, which the parser drops from a line (its offsets are then
        # off by them): the page gets the text without them, the memory keeps them (its lookups ignore them)
        texts = [_ZERO_WIDTH.sub("", s.th) for s in sentences]
        spans, pos = [], 0
        for s, text in zip(sentences, texts):
            core = text.strip()     # edge spaces are no part of a unit
            start = pos + text.index(core)
            spans.append((s, start, start + len(core)))
            pos += len(text) + len(sep)
        number = self._add(sep.join(texts))
        self.thai[number] = spans
        self._add()
        return number

    def expected(self, line: int, start: int, end: int) -> tuple[str | None, list[int]]:
        """The English a row of ``line`` [start, end) must carry: the references of the sentences it
        holds, joined, or None when it holds part of a sentence (no memory entry matches it); and the
        indices of the sentences it overlaps."""
        spans = [(s, a, b) for s, a, b in self.thai[line] if a < end and start < b]
        whole = all(start <= a and b <= end for _, a, b in spans)
        english = " ".join(s.en for s, _, _ in spans) if spans and whole else None
        return english, [s.index for s, _, _ in spans]


def build_page(article: list[Sentence], per_paragraph: int = 2) -> FloresPage:
    title, caption, *body = article
    page = FloresPage(name=f"flores_{title.index:04d}.txt", caption=caption)
    for text in (BANNER, "", MOTTO, ""):
        page._add(text)
    page._add_thai([title])
    page._add(DATELINE)
    page._add()
    page.caption_vi_line = page._add(f"{caption.vi} - Ảnh 1.")
    page._add()
    page.caption_th_line = page._add_thai([caption])
    paragraphs = [body[i:i + per_paragraph] for i in range(0, len(body), per_paragraph)]
    for k, paragraph in enumerate(paragraphs):
        # the last paragraph's sentences run together without a space, as on some scraped pages
        # (the segmenter then tends to keep them in one unit: a joined memory match)
        page._add_thai(paragraph, sep="" if k == len(paragraphs) - 1 and len(paragraph) > 1 else " ")
    return page


def write_pages(articles_: list[list[Sentence]], folder: Path) -> list[FloresPage]:
    folder.mkdir(parents=True, exist_ok=True)
    pages = [build_page(a) for a in articles_]
    for p in pages:
        (folder / p.name).write_text(p.text, encoding="utf-8")
    return pages
