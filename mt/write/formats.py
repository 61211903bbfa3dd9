"""Corpus file formats, by name: ``parquet`` (Hugging Face dataset), ``jsonl``, ``tmx``, ``moses``.

A format writer streams rows into a directory: ``write(sentences, captions)``
is called once per document and ``close()`` once at the end, so memory does
not grow with the corpus.

``extra_fields`` (column name -> pyarrow type) declares sentences columns beyond the
corpus's own (e.g. the review's ``status``): Parquet adds them to the sentences schema,
TMX writes each set value as a ``<prop type="x-NAME">``, JSONL writes rows as they are.
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any, Mapping

from ..errors import ConfigError
from ..registry import Registry, require
from .rows import SCORE_FIELDS

FORMATS: Registry[type["FormatWriter"]] = Registry("output format")


# The one row schema of both configs: (column, type name of :func:`arrow_type`, description).
# The Parquet schemas and the dataset card's data-fields tables both come from here.
FIELDS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "sentences": (
        ("id", "string", "row id `{doc_id}:{line}:{n}` (`{line}.{block}` for a text block that shares its "
                         "source line with others, e.g. in minified HTML)"),
        ("doc_id", "string", "document id (input file stem)"),
        ("file", "string", "input file name"),
        ("line", "int32", "1-based line of the Thai text in the input file"),
        ("start", "int32", "character offset of the unit in that line"),
        ("end", "int32", "end offset (exclusive) of the unit in that line"),
        ("kind", "string", "line kind: title, lead, body, heading, caption_th"),
        ("th", "string", "Thai text (one sentence, or a short fragment merged with its neighbour)"),
        ("en", "string", "English machine translation of `th` (null when not translated)"),
        ("vi", "string", "Vietnamese line aligned to this unit (null unless aligned)"),
        ("translation", "translation", "`{\"th\": th, \"en\": en, \"vi\": vi}`, the shape of the Hugging Face "
                                       "translation recipes"),
        ("vi_line", "int32", "line of `vi` in the input file"),
        ("relation", "string", "how `vi` relates to `th`: translation, title (null when no `vi`)"),
        ("n_sentences", "int32", "sentences in the unit"),
        ("scores", "scores", "scores (null when not computed): " + ", ".join(SCORE_FIELDS)),
        ("flags", "list<string>", "pipeline flags, e.g. `degenerate:repeat`"),
        ("credit", "string", "photo credit split off this line, e.g. `VNA` from `... (ภาพ: VNA)` (null if none)"),
        ("source_url", "string", "URL of the original page (document field)"),
        ("date", "string", "publication date, ISO 8601 (document field)"),
        ("publication", "string", "publisher named on the page (document field)"),
        ("title_th", "string", "Thai title of the document"),
        ("title_vi", "string", "Vietnamese title of the document"),
    ),
    "captions": (
        ("id", "string", "row id `{doc_id}:vi{line}`"),
        ("doc_id", "string", "document id (input file stem)"),
        ("file", "string", "input file name"),
        ("line", "int32", "line of the Vietnamese text in the input file"),
        ("vi", "string", "Vietnamese caption or title line"),
        ("th", "string", "its Thai counterpart"),
        ("th_line", "int32", "line of `th` in the input file"),
        ("en_from_th", "string", "English machine translation of `th`"),
        ("en_from_vi", "string", "English machine translation of `vi`"),
        ("relation", "string", "translation (the Thai caption translates it) or title (article title as alt-text)"),
        ("score", "float64", "alignment score"),
        ("reason", "string", "why the aligner paired the lines"),
        ("flags", "list<string>", "pipeline flags"),
    ),
}
TRANSLATION_LANGS = ("th", "en", "vi")
CONFIGS = tuple(FIELDS)


def arrow_type(name: str) -> Any:
    """The Arrow type of a :data:`FIELDS` type name."""
    import pyarrow as pa

    s = pa.string()
    types = {"string": s, "int32": pa.int32(), "float64": pa.float64(), "bool": pa.bool_(), "list<string>": pa.list_(s),
             "translation": pa.struct([(lang, s) for lang in TRANSLATION_LANGS]),
             "scores": pa.struct([(k, pa.float64()) for k in SCORE_FIELDS])}
    return types[name]


def schemas() -> dict[str, Any]:
    """The Arrow schemas of the ``sentences`` and ``captions`` configs (rows of :mod:`mt.write.rows`)."""
    import pyarrow as pa

    return {config: pa.schema([(name, arrow_type(type_)) for name, type_, _ in fields])
            for config, fields in FIELDS.items()}


class FormatWriter:
    name = "format"

    #: the files one writer makes (relative to its directory); :meth:`merge` joins them across parts
    files: tuple[str, ...] = ()

    def __init__(self, out_dir: Path, signature: dict[str, Any], rows_per_shard: int = 50_000,
                 extra_fields: Mapping[str, Any] | None = None, part: bool = False):
        self.out_dir = out_dir
        self.signature = signature
        self.rows_per_shard = rows_per_shard
        self.extra_fields = dict(extra_fields or {})
        self.part = part      # one shard's part of a corpus, joined later by :meth:`merge`

    def write(self, sentences: list[dict], captions: list[dict]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    @classmethod
    def merge(cls, parts: list[Path], out_dir: Path, signature: dict[str, Any]) -> dict[str, Any]:
        """Join the files the part writers of ``parts`` (shard folders, in corpus order) made into ``out_dir``:
        moved when there is one part, else streamed one after the other (no row is parsed)."""
        for name in cls.files:
            concat([p / name for p in parts], out_dir / name)
        return {}


def concat(sources: list[Path], target: Path) -> None:
    """``target`` = the bytes of ``sources`` one after the other (one source: renamed; the sources are removed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if len(sources) == 1:
        os.replace(sources[0], target)
        return
    with open(target, "wb") as out:
        for src in sources:
            with open(src, "rb") as fh:
                shutil.copyfileobj(fh, out, 1 << 20)
            src.unlink()


def _dumps(row: dict) -> str:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


class JsonlWriter(FormatWriter):
    """``corpus.jsonl`` (a sentences row per line) and ``captions.jsonl``."""

    name = "jsonl"
    files = ("corpus.jsonl", "captions.jsonl")

    def __init__(self, *a: Any, **kw: Any):
        super().__init__(*a, **kw)
        self._sent = open(self.out_dir / "corpus.jsonl", "w", encoding="utf-8")
        self._capt = open(self.out_dir / "captions.jsonl", "w", encoding="utf-8")

    def write(self, sentences: list[dict], captions: list[dict]) -> None:
        for r in sentences:
            self._sent.write(_dumps(r) + "\n")
        for r in captions:
            self._capt.write(_dumps(r) + "\n")

    def close(self) -> None:
        self._sent.close()
        self._capt.close()


def _one_line(text: str) -> str:
    return " ".join(text.split())


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")  # not allowed in XML 1.0


def _xml(value: Any) -> str:
    """``value`` as text with the characters XML 1.0 does not allow dropped."""
    return _XML_BAD.sub("", str(value))


def _text(value: Any) -> str:
    """``value`` if it is a string with something other than spaces in it, else ``""``."""
    return value if isinstance(value, str) and value.strip() else ""


def _prop(value: Any) -> str | None:
    """The text of a TMX prop (lists joined with commas), None when there is nothing to say."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


class MosesWriter(FormatWriter):
    """``corpus.th`` / ``corpus.en``: line-aligned plain text of every translated row."""

    name = "moses"
    files = ("corpus.th", "corpus.en")

    def __init__(self, *a: Any, **kw: Any):
        super().__init__(*a, **kw)
        self._th = open(self.out_dir / "corpus.th", "w", encoding="utf-8")
        self._en = open(self.out_dir / "corpus.en", "w", encoding="utf-8")

    def write(self, sentences: list[dict], captions: list[dict]) -> None:
        for r in sentences:
            if r["en"]:
                self._th.write(_one_line(r["th"]) + "\n")
                self._en.write(_one_line(r["en"]) + "\n")

    def close(self) -> None:
        self._th.close()
        self._en.close()


XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
TMX_DOCTYPE = '<!DOCTYPE tmx SYSTEM "tmx14.dtd">'


class TmxWriter(FormatWriter):
    """``corpus.tmx`` (TMX 1.4b), streamed through lxml's incremental ``xmlfile``: a ``tu`` per row with
    Thai and English (``tuv`` for th, en, and vi when aligned), its provenance and scores as ``prop``.
    Characters XML 1.0 does not allow are dropped; ``n_tu`` counts the ``tu`` written."""

    name = "tmx"
    PART = "corpus.tmx.part"      # a shard's ``tu`` elements, without header: :meth:`merge` wraps them

    def __init__(self, *a: Any, **kw: Any):
        super().__init__(*a, **kw)
        self.etree = require("lxml.etree", "the TMX writer")
        self.n_tu = 0
        self._stack = contextlib.ExitStack()
        self._xf: Any = None
        try:
            # A Python file (not a path) so that write errors (ENOSPC ...) surface as OSError, and the
            # file is closed last, also when closing the XML elements fails.
            self._fh = self._stack.enter_context(open(self.out_dir / (self.PART if self.part else "corpus.tmx"), "wb"))
            if not self.part:
                self._open_document()
        except BaseException:
            self._stack.close()
            raise

    def _open_document(self) -> None:
        sig = self.signature
        header = {"creationtool": "mt", "creationtoolversion": str(sig.get("version", "")),
                  "datatype": "plaintext", "segtype": "sentence", "adminlang": "en", "srclang": "th",
                  "o-tmf": "mt"}
        self._xf = self._stack.enter_context(self.etree.xmlfile(self._fh, encoding="utf-8"))
        self._xf.write_declaration()
        self._xf.write_doctype(TMX_DOCTYPE)
        self._stack.enter_context(self._xf.element("tmx", version="1.4"))
        head = self.etree.Element("header", header)
        self._props(head, [("x-model", sig.get("model", "")),
                           ("x-signature", json.dumps(sig, ensure_ascii=False, sort_keys=True))])
        self._xf.write("\n", head, pretty_print=True)
        self._stack.enter_context(self._xf.element("body"))
        self._xf.write("\n")

    @classmethod
    def merge(cls, parts: list[Path], out_dir: Path, signature: dict[str, Any]) -> dict[str, Any]:
        """One TMX document: the header, then every part's ``tu`` elements as written, then the end tags."""
        writer = cls(out_dir, signature)
        try:
            for part in parts:
                writer._xf.flush()
                with open(part / cls.PART, "rb") as fh:
                    shutil.copyfileobj(fh, writer._fh, 1 << 20)
                (part / cls.PART).unlink()
        finally:
            writer.close()
        return {}

    def _props(self, parent: Any, props: list[tuple[str, Any]]) -> None:
        """``<prop type=...>`` children of ``parent``, one per value that is set."""
        for type_, value in props:
            text = _prop(value)
            if text is None:
                continue
            self.etree.SubElement(parent, "prop", type=type_).text = _xml(text)

    def _tu(self, r: dict, th: str, en: str, vi: str) -> Any:
        scores = r.get("scores") or {}
        props = [("x-id", r["id"]), ("x-doc", r.get("doc_id")), ("x-file", f'{r.get("file")}:{r.get("line")}'),
                 ("x-kind", r.get("kind"))]
        props += [(f"x-score-{k}", f"{scores[k]:.4f}") for k in SCORE_FIELDS if scores.get(k) is not None]
        props += [("x-relation", r.get("relation")), ("x-flags", r.get("flags")),
                  ("x-source-url", r.get("source_url"))]
        props += [("x-" + name.replace("_", "-"), r.get(name)) for name in self.extra_fields]
        tu = self.etree.Element("tu", tuid=_xml(r["id"]))
        self._props(tu, props)
        for lang, text in (("th", th), ("en", en), ("vi", vi)):
            if text:
                tuv = self.etree.SubElement(tu, "tuv", {XML_LANG: lang})
                self.etree.SubElement(tuv, "seg").text = _xml(text)
        return tu

    def write(self, sentences: list[dict], captions: list[dict]) -> None:
        try:
            for r in sentences:
                th, en, vi = _text(r.get("th")), _text(r.get("en")), _text(r.get("vi"))
                if not (th and en):
                    continue
                tu = self._tu(r, th, en, vi)
                if self._xf is None:
                    self._fh.write(self.etree.tostring(tu, encoding="utf-8", pretty_print=True))
                else:
                    self._xf.write(tu, pretty_print=True)
                self.n_tu += 1
            if self._xf is not None:
                self._xf.flush()
            self._fh.flush()
        except self.etree.SerialisationError as exc:
            raise self._os_error(exc, "could not be written") from exc

    def close(self) -> None:
        """End the elements and close the file (also after a failed write, then with an OSError)."""
        try:
            self._stack.close()
        except self.etree.SerialisationError as exc:
            raise self._os_error(exc, "could not be finished") from exc

    def _os_error(self, exc: Exception, what: str) -> OSError:
        """lxml's write error (``IO_ENOSPC``, ``IO_WRITE`` ...) as the OSError the corpus writer handles."""
        code = errno.ENOSPC if "ENOSPC" in str(exc) else errno.EDQUOT if "EDQUOT" in str(exc) else errno.EIO
        return OSError(code, f"{os.strerror(code)}: corpus.tmx {what} ({exc})", str(self.out_dir / "corpus.tmx"))


class ParquetWriter(FormatWriter):
    """One folder per config, so a glob never mixes them: ``data/sentences/train-NNNNN-of-MMMMM-<fingerprint>.parquet``
    and ``data/captions/train-...`` (the names ``datasets``' ``push_to_hub`` gives shards).

    The fingerprint is a hash of the rows (of the sum of their hashes and their number, so that a corpus
    written in one part or in many has the same one). It is part of the file names (and so of the card's
    ``data_files`` patterns) because ``datasets`` keys its cache of a local folder on the card's
    configs, not on the files' content: without it, two corpora with the same card would load
    each other's cached rows.
    """

    name = "parquet"

    def __init__(self, *a: Any, **kw: Any):
        super().__init__(*a, **kw)
        import pyarrow as pa

        self.pa = pa
        self.schemas = schemas()
        sentences = self.schemas["sentences"]
        for name, type_ in self.extra_fields.items():
            if name in sentences.names:
                raise ConfigError(f"extra column {name!r} is already a sentences column", where="extra_fields",
                                  fix="give the extra column another name")
            sentences = sentences.append(pa.field(name, type_))
        self.schemas["sentences"] = sentences
        for config in CONFIGS:
            (self.out_dir / "data" / config).mkdir(parents=True, exist_ok=True)
        self._buf: dict[str, list[dict]] = {"sentences": [], "captions": []}
        self._shard = {"sentences": 0, "captions": 0}
        self._writer: dict[str, Any] = {"sentences": None, "captions": None}
        self._in_shard = {"sentences": 0, "captions": 0}
        self._rows_hash = [0, 0]       # sum of the rows' 64-bit hashes (mod 2**64), number of rows
        self.fingerprint: str | None = None

    def _flush(self, config: str) -> None:
        import pyarrow.parquet as pq

        rows = self._buf[config]
        if self._writer[config] is None:
            path = self.out_dir / "data" / config / f"train-{self._shard[config]:05d}.parquet"
            self._writer[config] = pq.ParquetWriter(path, self.schemas[config], compression="zstd")
        if rows:
            self._writer[config].write_table(self.pa.Table.from_pylist(rows, schema=self.schemas[config]))
            self._in_shard[config] += len(rows)
        self._buf[config] = []
        if self._in_shard[config] >= self.rows_per_shard:
            self._writer[config].close()
            self._writer[config] = None
            self._shard[config] += 1
            self._in_shard[config] = 0

    def write(self, sentences: list[dict], captions: list[dict]) -> None:
        for config, rows in (("sentences", sentences), ("captions", captions)):
            for row in rows:
                digest = hashlib.sha256(_dumps(row).encode("utf-8")).digest()
                self._rows_hash[0] = (self._rows_hash[0] + int.from_bytes(digest[:8], "big")) % 2**64
                self._rows_hash[1] += 1
            self._buf[config].extend(rows)
            if len(self._buf[config]) >= 2048:
                self._flush(config)

    def close(self) -> None:
        for config in CONFIGS:
            if self._buf[config] or self._writer[config] is not None or self._shard[config] == 0:
                self._flush(config)  # always at least one (possibly empty) shard per config
            if self._writer[config] is not None:
                self._writer[config].close()
                self._writer[config] = None
        self.fingerprint = _fingerprint(*self._rows_hash)
        if self.part:
            (self.out_dir / ROWS_HASH).write_text(json.dumps(self._rows_hash), encoding="utf-8")
        for config in CONFIGS:
            shards = sorted((self.out_dir / "data" / config).glob("train-*.parquet"))
            for n, path in enumerate(shards):
                os.replace(path, path.with_name(shard_name(n, len(shards), self.fingerprint)))


    @classmethod
    def merge(cls, parts: list[Any], out_dir: Any, signature: dict[str, Any], fs: Any = None) -> dict[str, Any]:
        """Move every part's Parquet files into ``data/<config>/`` under the corpus's shard names (numbered
        in corpus order; the fingerprint from the parts' row hashes, as one writer of all rows would give it);
        parts without rows are dropped unless a config has no other file. ``fs``: the fsspec file system of
        ``parts`` and ``out_dir`` when they are URLs (moves stay inside it: no bytes pass through here)."""
        import pyarrow.parquet as pq

        if fs is None:
            fs = require("fsspec", "the Parquet writer").filesystem("file")
        parts, out = [str(p).rstrip("/") for p in parts], str(out_dir).rstrip("/")
        found = {config: [f for p in parts for f in sorted(fs.glob(f"{p}/data/{config}/train-*.parquet"))]
                 for config in CONFIGS}
        total = [0, 0]
        for part in parts:
            rows_hash = json.loads(fs.cat(f"{part}/{ROWS_HASH}"))
            total = [(total[0] + rows_hash[0]) % 2**64, total[1] + rows_hash[1]]
            fs.rm(f"{part}/{ROWS_HASH}")
        fingerprint = _fingerprint(*total)
        for config, files in found.items():
            keep = [f for f in files if _rows(fs, f, pq)] or files[:1]
            fs.makedirs(f"{out}/data/{config}", exist_ok=True)
            if not keep:       # no part at all (no input): one empty file per config, as a one-part corpus has
                with fs.open(f"{out}/data/{config}/{shard_name(0, 1, fingerprint)}", "wb") as fh:
                    pq.write_table(schemas()[config].empty_table(), fh)
            for n, path in enumerate(keep):
                fs.mv(path, f"{out}/data/{config}/{shard_name(n, len(keep), fingerprint)}")
        return {"fingerprint": fingerprint}


def _rows(fs: Any, path: str, pq: Any) -> int:
    with fs.open(path, "rb") as fh:
        return pq.read_metadata(fh).num_rows


ROWS_HASH = "parquet-rows-hash.json"     # a part's row hashes, for the corpus fingerprint (ParquetWriter.merge)


def _fingerprint(rows_sum: int, rows: int) -> str:
    return hashlib.sha256(f"{rows_sum}:{rows}".encode()).hexdigest()[:16]


def shard_name(n: int, total: int, fingerprint: str) -> str:
    """File name of shard ``n`` of ``total`` of a config (``data/<config>/<name>``)."""
    return f"train-{n:05d}-of-{total:05d}-{fingerprint}.parquet"


def data_files(config: str, fingerprint: str | None) -> str:
    """The ``data_files`` pattern of a config on the card (relative to the corpus directory)."""
    return f"data/{config}/train-*-{fingerprint}.parquet" if fingerprint else f"data/{config}/*.parquet"


for _cls in (ParquetWriter, JsonlWriter, TmxWriter, MosesWriter):
    FORMATS.register(_cls.name, _cls)
