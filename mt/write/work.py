"""The work folder of a run inside OUTPUT_DIR: finished shards' parts and their completion markers.

``OUTPUT_DIR/.mt-work-<run digest>/``::

    parts/<shard id>/      the shard's part of the corpus (every format, set-aside, problems), complete
    parts/.tmp-*/          a part being written (renamed to parts/<shard id>/ when complete)
    done/<shard id>.json   the shard's marker: what it held (digest), its counts, step stats, engine
                           counters and signature; written after its part, so a marker means a whole part

A re-run with the same inputs and config (same run digest) skips the shards that have a marker whose digest
matches, and redoes the others; a run with another digest, or ``--force``, starts a new work folder (the
old ones are removed: they cannot be resumed by it). When the corpus is committed the work folder goes.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..atomic import write_text_atomic
from ..errors import OutputError
from .outdir import WORK_PREFIX

log = logging.getLogger(__name__)


class WorkDir:
    """One run's work folder (see the module docstring); cheap to rebuild from its path in any process."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.parts = self.root / "parts"
        self.done = self.root / "done"

    @classmethod
    def prepare(cls, out_dir: str | Path, digest: str, force: bool = False) -> "WorkDir":
        """The work folder of the run with ``digest`` in ``out_dir`` (the caller holds its lock): other runs'
        work folders removed, this one emptied when ``force``, its unfinished parts removed."""
        out = Path(out_dir)
        work = cls(out / f"{WORK_PREFIX}{digest[:16]}")
        for p in out.glob(f"{WORK_PREFIX}*"):
            if p.is_dir() and (p != work.root or force):
                log.info("removing %s (%s)", p, "--force" if p == work.root else "work of another run")
                shutil.rmtree(p, ignore_errors=True)
        try:
            work.parts.mkdir(parents=True, exist_ok=True)
            work.done.mkdir(exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create the work folder: {exc.strerror}", where=str(work.root),
                              fix="check that the output directory is writable and has free space") from None
        for tmp in work.parts.glob(".tmp-*"):
            shutil.rmtree(tmp, ignore_errors=True)
        return work

    def marker(self, shard: Any) -> dict[str, Any] | None:
        """The marker of ``shard`` when it finished (and held what it holds now), else None."""
        try:
            data = json.loads((self.done / f"{shard.id}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if data.get("digest") != shard.digest() or not (self.parts / shard.id).is_dir():
            return None
        return data

    def docs_done(self) -> int:
        """Documents of the shards already marked done (for a progress total)."""
        total = 0
        for path in self.done.glob("*.json"):
            try:
                total += int(json.loads(path.read_text(encoding="utf-8")).get("docs", 0))
            except (OSError, ValueError):
                continue
        return total

    def new_part(self) -> Path:
        """An empty folder for a part being written."""
        tmp = self.parts / f".tmp-{uuid.uuid4().hex[:12]}"
        tmp.mkdir(parents=True)
        return tmp

    def finish(self, end: Any, tmp: Path) -> dict[str, Any]:
        """Make ``tmp`` the part of ``end``'s shard and write its marker (last); returns the marker."""
        shard = end.shard
        report = {"shard": shard.id, "digest": shard.digest(), "inputs": shard.describe(), "docs": end.docs,
                  "counts": end.counts, "steps": end.steps, "engine": end.engine, "signature": end.signature}
        part = self.parts / shard.id
        if part.exists():              # a retried task, or a part whose marker was never written
            shutil.rmtree(part)
        os.replace(tmp, part)
        write_text_atomic(self.done / f"{shard.id}.json", json.dumps(report, ensure_ascii=False, sort_keys=True))
        return report

    def markers(self, ids: list[str]) -> Iterator[dict[str, Any]]:
        """The markers of shards ``ids``, in that order (every one must exist)."""
        for shard_id in ids:
            path = self.done / f"{shard_id}.json"
            try:
                yield json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise OutputError(f"shard {shard_id} has no readable completion marker ({exc})", where=str(path),
                                  fix="re-run the same command: unfinished shards are redone") from None

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
