"""OUTPUT_DIR as an fsspec URL (``s3://bucket/corpus``, ``gs://...``; ``memory://`` in tests).

The same rules as a local OUTPUT_DIR where an object store allows them: mt writes only into an empty prefix or
one whose ``manifest.json`` says it is an mt corpus, and replaces only the files the previous manifest lists.
Workers upload each shard's part and then its marker (:mod:`mt.write.work`); the corpus is assembled by
moves inside the store for the Parquet files (no bytes through the driver) and by streaming for the text
formats (written with the card in a local staging folder, then uploaded), the manifest last: a reader that
finds the manifest finds every file it lists. Object stores have no lock: run one `mt run` per URL at a time.
"""
from __future__ import annotations

import json
import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ..errors import OutputError
from .outdir import CORPUS_KIND, MANIFEST, WORK_PREFIX, OutputDir
from ..urls import is_url, url_fs
from .work import WorkDir

log = logging.getLogger(__name__)


def open_output(out_dir: str, inputs: list[str]) -> Any:
    """The run's output: an :class:`~mt.write.outdir.OutputDir` (local) or a :class:`RemoteOutput` (a URL)."""
    return RemoteOutput(out_dir) if is_url(out_dir) else OutputDir(out_dir, inputs=inputs)


def read_manifest_at(out_dir: str) -> dict[str, Any] | None:
    """The manifest of a local folder or URL, or None."""
    try:
        if is_url(out_dir):
            fs, root = url_fs(out_dir)
            data = json.loads(fs.cat(f"{root.rstrip('/')}/{MANIFEST}"))
        else:
            data = json.loads((Path(out_dir) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


class RemoteOutput:
    """A URL OUTPUT_DIR while one run writes it (see the module docstring)."""

    remote = True

    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self.fs, root = url_fs(self.url)
        self.root = root.rstrip("/")

    @property
    def path(self) -> str:
        return self.url

    def __enter__(self) -> "RemoteOutput":
        self.open()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def open(self) -> None:
        names = [p.rstrip("/").rsplit("/", 1)[-1] for p in self.fs.ls(self.root, detail=False)] \
            if self.fs.exists(self.root) else []
        manifest = read_manifest_at(self.url)
        mine = manifest is not None and manifest.get("kind") == CORPUS_KIND
        if names and not mine and not all(n.startswith(WORK_PREFIX) for n in names):
            raise OutputError(f"the output URL holds files that mt did not write ({', '.join(sorted(names)[:5])})",
                              where=self.url, fix="choose an empty prefix, or the URL of a previous mt corpus")
        log.warning("%s: object stores have no lock; do not run two mt runs on this URL at once", self.url)

    def close(self) -> None:
        """Nothing is held."""

    def new_staging(self) -> Path:
        return Path(tempfile.mkdtemp(prefix="mt-staging-"))

    def commit(self, staging: Path, replace_all: bool = True) -> None:
        """Upload ``staging``'s files (the manifest last), then remove the previous corpus's files that the new
        manifest does not list."""
        previous = (read_manifest_at(self.url) or {}).get("files", []) if replace_all else []
        files = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
        files.sort(key=lambda rel: rel == MANIFEST)
        for rel in files:
            self.fs.put_file(str(staging / rel), f"{self.root}/{rel}")
        listed = json.loads((staging / MANIFEST).read_text(encoding="utf-8")).get("files", files)
        for rel in sorted(set(previous) - set(listed)):
            if self.fs.exists(f"{self.root}/{rel}"):
                self.fs.rm(f"{self.root}/{rel}")


def assemble_remote(work: WorkDir, ids: list[str], output: RemoteOutput, staging: Path, formats: list[str],
                    manifest: dict[str, Any]) -> dict[str, Any]:
    """:func:`mt.write.assemble` for a URL: Parquet moved inside the store, the rest joined in ``staging``."""
    from . import assemble
    from .formats import ParquetWriter

    parts = work.part_paths(ids)
    moved: list[str] = []
    if "parquet" in formats:
        manifest.update(ParquetWriter.merge(parts, output.root, manifest.get("signature", {}), fs=work.fs))
        moved = sorted(p[len(output.root) + 1:] for p in work.fs.glob(f"{output.root}/data/*/train-*.parquet")
                       if manifest["fingerprint"] in p)
    local = Path(tempfile.mkdtemp(prefix="mt-parts-"))
    try:
        copies = []
        for n, part in enumerate(parts):
            copies.append(local / f"{n:06d}")
            work.fs.get(f"{part}/", f"{copies[-1]}/", recursive=True)
        return assemble(copies, staging, [f for f in formats if f != "parquet"], manifest, also_files=moved)
    finally:
        shutil.rmtree(local, ignore_errors=True)
