"""The write stage: a streaming sink that turns finished documents into a corpus directory.

All files are written into a temporary sibling directory; only when every file
is complete is it renamed into place (the previous corpus, if any, is removed
after the swap). A crashed run therefore never leaves a half-written corpus
that looks complete: ``OUTPUT_DIR`` is either the previous corpus or the new one.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from ..errors import OutputError
from ..records import Doc
from .card import dataset_card
from .formats import FORMATS
from .rows import caption_rows, sentence_rows, set_aside_rows

log = logging.getLogger(__name__)

__all__ = ["CorpusWriter", "FORMATS", "temp_dir", "replace_dir"]


def temp_dir(out_dir: Path) -> Path:
    """A new hidden directory next to ``out_dir`` (same file system, so :func:`replace_dir` is a rename)."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    return tmp


def replace_dir(tmp: Path, out_dir: Path) -> None:
    """Move the finished ``tmp`` to ``out_dir``; the previous ``out_dir``, if any, is removed after the swap."""
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{uuid.uuid4().hex[:8]}")
        os.replace(out_dir, old)
    os.replace(tmp, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


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
        }


class CorpusWriter:
    """Stream documents into ``out_dir`` through the configured format writers, atomically."""

    def __init__(self, out_dir: str | Path, formats: list[str], signature: dict[str, Any],
                 rows_per_shard: int = 50_000):
        self.out_dir = Path(out_dir)
        self.signature = signature
        self.counts = Counts()
        classes = [FORMATS.get(name) for name in formats]  # unknown names fail before anything is created
        try:
            self.tmp = temp_dir(self.out_dir)
        except OSError as exc:
            raise OutputError(f"cannot create the output directory: {exc.strerror}", where=str(self.out_dir),
                              fix="choose a writable --output directory") from None
        self._formats = [cls(self.tmp, signature, rows_per_shard) for cls in classes]
        self._set_aside = open(self.tmp / "set_aside.jsonl", "w", encoding="utf-8")
        self._problems = open(self.tmp / "problems.jsonl", "w", encoding="utf-8")
        self._closed = False
        self.manifest: dict[str, Any] = {}

    # ------------------------------------------------------------------
    def write(self, doc: Doc) -> None:
        sentences = sentence_rows(doc)
        captions = caption_rows(doc)
        aside = set_aside_rows(doc, sentences, captions)
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

    def finish(self, manifest: dict[str, Any], after_files: Any = None) -> Path:
        """Close every file, write manifest and card, then move the corpus into place."""
        for fmt in self._formats:
            fmt.close()
        self._set_aside.close()
        self._problems.close()
        manifest = {**manifest, "counts": self.counts.as_dict(), "signature": self.signature}
        fingerprints = [f.fingerprint for f in self._formats if getattr(f, "fingerprint", None)]
        if fingerprints:
            manifest["fingerprint"] = fingerprints[0]
        self.manifest = manifest
        (self.tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        (self.tmp / "README.md").write_text(dataset_card(manifest), encoding="utf-8")
        if self.out_dir.is_dir():  # a re-run keeps the reviewers' decisions on the previous corpus
            from ..review.store import preserve_decisions

            preserve_decisions(self.out_dir, self.tmp)
        if after_files is not None:
            after_files(self.tmp)  # e.g. the review report, built from the finished files
        replace_dir(self.tmp, self.out_dir)
        self._closed = True
        return self.out_dir

    def abort(self) -> None:
        if self._closed:
            return
        for fmt in self._formats:
            try:
                fmt.close()
            except Exception:  # noqa: BLE001 - best effort while already failing
                pass
        self._set_aside.close()
        self._problems.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        self._closed = True
