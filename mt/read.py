"""Read input pages into :class:`~mt.records.Doc` records.

Reading never raises for a bad file: a file that cannot be decoded still
becomes a ``Doc`` whose ``problems`` say what is wrong, where (file:line) and
how to fix it, so the batch goes on and every line is accounted for.
"""
from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from .errors import ConfigError
from .text import normalize_line
from .records import Doc

log = logging.getLogger(__name__)

FORMATS = {".txt": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}


class InputFile(NamedTuple):
    """One input of a run: where it is, its name relative to the input root, and its document id."""

    path: Path
    name: str
    doc_id: str


def find_inputs(paths: Iterable[str | Path], patterns: Iterable[str]) -> list[InputFile]:
    """The page files of ``paths`` (files and folders) as a list, sorted by name, each once, with unique ids:
    exactly the listing a run uses (:func:`mt.sources.iter_sources`, which lists them lazily).

    Entries that match a pattern but are not regular files (a directory named ``x.txt``, a FIFO, a dangling
    link, a symlink loop) are kept: :func:`read_doc` turns each into a problem record instead of skipping it
    silently. A path that does not exist is a ConfigError.
    """
    from .sources import file_sources   # mt.sources builds on this module: imported when called

    return [InputFile(Path(s.path), s.name, s.doc_id) for s in file_sources([str(p) for p in paths], list(patterns))]


def _key(path: Path) -> str:
    """The identity of an input (its resolved path; the link itself for a loop or a dangling link)."""
    try:
        return str(path.resolve(strict=True))
    except (OSError, RuntimeError):
        return os.path.abspath(path)


def doc_id_for(name: str) -> str:
    """The readable id of a document: its relative name without extension, unsafe characters as ``__``."""
    stem = name.rsplit(".", 1)[0] if "." in Path(name).name else name
    return re.sub(r"[^\w.-]+", "__", stem)


def suffixed_doc_id(name: str) -> str:
    """The id of a name whose :func:`doc_id_for` another name shares: ``~`` and 8 hex digits of its SHA-1."""
    return f"{doc_id_for(name)}~{hashlib.sha1(name.encode()).hexdigest()[:8]}"


def decode_page(data: bytes, name: str) -> tuple[list[str], list[dict]]:
    """Decode bytes into normalised lines; returns ``(lines, problems)``.

    * a UTF-8 BOM is dropped; a UTF-16 BOM means UTF-16 (decoded, and said in the log);
    * CRLF and CR line ends become LF;
    * a file of NUL-heavy bytes -> binary file: every line is kept as a problem line (set aside); a few NUL
      bytes -> only the lines that hold them are set aside;
    * invalid UTF-8 -> only the bad lines are set aside, each named by line number;
    * an empty or blank-only file is a problem, and its blank lines are still counted.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        data = _from_utf16(data, name)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    raw_lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    if not data.strip():
        return ["" for _ in raw_lines], [{"line": None, "error": "empty file (no text)",
                                          "fix": "remove the file or re-scrape the page"}]
    if _is_binary(data, raw_lines):
        first = next(i for i, ln in enumerate(raw_lines, 1) if b"\x00" in ln)
        problems = [{"line": first, "error": "binary file (NUL bytes), not a text page",
                     "fix": "pass only UTF-8 text, markdown or HTML files", "all_lines": True}]
        return [ln.decode("utf-8", "replace").replace("\x00", "") for ln in raw_lines], problems
    return _decode_lines(raw_lines)


def _from_utf16(data: bytes, name: str) -> bytes:
    try:
        text = data.decode("utf-16")
    except UnicodeDecodeError:
        return data   # not really UTF-16: the NUL bytes make it a binary file below
    log.warning("%s: decoded as UTF-16 (byte order mark); mt expects UTF-8 -- re-encode with iconv -f UTF-16 "
                "-t UTF-8 to silence this", name)
    return text.encode("utf-8")


def _is_binary(data: bytes, raw_lines: list[bytes]) -> bool:
    """NUL bytes in more than 1 % of the bytes or in more than a quarter of the lines: not a text page."""
    nul = data.count(b"\x00")
    if not nul:
        return False
    with_nul = sum(1 for ln in raw_lines if b"\x00" in ln)
    return nul > len(data) / 100 or with_nul > max(1, len(raw_lines) // 4)


def _decode_lines(raw_lines: list[bytes]) -> tuple[list[str], list[dict]]:
    lines: list[str] = []
    problems: list[dict] = []
    for i, raw in enumerate(raw_lines, 1):
        if b"\x00" in raw:
            problems.append({"line": i, "error": "NUL byte in the line", "fix": "remove the NUL bytes (tr -d '\\000')"})
            raw = raw.replace(b"\x00", b"")
        try:
            lines.append(normalize_line(raw.decode("utf-8")))
        except UnicodeDecodeError as exc:
            problems.append({"line": i, "error": f"not UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})",
                             "fix": "re-encode the file as UTF-8 (e.g. iconv -f TIS-620 -t UTF-8)"})
            lines.append(normalize_line(raw.decode("utf-8", "replace")))
    return lines, problems


def _not_a_file(path: Path) -> str | None:
    """Why ``path`` cannot be read as a page (a directory, a FIFO, a dangling link, a loop), or None."""
    try:
        mode = path.stat().st_mode
    except RuntimeError:
        return "symbolic link loop"
    except OSError as exc:
        if path.is_symlink():
            return "symbolic link loop" if exc.errno == errno.ELOOP else "dangling symbolic link (target missing)"
        return None   # read_bytes reports it
    if stat.S_ISDIR(mode):
        return "a directory, not a page file"
    if not stat.S_ISREG(mode):
        return "not a regular file (FIFO, socket or device)"
    return None


def read_doc(path: Path, name: str, doc_id: str | None = None) -> Doc:
    """Read one page; never raises: what cannot be read becomes a problem of the document."""
    fmt = FORMATS.get(path.suffix.lower(), "txt")
    doc = Doc(doc_id=doc_id or doc_id_for(name), file=name, path=str(path), format=fmt)
    why = _not_a_file(path)
    if why is not None:
        doc.problems.append({"line": None, "error": f"skipped: {why}", "fix": "pass page files only, or remove it"})
    else:
        try:
            data = path.read_bytes()
        except OSError as exc:
            doc.problems.append({"line": None, "error": f"cannot read file: {exc.strerror}",
                                 "fix": "check the file's permissions (chmod a+r)"})
        else:
            doc.raw_lines, doc.problems = decode_page(data, name)
    for p in doc.problems:
        log.error("%s: %s -- fix: %s", doc.where(p["line"]), p["error"], p["fix"])
    return doc


def read_docs(paths: Iterable[str | Path], patterns: Iterable[str] = ("*.txt", "*.md", "*.html", "*.htm")) -> Iterator[Doc]:
    for item in find_inputs(paths, patterns):
        yield read_doc(*item)
