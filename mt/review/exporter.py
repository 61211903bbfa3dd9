"""Export the reviewed corpus: the corpus rows with the reviewers' decisions applied.

``DIR`` (default ``OUTPUT_DIR/reviewed/``) gets

* ``README.md`` + ``data/sentences-00000-of-00001.parquet`` (+ ``data/captions-...``):
  a Hugging Face dataset (``datasets.load_dataset(DIR)`` loads the sentences);
* ``corpus.jsonl``: the same rows as JSON lines;
* ``corpus.tmx``: TMX 1.4b translation memory of the rows that were not rejected and have English.

Every sentences row keeps its fields and gains ``status`` (unreviewed / accepted /
rejected / edited), ``edited`` (bool), ``en_original`` (the machine English),
``review_flags``, ``reviewed_at`` and ``review_stale``; ``en`` is the reviewer's text where edited.
The OUTPUT_DIR files (and review.sqlite) are only read.
"""
from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable
from xml.sax.saxutils import escape, quoteattr

from .. import __version__
from ..errors import OutputError
from .corpus import Corpus, load_corpus
from .flags import row_flags
from .store import DB_FILE, Decision, DecisionStore

log = logging.getLogger(__name__)

EXPORT_DIR = "reviewed"
SENTENCES_FILE = "data/sentences-00000-of-00001.parquet"
CAPTIONS_FILE = "data/captions-00000-of-00001.parquet"
FIRST_COLUMNS = ("id", "doc_id", "file", "line", "start", "end", "kind", "th", "en", "en_original",
                 "status", "edited", "vi")
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def reviewed_rows(corpus: Corpus, decisions: dict[str, Decision]) -> list[dict[str, Any]]:
    """Corpus rows with the decisions applied (see the module docstring)."""
    out = []
    for row in corpus.rows:
        decision = decisions.get(row["id"])
        status = decision.status if decision else "unreviewed"
        en_original = row.get("en")
        new = {key: row.get(key) for key in FIRST_COLUMNS if key in row or key in ("en", "vi")}
        new["en_original"] = en_original
        new["status"] = status
        new["edited"] = status == "edited"
        if status == "edited" and decision is not None:
            new["en"] = decision.edited
        for key, value in row.items():
            if key not in new:
                new[key] = value
        new["review_flags"] = row_flags(row)
        new["reviewed_at"] = decision.at if decision else None
        new["review_stale"] = bool(decision and decision.stale(row))
        ordered = {k: new[k] for k in FIRST_COLUMNS if k in new}
        ordered.update((k, v) for k, v in new.items() if k not in ordered)
        out.append(ordered)
    return out


def _arrow_table(rows: list[dict[str, Any]]):
    """Arrow table of ``rows``; columns are the union of keys over all rows. A column
    whose values have mixed types is stored as JSON text rather than failing."""
    import pyarrow as pa

    columns: dict[str, None] = {}
    for row in rows:
        for key in row:
            columns.setdefault(key, None)
    arrays = {}
    for name in columns:
        values = [row.get(name) for row in rows]
        try:
            arrays[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            log.warning("column %r has mixed types; stored as JSON text", name)
            arrays[name] = pa.array([None if v is None else json.dumps(v, ensure_ascii=False) for v in values],
                                    type=pa.string())
    return pa.table(arrays)


def _replace(target: Path, write) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_parquet(rows: list[dict[str, Any]], target: Path) -> None:
    import pyarrow.parquet as pq

    table = _arrow_table(rows)
    _replace(target, lambda tmp: pq.write_table(table, tmp))


def _write_jsonl(rows: Iterable[dict[str, Any]], target: Path) -> None:
    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")

    _replace(target, write)


def _xml_text(value: Any) -> str:
    return escape(_XML_BAD.sub("", str(value)))


def _xml_attr(value: Any) -> str:
    return quoteattr(_XML_BAD.sub("", str(value)))


def _write_tmx(rows: list[dict[str, Any]], target: Path, created: datetime) -> int:
    """TMX 1.4b of the rows that were not rejected and have English; returns the count."""
    kept = [r for r in rows if r["status"] != "rejected" and isinstance(r.get("en"), str) and r["en"].strip()
            and isinstance(r.get("th"), str) and r["th"].strip()]

    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8") as out:
            out.write('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE tmx SYSTEM "tmx14.dtd">\n'
                      '<tmx version="1.4">\n')
            out.write(f'  <header creationtool="mt" creationtoolversion={_xml_attr(__version__)} '
                      'datatype="plaintext" segtype="sentence" adminlang="en" srclang="th" '
                      f'o-tmf="mt-jsonl" creationdate="{created.strftime("%Y%m%dT%H%M%SZ")}"/>\n')
            out.write("  <body>\n")
            for row in kept:
                out.write(f"    <tu tuid={_xml_attr(row['id'])}>\n")
                for prop in ("status", "doc_id", "kind", "source_url"):
                    if row.get(prop) not in (None, ""):
                        out.write(f"      <prop type={_xml_attr('x-' + prop)}>{_xml_text(row[prop])}</prop>\n")
                out.write(f'      <tuv xml:lang="th"><seg>{_xml_text(row["th"])}</seg></tuv>\n')
                out.write(f'      <tuv xml:lang="en"><seg>{_xml_text(row["en"])}</seg></tuv>\n')
                if isinstance(row.get("vi"), str) and row["vi"].strip():
                    out.write(f'      <tuv xml:lang="vi"><seg>{_xml_text(row["vi"])}</seg></tuv>\n')
                out.write("    </tu>\n")
            out.write("  </body>\n</tmx>\n")

    _replace(target, write)
    return len(kept)


def _card(corpus: Corpus, counts: Counter, n_rows: int, n_captions: int, n_tmx: int,
          orphans: int, created: datetime) -> str:
    reviewed = n_rows - counts["unreviewed"]
    yaml = ["---", "language:", "- th", "- en", "- vi", "task_categories:", "- translation",
            "pretty_name: mt reviewed Thai-English-Vietnamese corpus", "configs:",
            "- config_name: sentences", "  default: true", "  data_files:", "  - split: train",
            "    path: data/sentences-*.parquet"]
    if n_captions:
        yaml += ["- config_name: captions", "  data_files:", "  - split: train", "    path: data/captions-*.parquet"]
    yaml.append("---")
    source = corpus.manifest.get("name") or corpus.output_dir.resolve().name
    lines = [
        "", "# Reviewed Thai-English-Vietnamese corpus", "",
        f"Exported by `mt review export` (mt {__version__}) on {created.isoformat(timespec='seconds')} "
        f"from the output directory `{source}`.", "",
        "## Review status", "",
        "| | rows |", "|---|---:|",
        f"| total | {n_rows} |",
        f"| reviewed | {reviewed} |",
        f"| accepted | {counts['accepted']} |",
        f"| rejected | {counts['rejected']} |",
        f"| edited | {counts['edited']} |",
        f"| unreviewed | {counts['unreviewed']} |", "",
    ]
    if counts["stale"]:
        lines += [f"{counts['stale']} decision(s) were made on a different Thai or English text than the "
                  "corpus now holds (the pipeline was re-run after the review); those rows have "
                  "`review_stale` = true and deserve another look.", ""]
    if orphans:
        lines += [f"{orphans} decision(s) in review.sqlite name rows that are no longer in the corpus "
                  "and were not applied.", ""]
    lines += [
        "## Files", "",
        "* `data/sentences-*.parquet` (config `sentences`, default) and `corpus.jsonl`: one row per Thai "
        "translation unit, every row of the corpus whatever its review status.",
        *(["* `data/captions-*.parquet` (config `captions`): Vietnamese caption lines and their "
           "Thai counterparts, as produced by the pipeline (not reviewed)."] if n_captions else []),
        f"* `corpus.tmx`: TMX 1.4b with the {n_tmx} rows that were not rejected and have English "
        "(th, en, and vi where aligned).", "",
        "## Columns added by the review", "",
        "* `status`: `unreviewed`, `accepted`, `rejected` or `edited`.",
        "* `edited`: true when a reviewer rewrote the English; `en` then holds the reviewer's text "
        "and `en_original` the machine translation.",
        "* `review_flags`: automatic checks (untranslated, copied, thai_in_en, degenerate, artefact, "
        "number_mismatch, latin_missing, length_ratio, low_align, upstream_flag).",
        "* `reviewed_at`: time of the last decision (UTC).",
        "* `review_stale`: the decision was made on a different Thai or English text (pipeline re-run since).", "",
        "## Usage", "",
        "```python", "from datasets import load_dataset",
        "ds = load_dataset(\"path/to/this/directory\")[\"train\"]",
        "clean = ds.filter(lambda r: r[\"status\"] != \"rejected\")", "```", "",
        "English is machine translation from the Thai unless `edited` is true; rows with status "
        "`unreviewed` have not been checked by a person.", "",
    ]
    return "\n".join(yaml + lines)


def export(output_dir: Path, to: Path | None = None) -> Path:
    """Write the reviewed corpus to ``to`` (default ``OUTPUT_DIR/reviewed``); return that directory."""
    output_dir = Path(output_dir)
    corpus = load_corpus(output_dir)
    target = Path(to) if to is not None else output_dir / EXPORT_DIR
    if target.resolve() == output_dir.resolve():
        raise OutputError("the export directory is the output directory itself", where=str(target),
                          fix="export to another directory (default: OUTPUT_DIR/reviewed)")
    if (target / "manifest.json").exists():
        raise OutputError("the export directory holds a pipeline output (manifest.json)", where=str(target),
                          fix="export to an empty directory or a previous export directory")
    db = output_dir / DB_FILE
    decisions = DecisionStore(db, create=False).all() if db.exists() else {}
    rows = reviewed_rows(corpus, decisions)
    orphans = len(set(decisions) - set(corpus.by_id))
    if orphans:
        log.warning("%d review decision(s) name rows not in %s; not applied", orphans, output_dir)
    counts = Counter(r["status"] for r in rows)
    counts["stale"] = sum(r["review_stale"] for r in rows)
    created = datetime.now(timezone.utc)
    try:
        target.mkdir(parents=True, exist_ok=True)
        for stale in list((target / "data").glob("sentences-*.parquet")) + list((target / "data").glob("captions-*.parquet")):
            stale.unlink()
        _write_parquet(rows, target / SENTENCES_FILE)
        if corpus.captions:
            _write_parquet(corpus.captions, target / CAPTIONS_FILE)
        _write_jsonl(rows, target / "corpus.jsonl")
        n_tmx = _write_tmx(rows, target / "corpus.tmx", created)
        card = _card(corpus, counts, len(rows), len(corpus.captions), n_tmx, orphans, created)
        _replace(target / "README.md", lambda tmp: tmp.write_text(card, encoding="utf-8"))
    except OSError as exc:
        raise OutputError(f"cannot write the export: {exc.strerror or exc}", where=str(target),
                          fix="check that the directory is writable and has free space") from exc
    log.info("exported %d rows (%d reviewed) to %s", len(rows), len(rows) - counts["unreviewed"], target)
    return target
