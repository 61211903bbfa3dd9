"""Read an OUTPUT_DIR (corpus.jsonl, captions.jsonl, manifest.json) for review.

Only reads; never writes anything into OUTPUT_DIR. Tolerant of extra fields and
of missing optional files (captions.jsonl, manifest.json).
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from ..errors import InputError
from .flags import DEFAULT, FLAGS, FlagConfig, flag_details, severity

log = logging.getLogger(__name__)

CORPUS_FILE = "corpus.jsonl"
CAPTIONS_FILE = "captions.jsonl"
MANIFEST_FILE = "manifest.json"
DOC_FIELDS = ("source_url", "date", "publication", "title_th", "title_vi")


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Objects of a JSON-lines file; a bad line is an InputError with file:line."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path.name}: {exc.strerror}", where=str(path),
                         fix="run `mt run` to produce the output directory first") from exc
    with handle:
        for number, text in enumerate(handle, 1):
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InputError(f"not valid JSON: {exc.msg}", where=f"{path}:{number}",
                                 fix="re-run `mt run`; the file is damaged") from exc
            if not isinstance(obj, dict):
                raise InputError("a JSON object was expected", where=f"{path}:{number}",
                                 fix="re-run `mt run`; the file is damaged")
            yield obj


@dataclass
class Corpus:
    """The rows of one OUTPUT_DIR."""

    output_dir: Path
    rows: list[dict[str, Any]]
    captions: list[dict[str, Any]] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id: dict[str, dict[str, Any]] = {}
        for row in self.rows:
            self.by_id[row["id"]] = row


def load_corpus(output_dir: Path) -> Corpus:
    output_dir = Path(output_dir)
    if not output_dir.is_dir():
        raise InputError("output directory not found", where=str(output_dir),
                         fix="give the OUTPUT_DIR of an `mt run`")
    corpus_path = output_dir / CORPUS_FILE
    if not corpus_path.is_file():
        raise InputError(f"no {CORPUS_FILE} in the output directory", where=str(output_dir),
                         fix="run `mt run` to produce the output directory first")
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, row in enumerate(read_jsonl(corpus_path), 1):
        rid = row.get("id")
        if not isinstance(rid, str) or not rid:
            raise InputError("row has no string 'id'", where=f"{corpus_path}:{number}",
                             fix="re-run `mt run`; every sentences row needs an id")
        if rid in seen:
            raise InputError(f"duplicate row id '{rid}'", where=f"{corpus_path}:{number}",
                             fix="re-run `mt run`; row ids must be unique")
        seen.add(rid)
        rows.append(row)
    captions: list[dict[str, Any]] = []
    cap_path = output_dir / CAPTIONS_FILE
    if cap_path.is_file():
        captions = [c for c in read_jsonl(cap_path) if isinstance(c.get("id"), str)]
    manifest: dict[str, Any] = {}
    man_path = output_dir / MANIFEST_FILE
    if man_path.is_file():
        try:
            loaded = json.loads(man_path.read_text(encoding="utf-8"))
            manifest = loaded if isinstance(loaded, dict) else {}
        except (OSError, json.JSONDecodeError) as exc:
            log.warning("%s: cannot read manifest (%s); continuing without it", man_path, exc)
    return Corpus(output_dir=output_dir, rows=rows, captions=captions, manifest=manifest)


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return round(float(value), 4)



def _put_flags(item: dict[str, Any], details: dict[str, str], flag_index: dict[str, int]) -> None:
    """Flags of a row as indices into the page's flag table, with their explanations."""
    if details:
        item["f"] = [flag_index[n] for n in details]
        item["x"] = list(details.values())

def review_payload(corpus: Corpus, config: FlagConfig = DEFAULT) -> dict[str, Any]:
    """The compact structure the review page's script renders.

    ``docs``: one entry per document; ``rows``: one entry per corpus row plus one per
    Vietnamese caption line that no corpus row carries (read-only, ``c: 1``).
    Short keys keep a 20,000-row page small:
    i id, d doc index, l line, k kind, t Thai, e English, v Vietnamese, a align score,
    s severity, f flag indices (into ``flags``), x flag details,
    c 1 for caption-only rows, r relation.
    """
    flag_index = {name: n for n, name in enumerate(FLAGS)}
    docs: list[dict[str, Any]] = []
    doc_index: dict[str, int] = {}

    def doc_of(obj: dict[str, Any]) -> int:
        doc_id = _str(obj.get("doc_id")) or _str(obj.get("file")) or "?"
        if doc_id not in doc_index:
            doc_index[doc_id] = len(docs)
            entry = {"id": doc_id, "file": _str(obj.get("file")), "n": 0}
            for key in DOC_FIELDS:
                if _str(obj.get(key)):
                    entry[key] = obj[key]
            docs.append(entry)
        entry = docs[doc_index[doc_id]]
        entry["n"] += 1
        for key in DOC_FIELDS:
            if key not in entry and _str(obj.get(key)):
                entry[key] = obj[key]
        return doc_index[doc_id]

    out: list[dict[str, Any]] = []
    carried: set[tuple[str, Any]] = set()
    for row in corpus.rows:
        details = flag_details(row, config)
        names = list(details)
        item: dict[str, Any] = {
            "i": row["id"], "d": doc_of(row), "l": row.get("line"), "k": _str(row.get("kind")),
            "t": _str(row.get("th")), "e": _str(row.get("en")), "v": _str(row.get("vi")),
            "s": severity(names, row, config),
        }
        score = _num((row.get("scores") or {}).get("align")) if isinstance(row.get("scores"), dict) else None
        if score is not None:
            item["a"] = score
        _put_flags(item, details, flag_index)
        if _str(row.get("relation")):
            item["r"] = row["relation"]
        if row.get("vi") and row.get("vi_line") is not None:
            carried.add((_str(row.get("doc_id")), row.get("vi_line")))
        out.append(item)
    for cap in corpus.captions:
        if (_str(cap.get("doc_id")), cap.get("line")) in carried:
            continue
        en = _str(cap.get("en_from_th")) or _str(cap.get("en_from_vi"))
        details = flag_details(cap, config)
        names = list(details)
        item = {
            "i": cap["id"], "d": doc_of(cap), "l": cap.get("line"), "k": "caption_vi",
            "t": _str(cap.get("th")), "e": en, "v": _str(cap.get("vi")),
            "s": severity(names, cap, config), "c": 1,
        }
        score = _num(cap.get("score"))
        if score is not None and cap.get("th"):
            item["a"] = score
        _put_flags(item, details, flag_index)
        if _str(cap.get("relation")):
            item["r"] = cap["relation"]
        if not cap.get("en_from_th") and cap.get("en_from_vi"):
            item["ef"] = "vi"   # English shown is translated from the Vietnamese
        out.append(item)
    return {"docs": docs, "rows": out}
