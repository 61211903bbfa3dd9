"""Export the reviewed corpus: the corpus rows with the reviewers' decisions applied.

``DIR`` (default ``OUTPUT_DIR/reviewed/``) gets, through :mod:`mt.write`'s format writers and card,

* ``README.md`` + ``data/sentences/*.parquet`` (+ ``data/captions/*.parquet``): a Hugging Face
  dataset (``datasets.load_dataset(DIR)`` loads the sentences; the fingerprint in the shard names
  keeps ``datasets``' cache from serving another export's rows);
* ``corpus.jsonl`` / ``captions.jsonl``: the same rows as JSON lines;
* ``corpus.tmx``: TMX 1.4b translation memory of the rows that were not rejected and have English;
* ``export.json``: the review counts and the filters with the rows each dropped; ``dropped.jsonl``: the
  id and reason of every row the filters dropped (``--drop-rejected``, ``--min-score``, ``--drop-flag``).

Every sentences row keeps its fields and gains the :data:`REVIEW_COLUMNS`; ``en`` is the
reviewer's text where edited. The directory is written in a temporary sibling and swapped
into place whole. The OUTPUT_DIR files (and review.sqlite) are only read.
"""
from __future__ import annotations

import json
import logging
import shutil
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .._version import __version__
from ..errors import InputError, OutputError
from ..write import replace_dir, temp_dir
from ..write.card import dataset_card
from ..write.formats import JsonlWriter, ParquetWriter, TmxWriter, arrow_type, schemas
from .corpus import CORPUS_FILE, Corpus, load_corpus
from .filters import ExportFilters
from .flags import row_flags
from .store import DB_FILE, Decision, DecisionStore

log = logging.getLogger(__name__)

EXPORT_DIR = "reviewed"
# What an export directory holds: anything else there means it is not one (and would be lost).
EXPORT_FILES = frozenset({"README.md", "data", "corpus.jsonl", "captions.jsonl", "corpus.tmx", "export.json",
                          "dropped.jsonl"})
# The columns the review adds to every sentences row (name -> (type, description on the card)).
REVIEW_COLUMNS = {
    "status": ("string", "`unreviewed`, `accepted`, `rejected` or `edited`"),
    "edited": ("bool", "true when a reviewer rewrote the English; `en` (and `translation.en`) then hold the "
                       "reviewer's text and `en_original` the machine translation"),
    "en_original": ("string", "the machine translation (equal to `en` unless `edited`)"),
    "review_flags": ("list<string>", "automatic checks (untranslated, copied, thai_in_en, degenerate, artefact, "
                                     "number_mismatch, latin_missing, length_ratio, low_align, upstream_flag)"),
    "reviewed_at": ("string", "time of the last decision (UTC)"),
    "review_stale": ("bool", "the decision was made on a different Thai or English text (pipeline re-run since)"),
}
TMX_PROPS = ("status", "review_stale")  # review columns the TMX carries as <prop type="x-...">


def reviewed_rows(corpus: Corpus, decisions: dict[str, Decision]) -> list[dict[str, Any]]:
    """Corpus rows with the decisions applied (see the module docstring)."""
    out = []
    for row in corpus.rows:
        decision = decisions.get(row["id"])
        status = decision.status if decision else "unreviewed"
        new = {**row, "en": row.get("en"), "vi": row.get("vi")}
        if status == "edited" and decision is not None:
            new["en"] = decision.edited
        new["translation"] = {"th": row.get("th"), "en": new["en"], "vi": new["vi"]}
        new.update(status=status, edited=status == "edited", en_original=row.get("en"),
                   review_flags=row_flags(row), reviewed_at=decision.at if decision else None,
                   review_stale=bool(decision and decision.stale(row)))
        out.append(new)
    return out


def _extra_fields(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Arrow types of the sentences columns beyond the corpus schema: the review's, then any other
    column of ``rows`` (kept from corpus.jsonl; one whose values have mixed types becomes JSON text)."""
    import pyarrow as pa

    s = pa.string()
    review = {name: arrow_type(type_) for name, (type_, _) in REVIEW_COLUMNS.items()}
    known = set(schemas()["sentences"].names) | set(review)
    other = {key: None for row in rows for key in row if key not in known}
    for name in other:
        try:
            other[name] = pa.array([row.get(name) for row in rows]).type
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            log.warning("column %r has mixed types; stored as JSON text", name)
            for row in rows:
                if row.get(name) is not None:
                    row[name] = json.dumps(row[name], ensure_ascii=False)
            other[name] = s
    return {**other, **review}


def _check_target(output_dir: Path, target: Path) -> None:
    if target.resolve() == output_dir.resolve():
        raise OutputError("the export directory is the output directory itself", where=str(target),
                          fix="export to another directory (default: OUTPUT_DIR/reviewed)")
    if (target / "manifest.json").exists():
        raise OutputError("the export directory holds a pipeline output (manifest.json)", where=str(target),
                          fix="export to an empty directory or a previous export directory")
    if target.exists() and not target.is_dir():
        raise OutputError("the export path is a file", where=str(target), fix="export to a directory")
    foreign = sorted(p.name for p in target.iterdir() if p.name not in EXPORT_FILES) if target.is_dir() else []
    if foreign:
        raise OutputError(f"the export directory holds other files ({', '.join(foreign[:5])}); the export "
                          "replaces the whole directory", where=str(target),
                          fix="export to an empty directory or a previous export directory")


def _write_files(tmp: Path, corpus: Corpus, rows: list[dict[str, Any]]) -> tuple[str, int]:
    """Parquet, JSONL and TMX of ``rows`` into ``tmp``; returns (parquet fingerprint, TMX row count)."""
    import pyarrow as pa

    signature = {"version": __version__, **(corpus.manifest.get("signature") or {})}
    extra = _extra_fields(rows)
    parquet = ParquetWriter(tmp, signature, extra_fields=extra)
    writers = [parquet, JsonlWriter(tmp, signature, extra_fields=extra)]
    tmx = TmxWriter(tmp, signature, extra_fields={name: extra[name] for name in TMX_PROPS})
    try:
        for writer in writers:
            writer.write(rows, corpus.captions)
        tmx.write([r for r in rows if r["status"] != "rejected"], [])
        for writer in (*writers, tmx):
            writer.close()
    except BaseException as exc:
        for writer in (*writers, tmx):
            try:
                writer.close()
            except Exception:  # noqa: BLE001 - best effort while already failing
                pass
        if isinstance(exc, (pa.ArrowInvalid, pa.ArrowTypeError)):
            raise InputError(f"a corpus row does not fit the corpus schema: {exc}",
                             where=str(corpus.output_dir / CORPUS_FILE),
                             fix="re-run `mt run`; corpus.jsonl was edited or written by another tool") from exc
        raise
    return parquet.fingerprint or "", tmx.n_tu


def _summary(corpus: Corpus, output_dir: Path, rows: list[dict[str, Any]], orphans: int,
             filters: ExportFilters, dropped: Counter) -> dict[str, Any]:
    """The ``review`` block of the export's card and ``export.json`` (counts are of the rows kept)."""
    counts = Counter(r["status"] for r in rows)
    return {"source": corpus.manifest.get("name") or output_dir.resolve().name,
            "exported": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "rows": len(rows), "reviewed": len(rows) - counts["unreviewed"],
            **{status: counts[status] for status in ("accepted", "rejected", "edited", "unreviewed")},
            "stale": sum(r["review_stale"] for r in rows), "orphans": orphans,
            "rows_in_corpus": len(corpus.rows), "filters": filters.describe(),
            "dropped": dict(dropped), "columns": REVIEW_COLUMNS}


def export(output_dir: Path, to: Path | None = None, filters: ExportFilters | None = None) -> Path:
    """Write the reviewed corpus to ``to`` (default ``OUTPUT_DIR/reviewed``); return that directory.
    ``filters`` drop rows (:class:`~mt.review.filters.ExportFilters`); each dropped row is counted
    on the card and in ``export.json`` and listed in ``dropped.jsonl``."""
    output_dir = Path(output_dir)
    filters = filters or ExportFilters()
    corpus = load_corpus(output_dir)
    target = Path(to) if to is not None else output_dir / EXPORT_DIR
    _check_target(output_dir, target)
    db = output_dir / DB_FILE
    decisions = DecisionStore(db, create=False).all() if db.exists() else {}
    rows = reviewed_rows(corpus, decisions)
    filters.check(rows)
    rows, dropped_rows, dropped = filters.split(rows)
    orphans = len(set(decisions) - set(corpus.by_id))
    if orphans:
        log.warning("%d review decision(s) name rows not in %s; not applied", orphans, output_dir)
    review = _summary(corpus, output_dir, rows, orphans, filters, dropped)
    tmp = None
    try:
        tmp = temp_dir(target)
        fingerprint, review["tmx_rows"] = _write_files(tmp, corpus, rows)
        card = dataset_card({**corpus.manifest, "fingerprint": fingerprint}, review=review)
        (tmp / "README.md").write_text(card, encoding="utf-8")
        (tmp / "export.json").write_text(json.dumps({k: v for k, v in review.items() if k != "columns"},
                                                    ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        (tmp / "dropped.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in dropped_rows),
                                           encoding="utf-8")
        replace_dir(tmp, target)
    except OSError as exc:
        raise OutputError(f"cannot write the export: {exc.strerror or exc}", where=str(target),
                          fix="check that the directory is writable and has free space") from exc
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    log.info("exported %d rows (%d reviewed, %d dropped by filters: %s) to %s", len(rows), review["reviewed"],
             len(dropped_rows), dict(dropped) or "none", target)
    return target
