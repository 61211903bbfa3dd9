"""Read input pages into :class:`~mt.records.Doc` records.

Reading never raises for a bad file: a file that cannot be decoded still
becomes a ``Doc`` whose ``problems`` say what is wrong, where (file:line) and
how to fix it, so the batch goes on and every line is accounted for.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import InputError
from .records import Doc

log = logging.getLogger(__name__)

FORMATS = {".txt": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_SPACES = re.compile("[\u00a0\u2000-\u200a\u202f\u205f\u3000]")


def normalize_line(text: str) -> str:
    """NFC, invisible characters removed, exotic spaces made plain, trailing white space stripped."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = _SPACES.sub(" ", text)
    return text.rstrip()


def find_inputs(paths: Iterable[str | Path], patterns: Iterable[str]) -> list[tuple[Path, str]]:
    """Expand files and folders into ``(path, relative name)`` pairs, sorted, without duplicates."""
    found: dict[Path, str] = {}
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for pattern in patterns:
                for f in path.rglob(pattern):
                    if f.is_file():
                        found.setdefault(f.resolve(), f.relative_to(path).as_posix())
        elif path.is_file():
            found.setdefault(path.resolve(), path.name)
        else:
            raise InputError("input path does not exist", where=str(path), fix="check [input].paths or the command-line paths")
    return sorted(((p, name) for p, name in found.items()), key=lambda x: x[1])


def doc_id_for(name: str) -> str:
    stem = name.rsplit(".", 1)[0] if "." in Path(name).name else name
    return re.sub(r"[^\w.-]+", "__", stem)


def decode_page(data: bytes, name: str) -> tuple[list[str], list[dict]]:
    """Decode bytes into normalised lines; returns ``(lines, problems)``.

    * a UTF-8 BOM is dropped; CRLF and CR line ends become LF;
    * NUL bytes -> binary file: every line is kept as a problem line (set aside);
    * invalid UTF-8 -> only the bad lines are set aside, each named by line number.
    """
    problems: list[dict] = []
    if not data.strip():
        problems.append({"line": None, "error": "empty file", "fix": "remove the file or re-scrape the page"})
        return [], problems
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    raw_lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    if b"\x00" in data:
        first = next(i for i, ln in enumerate(raw_lines, 1) if b"\x00" in ln)
        problems.append({"line": first, "error": "binary file (NUL bytes), not a text page",
                         "fix": "pass only UTF-8 text, markdown or HTML files", "all_lines": True})
        return [ln.decode("utf-8", "replace").replace("\x00", "") for ln in raw_lines], problems
    lines = []
    for i, raw in enumerate(raw_lines, 1):
        try:
            lines.append(normalize_line(raw.decode("utf-8")))
        except UnicodeDecodeError as exc:
            problems.append({"line": i, "error": f"not UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})",
                             "fix": "re-encode the file as UTF-8 (e.g. iconv -f TIS-620 -t UTF-8)"})
            lines.append(normalize_line(raw.decode("utf-8", "replace")))
    return lines, problems


def read_doc(path: Path, name: str) -> Doc:
    fmt = FORMATS.get(path.suffix.lower(), "txt")
    doc = Doc(doc_id=doc_id_for(name), file=name, path=str(path), format=fmt)
    try:
        data = path.read_bytes()
    except OSError as exc:
        doc.problems.append({"line": None, "error": f"cannot read file: {exc.strerror}", "fix": "check the file's permissions"})
        return doc
    doc.raw_lines, doc.problems = decode_page(data, name)
    for p in doc.problems:
        log.error("%s: %s -- fix: %s", doc.where(p["line"]), p["error"], p["fix"])
    return doc


def read_docs(paths: Iterable[str | Path], patterns: Iterable[str] = ("*.txt", "*.md", "*.html", "*.htm")) -> Iterator[Doc]:
    for path, name in find_inputs(paths, patterns):
        yield read_doc(path, name)
