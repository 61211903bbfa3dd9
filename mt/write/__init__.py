"""The write stage: finished documents -> corpus files.

A shard's documents go through a :class:`PartWriter` into the shard's own folder (every format, set-aside
and problems, and the shard's counts); :func:`assemble` joins the parts of a run, in shard order, into a
staging folder with the manifest and card (Parquet files are moved, text formats streamed one after the other:
no row passes through the process that assembles), and :class:`~mt.write.outdir.OutputDir` commits that by
renames through a journal: a crashed run leaves the previous corpus, or a half-done commit that the next run
finishes; never a half-written file. Only the files mt wrote are replaced: a reviewer's ``review.sqlite``,
``reviewed/`` and anything else in the directory stay where they are, untouched. :class:`CorpusWriter` is the
one-part form of the same (documents in, a committed corpus out), for callers without shards.
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
from .formats import FORMATS, concat
from .filters import RowFilters
from .outdir import CORPUS_KIND, MANIFEST, OutputDir, is_space_error, space_error
from .rows import caption_rows, sentence_rows, set_aside_rows

log = logging.getLogger(__name__)

__all__ = ["CorpusWriter", "FORMATS", "OutputDir", "PartWriter", "add_counts", "assemble", "temp_dir", "replace_dir"]

#: files every part has besides its formats' (``filtered.jsonl`` only when the filters dropped a row)
SIDE_FILES = ("set_aside.jsonl", "problems.jsonl", "filtered.jsonl")
FIRST_NAMES = 20      # names of pages without Thai kept in the counts


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
        """The counts as the manifest shows them (and a shard's marker keeps them: see :func:`add_counts`)."""
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
            "files_without_thai": self.docs_without_thai[:FIRST_NAMES],
            "rows_filtered_by_reason": dict(sorted(self.filtered.items())),
        }


def add_counts(total: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
    """Add a part's counts (:meth:`Counts.as_dict`) into ``total``: numbers and counters summed, the list of
    pages without Thai joined (its first names kept)."""
    for key, value in part.items():
        if isinstance(value, dict):
            into = total.setdefault(key, {})
            for k, v in value.items():
                into[k] = into.get(k, 0) + v
            total[key] = dict(sorted(into.items()))
        elif isinstance(value, list):
            total[key] = (total.get(key, []) + value)[:FIRST_NAMES]
        else:
            total[key] = total.get(key, 0) + value
    return total


class PartWriter:
    """Stream documents into ``directory`` (one shard's part of the corpus) through the configured formats.

    ``close()`` closes every file and returns the part's counts; ``abort()`` closes them and leaves the
    folder to its owner (who removes it).
    """

    def __init__(self, directory: Path, formats: list[str], signature: dict[str, Any], rows_per_shard: int = 50_000,
                 filters: RowFilters | None = None):
        self.dir = Path(directory)
        self.signature = signature
        self.counts = Counts()
        classes = [FORMATS.get(name) for name in formats]  # unknown names fail before anything is created
        self.filters = filters or RowFilters()
        self._filtered: Any = None          # filtered.jsonl, opened at the first dropped row
        self._ids: set[str] = set()
        self._formats: list[Any] = []
        self._set_aside = self._problems = None
        try:
            self._formats = [cls(self.dir, signature, rows_per_shard, part=True) for cls in classes]
            self._set_aside = open(self.dir / "set_aside.jsonl", "w", encoding="utf-8")
            self._problems = open(self.dir / "problems.jsonl", "w", encoding="utf-8")
        except BaseException:
            self.abort()
            raise

    def write(self, doc: Doc) -> None:
        try:
            self._write(doc)
        except OSError as exc:
            raise os_error(exc, self.dir) from exc

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
                self._filtered = open(self.dir / "filtered.jsonl", "w", encoding="utf-8")
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

    def close(self) -> dict[str, Any]:
        """Close every file; the part's counts."""
        try:
            for handle in (*self._formats, self._set_aside, self._problems, self._filtered):
                if handle is not None:
                    handle.close()
        except OSError as exc:
            raise os_error(exc, self.dir) from exc
        return self.counts.as_dict()

    def abort(self) -> None:
        """Close what is open, best effort (also on a full disk)."""
        for handle in (*self._formats, self._set_aside, self._problems, self._filtered):
            try:
                if handle is not None:
                    handle.close()
            except Exception:  # noqa: BLE001 - best effort while already failing (e.g. ENOSPC on flush)
                pass


def os_error(exc: OSError, directory: Path) -> OutputError:
    """A write error as the OutputError a run reports (a full disk: with what was written and what is free)."""
    if is_space_error(exc):
        written = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) if directory.exists() else 0
        return space_error(exc, directory, written)
    return OutputError(f"cannot write the corpus: {exc.strerror or exc}",
                       where=str(exc.filename or directory), fix="check that the output directory is writable")


def assemble(parts: list[Path], staging: Path, formats: list[str], manifest: dict[str, Any],
             also_files: list[str] = ()) -> dict[str, Any]:
    """Join ``parts`` (shard folders, in corpus order) into ``staging``: every format, set-aside, problems and
    filtered rows, then the card and the manifest (``manifest`` holds the summed ``counts`` and the
    ``signature``; its ``files`` list is what was staged, and ``also_files``: files already in place, e.g.
    Parquet moved inside an object store). Returns the manifest as written."""
    manifest = {"kind": CORPUS_KIND, **manifest}
    for cls in (FORMATS.get(name) for name in formats):
        manifest.update(cls.merge(parts, staging, manifest.get("signature", {})))
    for name in SIDE_FILES:
        found = [p / name for p in parts if (p / name).exists()]
        if found:
            concat(found, staging / name)
        elif name != "filtered.jsonl":
            (staging / name).touch()
    (staging / "README.md").write_text(dataset_card(manifest), encoding="utf-8")
    staged = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
    manifest["files"] = sorted({*staged, *also_files, MANIFEST})
    (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


class CorpusWriter:
    """Documents in, a committed corpus out: one :class:`PartWriter` in a staging folder of ``out_dir``,
    assembled and committed by :meth:`finish` (for callers without shards: tests, notebooks, tools).

    ``output`` is an :class:`OutputDir` the caller holds (checked and locked); without one the writer opens
    and locks ``out_dir`` itself and releases it when it finishes or aborts.
    """

    def __init__(self, out_dir: str | Path, formats: list[str], signature: dict[str, Any],
                 rows_per_shard: int = 50_000, output: OutputDir | None = None, filters: RowFilters | None = None):
        self.out_dir = Path(out_dir)
        self.formats = list(formats)
        self.signature = signature
        self._own_output = output is None
        self.output = output if output is not None else OutputDir(self.out_dir)
        if self._own_output:
            self.output.open()
        self._closed = False
        self.manifest: dict[str, Any] = {}
        self.tmp: Path | None = None
        try:
            self.tmp = self.output.new_staging()
            (self.tmp / ".part").mkdir()
            self.part = PartWriter(self.tmp / ".part", formats, signature, rows_per_shard, filters)
        except BaseException:
            self.abort()
            raise

    @property
    def counts(self) -> Counts:
        return self.part.counts

    def write(self, doc: Doc) -> None:
        self.part.write(doc)

    def finish(self, manifest: dict[str, Any], after_files: Callable[[Path], Any] | None = None) -> Path:
        """Close every file, write manifest and card, commit the corpus into OUTPUT_DIR.

        ``after_files(OUTPUT_DIR)`` (e.g. the review report) runs after the commit, on the committed files.
        """
        counts = self.part.close()
        try:
            self.manifest = assemble([self.tmp / ".part"], self.tmp, self.formats,
                                     {**manifest, "counts": counts, "signature": self.signature})
            shutil.rmtree(self.tmp / ".part")
            self.output.commit(self.tmp)
        except OSError as exc:
            raise os_error(exc, self.tmp) from exc
        self._closed = True
        try:
            if after_files is not None:
                after_files(self.out_dir)
        finally:
            if self._own_output:
                self.output.close()
        return self.out_dir

    def abort(self) -> None:
        """Remove this run's staging folder (best effort: also on a full disk); the previous corpus stays."""
        if self._closed:
            return
        self._closed = True
        if getattr(self, "part", None) is not None:
            self.part.abort()
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
        if self._own_output:
            self.output.close()
