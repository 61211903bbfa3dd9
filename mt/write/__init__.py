"""The write stage: a streaming sink that turns finished documents into a corpus directory.

All files are written into a staging folder inside OUTPUT_DIR and committed by renames through a journal
(:mod:`mt.write.outdir`): a crashed run leaves the previous corpus, or a half-done commit that the next run
finishes; never a half-written file. Only the files mt wrote are replaced: a reviewer's ``review.sqlite``,
``reviewed/`` and anything else in the directory stay where they are, untouched.
"""
from __future__ import annotations

import json
import logging
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..atomic import replace_dir, temp_dir
from ..errors import OutputError
from ..records import Doc
from .card import dataset_card
from .formats import FORMATS
from .filters import RowFilters
from .outdir import CORPUS_KIND, MANIFEST, OutputDir, is_space_error, space_error
from .rows import caption_rows, sentence_rows, set_aside_rows

log = logging.getLogger(__name__)

__all__ = ["CorpusWriter", "FORMATS", "OutputDir", "temp_dir", "replace_dir"]


class Counts:
    """Line and row accounting of a run."""

    def __init__(self) -> None:
        self.docs = 0
        self.lines_in = 0
        self.lines_in_corpus = 0
        self.lines_set_aside = 0
        self.rows_sentences = 0
        self.rows_captions = 0
        self.rows_translated = 0
        self.kinds: Counter[str] = Counter()
        self.set_aside_reasons: Counter[str] = Counter()
        self.relations: Counter[str] = Counter()
        self.flags: Counter[str] = Counter()
        self.problems: list[dict[str, Any]] = []
        self.docs_without_thai: list[str] = []     # pages that gave no Thai corpus row
        self.formats: Counter[str] = Counter()     # documents per input format (as parsed)
        self.filtered: Counter[str] = Counter()    # sentence rows dropped by the [output] filters, by reason

    def as_dict(self) -> dict[str, Any]:
        return {
            "docs": self.docs, "lines_in": self.lines_in, "lines_in_corpus": self.lines_in_corpus,
            "lines_set_aside": self.lines_set_aside, "rows_sentences": self.rows_sentences,
            "rows_captions": self.rows_captions, "rows_translated": self.rows_translated,
            "lines_by_kind": dict(sorted(self.kinds.items())),
            "set_aside_by_kind": dict(sorted(self.set_aside_reasons.items())),
            "vi_lines_by_relation": dict(sorted(self.relations.items())),
            "rows_by_flag": dict(sorted(self.flags.items())),
            "input_problems": len(self.problems),
            "docs_by_format": dict(sorted(self.formats.items())),
            "docs_without_thai": len(self.docs_without_thai),
            "files_without_thai": self.docs_without_thai[:20],
            "rows_filtered_by_reason": dict(sorted(self.filtered.items())),
        }


class CorpusWriter:
    """Stream documents into ``out_dir`` through the configured format writers, atomically.

    ``output`` is the run's :class:`OutputDir` (checked and locked by the caller); without one the writer
    opens and locks ``out_dir`` itself and releases it when it finishes or aborts.
    """

    def __init__(self, out_dir: str | Path, formats: list[str], signature: dict[str, Any],
                 rows_per_shard: int = 50_000, output: OutputDir | None = None, filters: RowFilters | None = None):
        self.out_dir = Path(out_dir)
        self.signature = signature
        self.counts = Counts()
        classes = [FORMATS.get(name) for name in formats]  # unknown names fail before anything is created
        self._own_output = output is None
        self.output = output if output is not None else OutputDir(self.out_dir)
        if self._own_output:
            self.output.open()
        self._closed = False
        self.filters = filters or RowFilters()
        self._filtered: Any = None          # filtered.jsonl, opened at the first dropped row
        self._ids: set[str] = set()
        self.manifest: dict[str, Any] = {}
        try:
            self.tmp = self.output.new_staging()
            self._formats = [cls(self.tmp, signature, rows_per_shard) for cls in classes]
            self._set_aside = open(self.tmp / "set_aside.jsonl", "w", encoding="utf-8")
            self._problems = open(self.tmp / "problems.jsonl", "w", encoding="utf-8")
        except BaseException:
            self.abort()
            raise

    # ------------------------------------------------------------------
    def write(self, doc: Doc) -> None:
        try:
            self._write(doc)
        except OSError as exc:
            raise self._os_error(exc) from exc

    def _write(self, doc: Doc) -> None:
        sentences = sentence_rows(doc)
        captions = caption_rows(doc)
        self._check_ids(doc, sentences + captions)
        sentences, dropped = self._filter(sentences)
        aside = set_aside_rows(doc, sentences, captions, {d["id"]: d["reason"] for d in dropped})
        for fmt in self._formats:
            fmt.write(sentences, captions)
        for row in aside:
            self._set_aside.write(json.dumps(row, ensure_ascii=False) + "\n")
        for p in doc.problems:
            rec = {"doc_id": doc.doc_id, "file": doc.file, **{k: v for k, v in p.items() if k != "all_lines"}}
            self._problems.write(json.dumps(rec, ensure_ascii=False) + "\n")
            self.counts.problems.append(rec)
        c = self.counts
        c.docs += 1
        c.lines_in += len(doc.lines)
        c.lines_set_aside += len(aside)
        c.lines_in_corpus += len(doc.lines) - len(aside)
        c.rows_sentences += len(sentences)
        c.rows_captions += len(captions)
        c.rows_translated += sum(1 for r in sentences if r["en"])
        c.kinds.update(line.kind for line in doc.lines)
        c.set_aside_reasons.update(r["kind"] for r in aside)
        c.relations.update(v.relation for v in doc.vi_lines)
        c.flags.update(f for r in sentences for f in r["flags"])
        c.formats[doc.format + ("" if doc.meta.get("format_from", "suffix") == "suffix" else " (from content)")] += 1
        if not sentences:
            c.docs_without_thai.append(doc.file)

    def _filter(self, sentences: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Apply the ``[output]`` filters; every dropped row goes whole, with its reason, to filtered.jsonl."""
        if not self.filters:
            return sentences, []
        kept, dropped, by_reason = self.filters.split(sentences)
        if dropped:
            if self._filtered is None:
                self._filtered = open(self.tmp / "filtered.jsonl", "w", encoding="utf-8")
            rows = {r["id"]: r for r in sentences}
            for d in dropped:
                self._filtered.write(json.dumps({**rows[d["id"]], "filter_reason": d["reason"]},
                                                ensure_ascii=False) + "\n")
            self.counts.filtered.update(by_reason)
        return kept, dropped

    def _check_ids(self, doc: Doc, rows: list[dict[str, Any]]) -> None:
        """Row ids are unique by construction (doc ids, line, block, unit number); say so loudly if not."""
        for row in rows:
            if row["id"] in self._ids:
                raise OutputError(f"duplicate row id {row['id']!r}; the corpus was not written",
                                  where=f"{doc.file}:{row['line']}",
                                  fix="this is a bug in mt: report it with this input file")
            self._ids.add(row["id"])

    def _os_error(self, exc: OSError) -> OutputError:
        if is_space_error(exc):
            written = sum(p.stat().st_size for p in self.tmp.rglob("*") if p.is_file()) if self.tmp.exists() else 0
            return space_error(exc, self.out_dir, written)
        return OutputError(f"cannot write the corpus: {exc.strerror or exc}",
                           where=str(exc.filename or self.out_dir), fix="check that the output directory is writable")

    def finish(self, manifest: dict[str, Any], after_files: Callable[[Path], Any] | None = None) -> Path:
        """Close every file, write manifest and card, commit the corpus into OUTPUT_DIR.

        ``after_files(OUTPUT_DIR)`` (e.g. the review report) runs after the commit, on the committed files.
        """
        try:
            self._finish_files(manifest)
            self.output.commit(self.tmp)
        except OSError as exc:
            raise self._os_error(exc) from exc
        self._closed = True
        try:
            if after_files is not None:
                after_files(self.out_dir)
        finally:
            if self._own_output:
                self.output.close()
        return self.out_dir

    def _finish_files(self, manifest: dict[str, Any]) -> None:
        for fmt in self._formats:
            fmt.close()
        self._set_aside.close()
        self._problems.close()
        if self._filtered is not None:
            self._filtered.close()
        manifest = {"kind": CORPUS_KIND, **manifest, "counts": self.counts.as_dict(), "signature": self.signature}
        fingerprints = [f.fingerprint for f in self._formats if getattr(f, "fingerprint", None)]
        if fingerprints:
            manifest["fingerprint"] = fingerprints[0]
        (self.tmp / "README.md").write_text(dataset_card(manifest), encoding="utf-8")
        staged = sorted(p.relative_to(self.tmp).as_posix() for p in self.tmp.rglob("*") if p.is_file())
        manifest["files"] = sorted({*staged, MANIFEST})
        self.manifest = manifest
        (self.tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    def abort(self) -> None:
        """Remove this run's staging folder (best effort: also on a full disk); the previous corpus stays."""
        if self._closed:
            return
        self._closed = True
        for handle in (*getattr(self, "_formats", ()), getattr(self, "_set_aside", None),
                       getattr(self, "_problems", None), getattr(self, "_filtered", None)):
            try:
                if handle is not None:
                    handle.close()
            except Exception:  # noqa: BLE001 - best effort while already failing (e.g. ENOSPC on flush)
                pass
        if getattr(self, "tmp", None) is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
        if self._own_output:
            self.output.close()
