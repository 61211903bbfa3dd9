"""Where documents come from: page files in folders, or records of JSONL(.gz), Parquet, WARC(.gz) files and
Hugging Face datasets, local or behind an fsspec URL (``file://``, ``memory://``, ``s3://``, ``gs://``).

:func:`iter_sources` lists a run's inputs lazily as small, picklable :class:`Source` entries (a Ray row holds
one); :func:`read_sources` / :func:`read_source` turn them into :class:`~mt.records.Doc` records and, like
:func:`mt.read.read_doc`, never raise: a record that cannot be decoded, is empty, is not HTML or lacks its text
field becomes a document with a problem (file ``<container>#<index>``, line None) and the batch goes on.

A record is re-read in another process from its container and position: a JSONL line by its byte offset (in
the decompressed stream), a Parquet row by row group and row, a WARC record by its offset; a streaming
Hugging Face dataset cannot seek, so its record travels inside the source (only the fields mt reads).
"""
from __future__ import annotations

import fnmatch
import hashlib
import json
import logging
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

from .config import InputConfig
from .errors import ConfigError, MissingExtraError
from .read import InputFile, _key, decode_page, doc_id_for, read_doc, suffixed_doc_id
from .records import Doc
from .registry import require
from .urls import is_url, url_fs

log = logging.getLogger(__name__)

#: container formats by file-name ending (``[input] format = "auto"``)
SUFFIXES = {".jsonl": "jsonl", ".jsonl.gz": "jsonl", ".parquet": "parquet", ".warc": "warc", ".warc.gz": "warc"}
#: the values of ``[input] format``
SOURCE_FORMATS = ("auto", "files", "jsonl", "parquet", "warc", "hf")   # as checked by InputConfig
_PAGE_FORMAT = {"html": "html", "markdown": "md", "text": "txt"}   # text field -> Doc.format, in order of preference
_HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class Source:
    """One document of a run and where it comes from (small and picklable: a Ray row carries one)."""

    kind: str                       # "file" (a page file) | "record" (one record of a container)
    path: str                       # local path or fsspec URL of the page file / the container
    name: str                       # page file: its name relative to the input root; record: the container as given
    doc_id: str
    format: str = ""                # record: "jsonl" | "parquet" | "warc" | "hf"
    index: int | None = None        # record: its index in the container (from 0)
    offset: int | None = None       # JSONL: byte offset of the line; WARC: record offset; Parquet: row in its group
    row_group: int | None = None    # Parquet
    url: str | None = None          # the record's url field / WARC-Target-URI
    data: dict[str, Any] | None = None   # hf: the record itself (a streaming dataset cannot seek)

    def provenance(self) -> dict[str, Any]:
        """What ``Doc.meta["source"]`` says about where a record came from."""
        keys = ("format", "index", "offset", "row_group", "url")
        return {"container": self.path, **{k: getattr(self, k) for k in keys if getattr(self, k) is not None}}


class RecordFields(NamedTuple):
    """The field names of records (``[input] id_field``, ...)."""

    id: str = "id"
    url: str = "url"
    text: str = "text"
    html: str = "html"
    markdown: str = "markdown"
    date: str = "date"

    @classmethod
    def of(cls, config: InputConfig | None) -> "RecordFields":
        if config is None:
            return cls()
        return cls(config.id_field, config.url_field, config.text_field, config.html_field,
                   config.markdown_field, config.date_field)


# -- listing ----------------------------------------------------------------------------------------------

def _local(path: str) -> str:
    return str(path)[len("file://"):] if str(path).startswith("file://") else str(path)


def container_format(path: str, declared: str = "auto") -> str | None:
    """The record format of ``path`` (declared, or by its ending), or None for a page file or folder."""
    if declared in ("jsonl", "parquet", "warc"):
        return declared
    if declared == "files":
        return None
    low = str(path).lower()
    return next((fmt for end, fmt in SUFFIXES.items() if low.endswith(end)), None)


def iter_sources(config: InputConfig) -> Iterator[Source]:
    """The run's documents, lazily: page files of folders in name order (ids as :func:`mt.read.find_inputs`
    gives them), then, per container, its records in file order."""
    fields = RecordFields.of(config)
    if config.format == "hf":
        for p in config.paths:
            yield from hf_sources(p.removeprefix("hf:"), config.hf_split, fields)
        return
    pages = [p for p in config.paths if not p.startswith("hf:") and not _is_container_path(p, config.format)]
    yield from file_sources(pages, config.patterns)
    for p in config.paths:
        if p.startswith("hf:"):
            yield from hf_sources(p[3:], config.hf_split, fields)
        elif _is_container_path(p, config.format):
            yield from _record_sources(p, config.format, fields)


def count_sources(config: InputConfig) -> int:
    """How many sources :func:`iter_sources` yields, without holding them (a Parquet file: from its metadata)."""
    quick = [p for p in config.paths if config.format != "hf" and not p.startswith("hf:")
             and container_format(p, config.format) == "parquet" and not _is_dir(p)]
    total = 0
    for p in quick:
        try:
            total += parquet_rows(p)
        except _LISTING_ERRORS:   # not readable as Parquet: the listing says so as a problem record
            total += sum(1 for _ in iter_sources(config.model_copy(update={"paths": [p]})))
    rest = [p for p in config.paths if p not in quick]
    return total + sum(1 for _ in iter_sources(config.model_copy(update={"paths": rest})))


class Sources:
    """The sources of a run as the executors take them: iterable (lazily, as often as asked) with a ``len``
    (counted once by :func:`count_sources`, for the progress bar and the Ray executor's order check)."""

    def __init__(self, config: InputConfig):
        self.config = config
        self._len: int | None = None

    def __iter__(self) -> Iterator[Source]:
        return iter_sources(self.config)

    def __len__(self) -> int:
        if self._len is None:
            self._len = count_sources(self.config)
        return self._len

    def __bool__(self) -> bool:
        return self._len > 0 if self._len is not None else next(iter(self), None) is not None

    def total_hint(self) -> int | None:
        """``len()`` when it costs no extra pass over record containers (page files, Parquet metadata), else
        None: a progress bar does not need a second full read of a JSONL or WARC file (Ray needs ``len``)."""
        c = self.config
        streamed = c.format == "hf" or any(p.startswith("hf:") or container_format(p, c.format) in ("jsonl", "warc")
                                           for p in c.paths)
        return None if streamed and self._len is None else len(self)


def _is_dir(path: str) -> bool:
    if is_url(path):
        return url_fs(path)[0].isdir(path)
    return Path(_local(path)).is_dir()


def _is_container_path(path: str, declared: str) -> bool:
    """A container file, or (with a declared record format) a folder of containers."""
    if declared in ("jsonl", "parquet", "warc"):
        return True
    return declared == "auto" and container_format(path) is not None and not _is_dir(path)


def _exists(path: str) -> bool:
    if is_url(path):
        return url_fs(path)[0].exists(path)
    return os.path.lexists(_local(path))


def _open(path: str, compression: str | None = None) -> Any:
    """A binary file object of a local path or fsspec URL (gzip decompressed when ``compression="infer"``)."""
    fsspec = require("fsspec", f"input {path}")
    return fsspec.open(_local(path) if not is_url(path) else path, "rb", compression=compression).open()


def _walk(root: str) -> Iterator[tuple[str, str]]:
    """``(path, name relative to root)`` of every entry under ``root`` in the order of their names (a folder
    sorts as ``name/``, so the order is that of sorting the relative names; a folder itself comes just before
    its entries), holding one folder's listing per level. Links to folders are not followed (as ``rglob``)."""
    return _walk_entries(root, "", url_fs(root)[0] if is_url(root) else None)


def _walk_entries(folder: str, rel: str, fs: Any) -> Iterator[tuple[str, str]]:
    for path, name, is_dir in _listing(folder, fs):
        yield path, rel + name
        if is_dir:
            yield from _walk_entries(path, rel + name + "/", fs)


def _listing(folder: str, fs: Any) -> list[tuple[str, str, bool]]:
    """``(path, name, is a real folder)`` of the entries of one folder, sorted as :func:`_walk` says."""
    if fs is not None:
        found = [(e["name"], e["name"].rstrip("/").rsplit("/", 1)[-1], e["type"] == "directory")
                 for e in fs.ls(folder, detail=True)]
        found = [(p if "://" in p else fs.unstrip_protocol(p), n, d) for p, n, d in found]
    else:
        try:
            with os.scandir(_local(folder)) as it:
                found = [(e.path, e.name, _real_dir(e)) for e in it]
        except OSError as exc:
            log.error("%s: cannot list the folder (%s); its files are not read", folder, exc.strerror)
            return []
    return sorted(found, key=lambda x: x[1] + ("/" if x[2] else ""))


def _real_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


# -- page files -------------------------------------------------------------------------------------------

def file_sources(paths: list[str], patterns: list[str]) -> Iterator[Source]:
    """Page files of ``paths`` in name order with unique ids (the one listing: :func:`mt.read.find_inputs` is
    this as a list).

    Lazy passes over the folder listings: the first finds the files that links point to (few), the second
    which ids collide (``x.txt`` and ``x.md``; it keeps a 64-bit hash per id, not the files), the last yields."""
    if not paths:
        return
    linked = _link_targets(paths, patterns)
    seen: set[int] = set()
    clashes: set[str] = set()
    for _path, name in _page_entries(paths, patterns, linked):
        plain = doc_id_for(name)
        if hash(plain) in seen:
            clashes.add(plain)
        seen.add(hash(plain))
    del seen
    given: set[str] = set()
    for path, name in _page_entries(paths, patterns, linked):
        plain = doc_id_for(name)
        doc_id = plain if plain not in clashes else suffixed_doc_id(name)
        if doc_id in given:   # two names with one SHA-1 prefix: numbered instead
            doc_id = f"{plain}~{sum(1 for g in given if g.startswith(plain + '~')) + 1}"
        if plain in clashes:
            given.add(doc_id)
        yield Source("file", path, name, doc_id)


def _page_entries(paths: list[str], patterns: list[str], linked: set[str]) -> Iterator[tuple[str, str]]:
    """``(path, name)`` of the page files of ``paths`` in name order, each file once: a file that an earlier
    input also holds (an input given twice, or inside another) under the earlier one's name, a file and a
    link to it under the first name."""
    import heapq

    for p in paths:
        if not _is_dir(p) and not _exists(p):
            raise ConfigError("input path does not exist", where=p, fix="check [input].paths or the command-line paths")
    roots = [_entry_key(p).rstrip("/") for p in paths]
    streams = []
    for j, p in enumerate(paths):
        entries = _matching(p, patterns) if _is_dir(p) else iter([(p, PurePosixPath(_local(p)).name)])
        earlier = [r for r in roots[:j] if r == roots[j] or roots[j].startswith(r + "/") or r.startswith(roots[j] + "/")]
        streams.append(_outside(entries, earlier) if earlier else entries)
    emitted: set[str] = set()
    for path, name in heapq.merge(*streams, key=lambda x: x[1]):
        if _is_link(path) or (linked and _entry_key(path) in linked):
            key = _entry_key(path)
            if key in emitted:
                continue
            emitted.add(key)
        yield path, name


def _outside(entries: Iterator[tuple[str, str]], roots: list[str]) -> Iterator[tuple[str, str]]:
    """The entries that are not, and are not inside, one of ``roots`` (keys)."""
    for path, name in entries:
        key = _entry_key(path)
        if not any(key == r or key.startswith(r + "/") for r in roots):
            yield path, name


def _matching(root: str, patterns: list[str]) -> Iterator[tuple[str, str]]:
    for path, rel in _walk(root):
        if any(fnmatch.fnmatchcase(rel.rsplit("/", 1)[-1], pat) if "/" not in pat else PurePosixPath(rel).match(pat)
               for pat in patterns):
            yield path, rel


def _link_targets(paths: list[str], patterns: list[str]) -> set[str]:
    """Keys of the files that links in the input folders point to (few; fsspec folders have no links)."""
    return {_entry_key(path) for p in paths if not is_url(p) and _is_dir(p) for path, _ in _matching(p, patterns) if _is_link(path)}


def _is_link(path: str) -> bool:
    return not is_url(path) and os.path.islink(_local(path))


def _entry_key(path: str) -> str:
    return path if is_url(path) else _key(Path(_local(path)))


def read_file_source(source: Source) -> Doc:
    """A page file: local ones exactly as :func:`mt.read.read_doc`, fsspec ones from their bytes."""
    if not is_url(source.path):
        return read_doc(Path(_local(source.path)), source.name, source.doc_id)
    from .read import FORMATS

    suffix = PurePosixPath(source.name).suffix.lower()
    doc = Doc(doc_id=source.doc_id, file=source.name, path=source.path, format=FORMATS.get(suffix, "txt"))
    try:
        with _open(source.path) as fh:
            data = fh.read()
    except (OSError, ValueError) as exc:   # fsspec backends raise OSError subclasses (FileNotFoundError, ...)
        doc.problems.append({"line": None, "error": f"cannot read file: {exc}", "fix": "check the URL and access rights"})
    else:
        doc.raw_lines, doc.problems = decode_page(data, source.name)
    _log_problems(doc)
    return doc


def _log_problems(doc: Doc) -> None:
    for p in doc.problems:
        log.error("%s: %s -- fix: %s", doc.where(p["line"]), p["error"], p["fix"])


# -- records: listing ------------------------------------------------------------------------------------

def _record_sources(path: str, declared: str, fields: RecordFields) -> Iterator[Source]:
    for container, fmt, stem in containers(path, declared):
        yield from container_sources(container, fmt, stem, fields)


def containers(path: str, declared: str) -> Iterator[tuple[str, str, str]]:
    """``(container, format, stem)`` of the container ``path`` or of those in the folder ``path``, with stems
    made unique (``x.jsonl`` and ``x.jsonl.gz``, or ``a/x.jsonl`` and ``b/x.jsonl``, given apart)."""
    stems: set[str] = set()
    for container, fmt, stem in _containers(path, declared):
        if stem in stems:
            stem = f"{stem}~{hashlib.sha1(container.encode()).hexdigest()[:8]}"
        stems.add(stem)
        yield container, fmt, stem


def container_sources(container: str, fmt: str, stem: str, fields: RecordFields,
                      stop: int | None = None) -> Iterator[Source]:
    """The records of one container in file order (the first ``stop`` of them); a container that cannot be
    read past some record ends with one problem source."""
    listers = {"jsonl": _jsonl_sources, "parquet": _parquet_sources, "warc": _warc_sources}
    ids = _RecordIds(stem)
    try:
        for index, (key, url, position) in enumerate(listers[fmt](container, fields)):
            if stop is not None and index >= stop:
                return
            yield Source("record", container, container, ids.next(key, index), fmt, index, url=url, **position)
    except _LISTING_ERRORS as exc:   # a corrupt container: what was listed stands, the rest is one problem
        index = ids.count
        log.error("%s: cannot read past record %d (%s: %s)", container, index, type(exc).__name__, exc)
        yield Source("record", container, container, ids.next(None, index), fmt, index,
                     data={"_error": f"the container cannot be read from record {index} on "
                                     f"({type(exc).__name__}: {str(exc)[:200]})"})


_LISTING_ERRORS = (OSError, EOFError, ValueError)   # gzip.BadGzipFile is an OSError; pyarrow's ArrowInvalid a ValueError


class _RecordIds:
    """``<container stem>~<id field or record index>``, sanitised and unique in the container (an id met
    before gets ``~<index>`` too; it keeps a 64-bit hash per id, not the ids)."""

    def __init__(self, stem: str):
        self.stem = stem
        self.seen: set[int] = set()
        self.count = 0

    def next(self, key: Any, index: int) -> str:
        self.count = index + 1
        part = re.sub(r"[^\w.-]+", "__", str(index if key is None or str(key) == "" else key))
        doc_id = f"{self.stem}~{part}"
        if hash(doc_id) in self.seen:   # an id field value repeated, or equal to another record's index
            doc_id = f"{doc_id}~{index}"
        self.seen.add(hash(doc_id))
        return doc_id


def _containers(path: str, declared: str) -> Iterator[tuple[str, str, str]]:
    """``(path, format, stem)`` of the container ``path``, or of the containers in the folder ``path``."""
    if not _is_dir(path):
        if not _exists(path):
            raise ConfigError("input path does not exist", where=path, fix="check [input].paths or the command-line paths")
        fmt = container_format(path, declared) or declared
        yield path, fmt, _stem(PurePosixPath(_local(path)).name)
        return
    for entry, rel in _walk(path):
        fmt = container_format(entry)
        if fmt is not None and (declared == "auto" or fmt == declared) and not _is_dir(entry):
            yield entry, fmt, _stem(rel)


def _stem(name: str) -> str:
    low = name.lower()
    end = next((e for e in SUFFIXES if low.endswith(e)), "")
    return doc_id_for(name[: len(name) - len(end)] + ".x")


def _key_url(rec: Any, fields: RecordFields) -> tuple[Any, str | None]:
    if not isinstance(rec, dict):
        return None, None
    url = rec.get(fields.url)
    return rec.get(fields.id), url if isinstance(url, str) and url else None


def _jsonl_sources(path: str, fields: RecordFields) -> Iterator[tuple[Any, str | None, dict[str, Any]]]:
    """Every non-blank line: (id, url, {"offset": its byte offset in the decompressed stream})."""
    offset = 0
    with _open(path, "infer") as fh:
        for line in fh:
            start, offset = offset, offset + len(line)
            if line.strip():
                rec, _error = _parse_json(line)
                yield *_key_url(rec, fields), {"offset": start}


def _parquet_sources(path: str, fields: RecordFields) -> Iterator[tuple[Any, str | None, dict[str, Any]]]:
    """Every row: (id, url, {"row_group", "offset": row in the group}); only the id and url columns are read."""
    pq = require("pyarrow.parquet", f"reading Parquet file {path}")
    with _open(path) as fh:
        pf = pq.ParquetFile(fh)
        cols = [c for c in (fields.id, fields.url) if c in pf.schema_arrow.names]
        for rg in range(pf.num_row_groups):
            n = pf.metadata.row_group(rg).num_rows
            rows = pf.read_row_group(rg, columns=cols).to_pylist() if cols else [{}] * n
            for row, rec in enumerate(rows):
                yield *_key_url(rec, fields), {"row_group": rg, "offset": row}


def parquet_rows(path: str) -> int:
    pq = require("pyarrow.parquet", f"reading Parquet file {path}")
    with _open(path) as fh:
        return pq.ParquetFile(fh).metadata.num_rows


def _warcio(path: str) -> Any:
    try:
        from warcio.archiveiterator import ArchiveIterator
    except ModuleNotFoundError as exc:
        raise MissingExtraError("warcio", "warc", f"reading WARC file {path}") from exc
    return ArchiveIterator


def _warc_sources(path: str, fields: RecordFields) -> Iterator[tuple[Any, str | None, dict[str, Any]]]:
    """Every HTTP response record: (None, WARC-Target-URI, {"offset": record offset}); requests, metadata
    and warcinfo records are not pages (counted in the log)."""
    skipped: Counter[str] = Counter()
    with _open(path) as fh:
        it = _warcio(path)(fh)
        for record in it:
            if record.rec_type != "response":
                skipped[record.rec_type] += 1
                continue
            yield None, record.rec_headers.get_header("WARC-Target-URI"), {"offset": it.get_record_offset()}
    if skipped:
        log.info("%s: %s records that are not responses are not pages", path, dict(skipped))


def hf_sources(name: str, split: str, fields: RecordFields) -> Iterator[Source]:
    """The records of a Hugging Face dataset (hub name or local folder), streamed; each source carries the
    fields mt reads (a streaming dataset cannot seek)."""
    datasets = require("datasets", f"reading the Hugging Face dataset {name}")
    try:
        ds = datasets.load_dataset(name, split=split, streaming=True)
    except (FileNotFoundError, ValueError, ConnectionError) as exc:   # DatasetNotFoundError is a FileNotFoundError
        raise ConfigError(f"cannot load the Hugging Face dataset: {type(exc).__name__}: {str(exc)[:300]}",
                          where=name, fix="check the name or local path, [input] hf_split, and the network") from None
    ids = _RecordIds(_stem(name.rstrip("/").rsplit("/", 1)[-1]))
    for index, rec in enumerate(ds):
        key, url = _key_url(rec, fields)
        data = {k: (v if v is None or isinstance(v, (str, int, float, bool)) else str(v))
                for k, v in rec.items() if k in fields}
        yield Source("record", name, name, ids.next(key, index), "hf", index, url=url, data=data)


# -- records: reading ------------------------------------------------------------------------------------

class _Page(NamedTuple):
    """One record's page as read from its container: its bytes and format, or why there is none."""

    data: bytes | None = None
    format: str = "txt"
    url: str | None = None
    date: str | None = None
    error: str | None = None
    fix: str = ""


def _parse_json(line: bytes) -> tuple[Any, str | None]:
    try:
        return json.loads(line), None
    except UnicodeDecodeError as exc:
        return None, f"not decodable: not UTF-8 (byte 0x{line[exc.start]:02x} at column {exc.start + 1})"
    except json.JSONDecodeError as exc:
        return None, f"not decodable: not JSON ({exc.msg} at column {exc.colno})"


def _page_of(rec: Any, fields: RecordFields) -> _Page:
    """The page of a record (a dict): the first of the html, markdown and text fields that it has."""
    if not isinstance(rec, dict):
        return _Page(error=f"not decodable: a JSON {type(rec).__name__}, not an object",
                     fix="write one JSON object per line")
    url, date = _key_url(rec, fields)[1], rec.get(fields.date)
    date = None if date is None else str(date)
    for kind in ("html", "markdown", "text"):
        name = getattr(fields, kind)
        value = rec.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            return _Page(url=url, date=date, error=f"field '{name}' is {type(value).__name__}, not text",
                         fix=f"store the page as a string in '{name}'")
        try:
            return _Page(value.encode("utf-8"), _PAGE_FORMAT[kind], url, date)
        except UnicodeEncodeError as exc:
            return _Page(url=url, date=date, error=f"not decodable: field '{name}' holds a lone surrogate "
                         f"at character {exc.start}", fix="re-export the record as valid Unicode")
    return _Page(url=url, date=date, error=f"missing field: none of '{fields.html}', '{fields.markdown}', "
                 f"'{fields.text}'", fix="set [input] html_field, markdown_field or text_field to the field "
                 "that holds the page")


class _Container:
    """One open container, kept while consecutive sources come from it (seeks go forward in file order)."""

    def __init__(self, path: str, fmt: str):
        self.path, self.format = path, fmt
        self.fh: Any = None
        self.pf: Any = None
        self._group: tuple[int, int, Any, Any] | None = None   # row group, first row of batch, batch, batches

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()

    def page(self, src: Source, fields: RecordFields) -> _Page:
        if src.data is not None:
            if "_error" in src.data:
                return _Page(error=src.data["_error"], fix="re-copy or re-write the container file")
            return _page_of(src.data, fields)
        try:
            if self.format == "jsonl":
                return self._jsonl(src, fields)
            if self.format == "parquet":
                return _page_of(self._parquet_row(src, fields), fields)
            return self._warc(src)
        except _LISTING_ERRORS as exc:
            return _Page(error=f"cannot read the record: {type(exc).__name__}: {str(exc)[:200]}",
                         fix="check that the container did not change since it was listed")

    def _jsonl(self, src: Source, fields: RecordFields) -> _Page:
        if self.fh is None:
            self.fh = _open(self.path, "infer")
        self.fh.seek(src.offset)
        rec, error = _parse_json(self.fh.readline())
        if error:
            return _Page(error=error, fix="re-export the record as one UTF-8 JSON object per line")
        return _page_of(rec, fields)

    def _parquet_row(self, src: Source, fields: RecordFields) -> dict[str, Any]:
        """Row ``src.offset`` of row group ``src.row_group``, streaming the group in batches (rows asked in
        order read each batch once)."""
        if self.pf is None:
            self.fh = _open(self.path)
            self.pf = require("pyarrow.parquet", f"reading Parquet file {self.path}").ParquetFile(self.fh)
        rg, row = src.row_group, src.offset
        if self._group is None or self._group[0] != rg or row < self._group[1]:
            cols = [c for c in fields if c in self.pf.schema_arrow.names]
            batches = self.pf.iter_batches(batch_size=256, row_groups=[rg], columns=cols)
            self._group = (rg, 0, next(batches), batches)
        _, first, batch, batches = self._group
        while row >= first + batch.num_rows:
            first, batch = first + batch.num_rows, next(batches)
            self._group = (rg, first, batch, batches)
        return batch.slice(row - first, 1).to_pylist()[0]

    def _warc(self, src: Source) -> _Page:
        if self.fh is None:
            self.fh = _open(self.path)
        self.fh.seek(src.offset)
        record = next(iter(_warcio(self.path)(self.fh)))
        url = record.rec_headers.get_header("WARC-Target-URI") or src.url
        date = record.rec_headers.get_header("WARC-Date")
        http = record.http_headers
        ctype = (http.get_header("Content-Type") if http else None) or ""
        status = (http.get_statuscode() if http else None) or ""
        if not status.startswith("2"):
            return _Page(url=url, date=date, error=f"HTTP {status or 'response without status'}, not a page",
                         fix="only 2xx responses with HTML are pages; the record is set aside")
        if ctype.split(";")[0].strip().lower() not in _HTML_TYPES:
            return _Page(url=url, date=date, error=f"not HTML (Content-Type: {ctype or 'none'})",
                         fix="only HTML responses are pages; the record is set aside")
        return _Page(_to_utf8(record.content_stream().read(), ctype), "html", url, date)


def _to_utf8(data: bytes, content_type: str) -> bytes:
    """HTML bytes as UTF-8: the charset of the Content-Type or of a ``<meta>`` in the page; UTF-8 otherwise
    (bad lines are then set aside by :func:`mt.read.decode_page`)."""
    from bs4.dammit import EncodingDetector

    m = re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.I)
    charset = m.group(1) if m else EncodingDetector.find_declared_encoding(data, is_html=True)
    if not charset or charset.lower().replace("_", "-") in ("utf-8", "utf8"):
        return data
    try:
        return data.decode(charset).encode("utf-8")
    except (LookupError, UnicodeDecodeError):
        return data


def _record_doc(src: Source, page: _Page) -> Doc:
    name = f"{src.name}#{src.index}"
    doc = Doc(doc_id=src.doc_id, file=name, path=src.path, format=page.format)
    url = page.url or src.url
    doc.meta["source"] = {**src.provenance(), **({"url": url} if url else {})}
    if url:
        doc.meta["source_url"] = url
    if page.date:
        doc.meta["date"] = page.date
    if page.error:
        doc.problems.append({"line": None, "error": page.error, "fix": page.fix})
    else:
        doc.raw_lines, doc.problems = decode_page(page.data, name)
        if doc.problems and doc.problems[0]["error"] == "empty file (no text)":
            doc.problems[0] = {"line": None, "error": "empty record (no text)", "fix": "drop the record or re-scrape the page"}
    _log_problems(doc)
    return doc


def read_sources(items: Iterable[Source | InputFile], config: InputConfig | None = None) -> Iterator[Doc]:
    """One :class:`~mt.records.Doc` per source, in order; never raises for bad input. A container stays open
    while consecutive sources come from it."""
    fields = RecordFields.of(config)
    current: _Container | None = None
    try:
        for item in items:
            if isinstance(item, InputFile):
                yield read_doc(*item)
            elif item.kind == "file":
                yield read_file_source(item)
            else:
                if current is None or (current.path, current.format) != (item.path, item.format):
                    if current is not None:
                        current.close()
                    current = _Container(item.path, item.format)
                yield _record_doc(item, current.page(item, fields))
    finally:
        if current is not None:
            current.close()


def read_source(source: Source | InputFile, config: InputConfig | None = None) -> Doc:
    """One source as a :class:`~mt.records.Doc`; never raises for bad input (see :func:`read_sources`)."""
    return next(read_sources([source], config))


def restore_provenance(doc: Doc, before: dict[str, Any]) -> None:
    """After the parse step rebuilt ``doc.meta``: keep the reader's ``source`` and fill ``source_url`` and
    ``date`` from the record where the page itself names none."""
    if "source" in before:
        doc.meta["source"] = before["source"]
    for key in ("source_url", "date"):
        if doc.meta.get(key) is None and before.get(key) is not None:
            doc.meta[key] = before[key]


def digest_inputs(config: InputConfig) -> tuple[list[str], list[str], bytes]:
    """What a run digest (:func:`mt.run.run_digest`) reads of the inputs: the local paths and patterns to
    hash byte for byte (:func:`mt.read.find_inputs`: page files, or the containers of a declared format), and
    for the other inputs (fsspec URLs, Hugging Face datasets) their identity without their bytes."""
    hf = config.format == "hf"
    local = [_local(p) for p in config.paths if not hf and not is_url(p) and not p.startswith("hf:")]
    ends = [e for e, fmt in SUFFIXES.items() if fmt == config.format]
    patterns = [f"*{e}" for e in ends] if ends else list(config.patterns)
    other = b"".join(_identity(p, hf) + b"\0" for p in config.paths if _local(p) not in local)
    return local, patterns, other


def _identity(path: str, hf: bool) -> bytes:
    """An input's URL or name with each file's size and version fields as its file system reports them
    (ETag, mtime, ...), without reading the bytes; a Hugging Face hub dataset: its name."""
    name = _local(path.removeprefix("hf:"))
    if (hf or path.startswith("hf:")) and not _exists(name):
        return name.encode()
    fs = url_fs(name)[0] if is_url(name) else url_fs("file://" + os.path.abspath(name))[0]
    files = [name] if not _is_dir(name) else [p for p, _ in _walk(name) if not _is_dir(p)]
    out = []
    for p in files:
        info = fs.info(p)
        keep = {k: str(v) for k, v in sorted(info.items())
                if k in ("size", "ETag", "etag", "mtime", "LastModified", "created", "md5Hash", "generation")}
        out.append(json.dumps([p, keep]))
    return "\n".join(out).encode()
