"""The work folder of a run inside OUTPUT_DIR: finished shards' parts and their completion markers.

``OUTPUT_DIR/.mt-work-<run digest>/``::

    parts/<shard id>/      the shard's part of the corpus (every format, set-aside, problems), complete
    parts/.tmp-*/          a part being written (renamed to parts/<shard id>/ when complete; local only)
    done/<shard id>.json   the shard's marker: what it held (digest), its counts, step stats, engine
                           counters and signature; written after its part, so a marker means a whole part

A re-run with the same inputs and config (same run digest) skips the shards that have a marker whose digest
matches, and redoes the others; a run with another digest, or ``--force``, starts a new work folder (the
old ones are removed: they cannot be resumed by it). When the corpus is committed the work folder goes.

OUTPUT_DIR may be an fsspec URL (``s3://``, ``gs://``, ``memory://``): a part is then written in a local
temporary folder and uploaded to ``parts/<shard id>/``, its marker (one object, written whole) last.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..atomic import write_text_atomic
from ..errors import OutputError
from ..urls import is_url, url_fs
from .outdir import WORK_PREFIX

log = logging.getLogger(__name__)


class WorkDir:
    """One run's work folder (see the module docstring); cheap to rebuild from its path in any process."""

    def __init__(self, root: str | Path):
        self.url = str(root)
        self.remote = is_url(root)
        self.fs, base = url_fs(self.url) if self.remote else (None, str(root))
        self.root = Path(base) if not self.remote else base
        self.parts = self._join("parts")
        self.done = self._join("done")

    def _join(self, *names: str) -> Any:
        return self.root.joinpath(*names) if not self.remote else "/".join([self.root, *names])

    @classmethod
    def at(cls, out_dir: str | Path, digest: str) -> "WorkDir":
        """The work folder of the run with ``digest`` in ``out_dir`` (absolute: Ray workers need not share the
        driver's working directory)."""
        name = f"{WORK_PREFIX}{digest[:16]}"
        return cls(f"{str(out_dir).rstrip('/')}/{name}" if is_url(out_dir) else Path(out_dir).resolve() / name)

    @classmethod
    def prepare(cls, out_dir: str | Path, digest: str, force: bool = False) -> "WorkDir":
        """The work folder of the run with ``digest`` in ``out_dir`` (the caller holds its lock): other runs'
        work folders removed, this one emptied when ``force``, its unfinished parts removed."""
        work = cls.at(out_dir, digest)
        try:
            work._prepare(force)
        except OSError as exc:
            raise OutputError(f"cannot create the work folder: {exc.strerror or exc}", where=work.url,
                              fix="check that the output directory is writable and has free space") from None
        return work

    def _prepare(self, force: bool) -> None:
        for p in self._siblings():
            if p != str(self.root) or force:
                log.info("removing %s (%s)", p, "--force" if p == str(self.root) else "work of another run")
                self._rm(p)
        if self.remote:
            return
        self.parts.mkdir(parents=True, exist_ok=True)
        self.done.mkdir(exist_ok=True)
        for tmp in self.parts.glob(".tmp-*"):
            shutil.rmtree(tmp, ignore_errors=True)

    def _siblings(self) -> list[str]:
        """Work folders in OUTPUT_DIR (this one included when it exists)."""
        if not self.remote:
            return [str(p) for p in self.root.parent.glob(f"{WORK_PREFIX}*") if p.is_dir()]
        parent = self.root.rsplit("/", 1)[0]
        names = self.fs.ls(parent, detail=False) if self.fs.exists(parent) else []
        return [n.rstrip("/") for n in names if n.rstrip("/").rsplit("/", 1)[-1].startswith(WORK_PREFIX)]

    def _rm(self, path: Any) -> None:
        if self.remote:
            if self.fs.exists(path):
                self.fs.rm(path, recursive=True)
        else:
            shutil.rmtree(path, ignore_errors=True)

    def _read(self, path: Any) -> str:
        return self.fs.cat(path).decode("utf-8") if self.remote else Path(path).read_text(encoding="utf-8")

    def marker(self, shard: Any) -> dict[str, Any] | None:
        """The marker of ``shard`` when it finished (and held what it holds now), else None."""
        try:
            data = json.loads(self._read(self._join("done", f"{shard.id}.json")))
        except (OSError, ValueError):     # FileNotFoundError included
            return None
        part = self._join("parts", shard.id)
        exists = self.fs.exists(part) if self.remote else Path(part).is_dir()
        return data if data.get("digest") == shard.digest() and exists else None

    def any_done(self) -> bool:
        """True when a shard is marked done (a re-run resumes from it)."""
        found = self.fs.glob(f"{self.done}/*.json") if self.remote else self.done.glob("*.json")
        return any(True for _ in found)

    def docs_done(self) -> int:
        """Documents of the shards already marked done (for a progress total)."""
        paths = self.fs.glob(f"{self.done}/*.json") if self.remote else self.done.glob("*.json")
        total = 0
        for path in paths:
            try:
                total += int(json.loads(self._read(path)).get("docs", 0))
            except (OSError, ValueError):
                continue
        return total

    def new_part(self) -> Path:
        """An empty local folder for a part being written."""
        if self.remote:
            return Path(tempfile.mkdtemp(prefix="mt-part-"))
        tmp = self.parts / f".tmp-{uuid.uuid4().hex[:12]}"
        tmp.mkdir(parents=True)
        return tmp

    def finish(self, end: Any, tmp: Path) -> dict[str, Any]:
        """Make ``tmp`` the part of ``end``'s shard and write its marker (last); returns the marker."""
        shard = end.shard
        report = {"shard": shard.id, "digest": shard.digest(), "inputs": shard.describe(), "docs": end.docs,
                  "counts": end.counts, "steps": end.steps, "engine": end.engine, "signature": end.signature}
        text = json.dumps(report, ensure_ascii=False, sort_keys=True)
        part = self._join("parts", shard.id)
        self._rm(part)                  # a retried task, or a part whose marker was never written
        if self.remote:
            self.fs.put(f"{tmp}/", f"{part}/", recursive=True)
            shutil.rmtree(tmp, ignore_errors=True)
            self.fs.pipe(self._join("done", f"{shard.id}.json"), text.encode("utf-8"))
        else:
            os.replace(tmp, part)
            write_text_atomic(self._join("done", f"{shard.id}.json"), text)
        return report

    def markers(self, ids: list[str]) -> Iterator[dict[str, Any]]:
        """The markers of shards ``ids``, in that order (every one must exist)."""
        for shard_id in ids:
            path = self._join("done", f"{shard_id}.json")
            try:
                yield json.loads(self._read(path))
            except (OSError, ValueError) as exc:
                raise OutputError(f"shard {shard_id} has no readable completion marker ({exc})", where=str(path),
                                  fix="re-run the same command: unfinished shards are redone") from None

    def part_paths(self, ids: list[str]) -> list[Any]:
        return [self._join("parts", i) for i in ids]

    def remove(self) -> None:
        self._rm(self.root)
