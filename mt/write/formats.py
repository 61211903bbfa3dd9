"""Corpus file formats, by name: ``parquet`` (Hugging Face dataset), ``jsonl``, ``tmx``, ``moses``.

A format writer streams rows into a directory: ``write(sentences, captions)``
is called once per document and ``close()`` once at the end, so memory does
not grow with the corpus.

``extra_fields`` (column name -> pyarrow type) declares sentences columns beyond the
corpus's own (e.g. the review's ``status``): Parquet adds them to the sentences schema,
TMX writes each set value as a ``<prop type="x-NAME">``, JSONL writes rows as they are.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any, Mapping, TextIO
from xml.sax.saxutils import escape, quoteattr

from ..errors import ConfigError
from ..registry import Registry
from .rows import SCORE_FIELDS

FORMATS: Registry[type["FormatWriter"]] = Registry("output format")


def schemas() -> dict[str, Any]:
    """The Arrow schemas of the ``sentences`` and ``captions`` configs (rows of :mod:`mt.write.rows`)."""
    import pyarrow as pa

    s, i32, f64 = pa.string(), pa.int32(), pa.float64()
    return {
        "sentences": pa.schema([
            ("id", s), ("doc_id", s), ("file", s), ("line", i32), ("start", i32), ("end", i32),
            ("kind", s), ("th", s), ("en", s), ("vi", s), ("vi_line", i32), ("relation", s),
            ("n_sentences", i32), ("scores", pa.struct([(k, f64) for k in SCORE_FIELDS])),
            ("flags", pa.list_(s)), ("source_url", s), ("date", s), ("publication", s),
            ("title_th", s), ("title_vi", s),
        ]),
        "captions": pa.schema([
            ("id", s), ("doc_id", s), ("file", s), ("line", i32), ("vi", s), ("th", s), ("th_line", i32),
            ("en_from_th", s), ("en_from_vi", s), ("relation", s), ("score", f64), ("reason", s),
            ("flags", pa.list_(s)),
        ]),
    }


class FormatWriter:
    name = "format"

    def __init__(self, out_dir: Path, signature: dict[str, Any], rows_per_shard: int = 50_000,
                 extra_fields: Mapping[str, Any] | None = None):
        self.out_dir = out_dir
        self.signature = signature
        self.rows_per_shard = rows_per_shard
        self.extra_fields = dict(extra_fields or {})

    def write(self, sentences: list[dict], captions: list[dict]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


def _dumps(row: dict) -> str:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


class JsonlWriter(FormatWriter):
    """``corpus.jsonl`` (a sentences row per line) and ``captions.jsonl``."""

    name = "jsonl"

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
    return escape(_XML_BAD.sub("", str(value)))


def _xml_attr(value: Any) -> str:
    return quoteattr(_XML_BAD.sub("", str(value)))


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


class TmxWriter(FormatWriter):
    """``corpus.tmx`` (TMX 1.4b): a ``tu`` per row with Thai and English, ``tuv`` for th/en and vi when
    aligned. Characters XML 1.0 does not allow are dropped; ``n_tu`` counts the ``tu`` written."""

    name = "tmx"

    def __init__(self, *a: Any, **kw: Any):
        super().__init__(*a, **kw)
        self.n_tu = 0
        self._fh: TextIO = open(self.out_dir / "corpus.tmx", "w", encoding="utf-8")
        sig = self.signature
        self._fh.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4">\n'
            f'  <header creationtool="mt" creationtoolversion={_xml_attr(sig.get("version", ""))} '
            'datatype="plaintext" segtype="sentence" adminlang="en" srclang="th" o-tmf="mt">\n'
            f'    <prop type="x-model">{_xml(sig.get("model", ""))}</prop>\n'
            f'    <prop type="x-signature">{_xml(json.dumps(sig, ensure_ascii=False, sort_keys=True))}</prop>\n'
            "  </header>\n  <body>\n"
        )

    def write(self, sentences: list[dict], captions: list[dict]) -> None:
        for r in sentences:
            th, en, vi = _text(r.get("th")), _text(r.get("en")), _text(r.get("vi"))
            if not (th and en):
                continue
            scores = r.get("scores") or {}
            props = [("x-id", r["id"]), ("x-doc", r.get("doc_id")), ("x-file", f'{r.get("file")}:{r.get("line")}'),
                     ("x-kind", r.get("kind"))]
            props += [(f"x-score-{k}", f"{scores[k]:.4f}") for k in SCORE_FIELDS if scores.get(k) is not None]
            props += [("x-relation", r.get("relation")), ("x-flags", r.get("flags")),
                      ("x-source-url", r.get("source_url"))]
            props += [("x-" + name.replace("_", "-"), r.get(name)) for name in self.extra_fields]
            out = [f"    <tu tuid={_xml_attr(r['id'])}>"]
            out += [f"      <prop type={quoteattr(t)}>{_xml(text)}</prop>" for t, v in props
                    if (text := _prop(v)) is not None]
            out.append(f'      <tuv xml:lang="th"><seg>{_xml(th)}</seg></tuv>')
            out.append(f'      <tuv xml:lang="en"><seg>{_xml(en)}</seg></tuv>')
            if vi:
                out.append(f'      <tuv xml:lang="vi"><seg>{_xml(vi)}</seg></tuv>')
            out.append("    </tu>")
            self._fh.write("\n".join(out) + "\n")
            self.n_tu += 1

    def close(self) -> None:
        self._fh.write("  </body>\n</tmx>\n")
        self._fh.close()


class ParquetWriter(FormatWriter):
    """``data/sentences-<fingerprint>-NNNNN.parquet`` and ``data/captions-<fingerprint>-NNNNN.parquet`` shards.

    The fingerprint is a hash of the rows. It is part of the file names (and so of the card's
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
        (self.out_dir / "data").mkdir(exist_ok=True)
        self._buf: dict[str, list[dict]] = {"sentences": [], "captions": []}
        self._shard = {"sentences": 0, "captions": 0}
        self._writer: dict[str, Any] = {"sentences": None, "captions": None}
        self._in_shard = {"sentences": 0, "captions": 0}
        self._hash = hashlib.sha256()
        self.fingerprint: str | None = None

    def _flush(self, config: str) -> None:
        import pyarrow.parquet as pq

        rows = self._buf[config]
        if self._writer[config] is None:
            path = self.out_dir / "data" / f"{config}-{self._shard[config]:05d}.parquet"
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
                self._hash.update(_dumps(row).encode("utf-8"))
            self._buf[config].extend(rows)
            if len(self._buf[config]) >= 2048:
                self._flush(config)

    def close(self) -> None:
        for config in ("sentences", "captions"):
            if self._buf[config] or self._writer[config] is not None or self._shard[config] == 0:
                self._flush(config)  # always at least one (possibly empty) shard per config
            if self._writer[config] is not None:
                self._writer[config].close()
                self._writer[config] = None
        self.fingerprint = self._hash.hexdigest()[:16]
        for path in sorted((self.out_dir / "data").glob("*.parquet")):
            config, shard = path.stem.split("-")
            os.replace(path, path.with_name(f"{config}-{self.fingerprint}-{shard}.parquet"))


for _cls in (ParquetWriter, JsonlWriter, TmxWriter, MosesWriter):
    FORMATS.register(_cls.name, _cls)
