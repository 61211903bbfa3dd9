"""The output directory of a run: never delete what mt did not write, never lose a half-done swap.

Rules (README "Safety"):

* An existing ``OUTPUT_DIR`` is written into only when it is empty, holds only mt's own hidden files, or its
  ``manifest.json`` says it is an mt corpus (``"kind": "mt-corpus"``; corpora of earlier versions: signature
  package ``mt``). Anything else -- a user's folder, a git checkout, a file -- is refused (exit 5).
* ``OUTPUT_DIR`` equal to, inside or around an input path is refused (exit 2).
* A run replaces only the files mt wrote (listed in the manifest's ``files``); other files in the directory
  (``reviewed/``, ``review.sqlite``, a user's notes) are never moved, copied or deleted.
* Files are written into ``OUTPUT_DIR/.mt-staging-*`` and committed by renames. Before the first rename a
  journal (``.mt-commit.json``) lists them; a run that dies during the commit leaves the journal, and the next
  run (or :func:`recover`) finishes the commit before anything else.
* One run at a time: ``OUTPUT_DIR/.mt-lock`` is held with ``flock`` (released by the kernel when the process
  dies, so a killed run never leaves a stale lock). Staging and old-file folders of dead runs are removed when
  the next run takes the lock.
"""
from __future__ import annotations

import errno
import json
import logging
import os
import re
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..atomic import write_text_atomic
from ..errors import ConfigError, OutputError

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
CORPUS_KIND = "mt-corpus"
LOCK = ".mt-lock"
JOURNAL = ".mt-commit.json"
STAGING_PREFIX = ".mt-staging-"
OLD_PREFIX = ".mt-old-"
WORK_PREFIX = ".mt-work-"      # finished shards of a run, kept for a re-run to resume (mt.write.work)
#: files mt writes next to the committed set (built after the commit, from the committed files)
DERIVED_FILES = ("review.html",)
#: what earlier versions wrote into OUTPUT_DIR (their manifests have no ``files`` list)
LEGACY_FILES = ("README.md", MANIFEST, "corpus.jsonl", "captions.jsonl", "corpus.tmx", "corpus.th", "corpus.en",
                "set_aside.jsonl", "problems.jsonl", "review.html")
_LEGACY_DATA = re.compile(r"^data/(sentences|captions)-\d+\.parquet$")


# -- what a directory is ---------------------------------------------------------------------------------
def read_manifest(directory: Path) -> dict[str, Any] | None:
    """The parsed ``manifest.json`` of ``directory``, or None when there is none or it is not JSON."""
    try:
        data = json.loads((Path(directory) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_mt_corpus(directory: Path) -> bool:
    """True when ``directory`` holds an mt corpus (its manifest says so) or a half-done commit of one."""
    directory = Path(directory)
    if (directory / JOURNAL).is_file():
        return True
    manifest = read_manifest(directory)
    if manifest is None:
        return False
    if manifest.get("kind") == CORPUS_KIND:
        return True
    signature = manifest.get("signature")
    return isinstance(signature, dict) and signature.get("package") == "mt" and "mt_version" in manifest


def _only_mt_leftovers(directory: Path) -> bool:
    """True when every entry of ``directory`` is one of mt's own hidden files (a first run that died)."""
    return all(p.name == LOCK or p.name.startswith((STAGING_PREFIX, OLD_PREFIX, WORK_PREFIX)) for p in directory.iterdir())


def _finished_work(directory: Path) -> bool:
    """True when a work folder holds a finished shard (kept: a re-run resumes from it)."""
    return any(True for _ in directory.glob(f"{WORK_PREFIX}*/done/*.json"))


def corpus_files(directory: Path, manifest: dict[str, Any] | None) -> list[str]:
    """Relative paths of the files mt wrote into ``directory`` (from its manifest; known names for old ones)."""
    listed = (manifest or {}).get("files")
    if isinstance(listed, list) and all(isinstance(x, str) for x in listed):
        return [*listed, *DERIVED_FILES]
    found = [name for name in LEGACY_FILES if (directory / name).is_file()]
    data = directory / "data"
    if data.is_dir():
        found += sorted(rel for p in data.iterdir() if _LEGACY_DATA.match(rel := f"data/{p.name}"))
    return found


def _resolved(path: str | Path) -> Path:
    return Path(os.path.abspath(Path(path).expanduser()))


def _inside(path: Path, other: Path) -> bool:
    return path == other or other in path.parents


def check_output_dir(out_dir: str | Path, inputs: Iterable[str | Path] = ()) -> None:
    """Refuse an output directory that would destroy or mix with data mt did not write.

    Raises :class:`ConfigError` (exit 2) when OUTPUT_DIR is, contains or lies inside an input path, and
    :class:`OutputError` (exit 5) when it is a file, a directory that is not an mt corpus, or cannot be
    created. Reads only: nothing is created.
    """
    out = _resolved(out_dir)
    for item in inputs:
        inp = _resolved(item)
        if _inside(out, inp) or _inside(inp, out):
            relation = "is" if out == inp else ("lies inside" if _inside(out, inp) else "contains")
            raise ConfigError(f"the output directory {relation} the input path {item}", where=str(out_dir),
                              fix="write the corpus somewhere else: -o outputs/NAME (a new or empty directory)")
    if out.exists() and not out.is_dir():
        raise OutputError("the output path is an existing file, not a directory", where=str(out_dir),
                          fix="choose another -o (a new or empty directory, or a previous mt corpus)")
    if out.is_dir() and not is_mt_corpus(out) and not _only_mt_leftovers(out):
        raise OutputError("the output directory holds files that mt did not write (it has no mt manifest); "
                          "mt writes only into a new or empty directory or a previous mt corpus",
                          where=str(out_dir), fix="choose another -o, e.g. a new folder under outputs/")
    _check_writable(out, out_dir)


def _check_writable(out: Path, shown: str | Path) -> None:
    existing = out if out.exists() else next((p for p in out.parents if p.exists()), None)
    if existing is None or not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write into {existing}: permission denied", where=str(shown),
                          fix="choose a writable -o directory, or fix the folder's permissions")


# -- errors of a full disk ---------------------------------------------------------------------------
def space_error(exc: OSError, path: Path, written: int) -> OutputError:
    """An :class:`OutputError` for a full disk (or quota), saying how much was written and is free."""
    try:
        free = shutil.disk_usage(next(p for p in (path, *path.parents) if p.exists())).free
    except (OSError, StopIteration):
        free = 0
    what = "no space left on device" if exc.errno == errno.ENOSPC else "disk quota exceeded"
    return OutputError(f"{what} while writing the corpus ({written / 1e6:.1f} MB written, "
                       f"{free / 1e6:.1f} MB free)", where=str(getattr(exc, "filename", None) or path),
                       fix=f"free at least {max(written, 1_000_000) / 1e6:.0f} MB more on that file system "
                           "or choose another -o; the partial files were removed")


def is_space_error(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


# -- the directory of one run ----------------------------------------------------------------------------
class OutputDir:
    """OUTPUT_DIR while one run writes it: lock, recovery, staging folders, commit.

    ``open()`` checks the directory (:func:`check_output_dir`), creates it if needed, takes the lock, finishes
    a half-done commit of a dead run and removes dead runs' staging folders; ``close()`` releases the lock and
    removes the directory again if this run created it and left nothing in it.
    """

    remote = False      # a local directory (mt.write.remote.RemoteOutput: a URL)

    def __init__(self, path: str | Path, inputs: Iterable[str | Path] = ()):
        self.path = Path(path)
        self.inputs = list(inputs)
        self._lock_fh: Any = None
        self._created = False

    def __enter__(self) -> "OutputDir":
        self.open()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def is_open(self) -> bool:
        return self._lock_fh is not None

    def open(self) -> None:
        check_output_dir(self.path, self.inputs)
        _restore_legacy_swap(self.path)
        self._created = not self.path.exists()
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create the output directory: {exc.strerror}", where=str(self.path),
                              fix="choose a writable -o directory") from None
        self._lock_fh = _take_lock(self.path)
        recover(self.path)
        _remove_stale(self.path)

    def close(self) -> None:
        if self._lock_fh is None:
            return
        fh, self._lock_fh = self._lock_fh, None
        try:
            (self.path / LOCK).unlink(missing_ok=True)   # while still holding it (see _take_lock)
            if self._created and _only_mt_leftovers(self.path) and not _finished_work(self.path):
                shutil.rmtree(self.path, ignore_errors=True)
        except OSError as exc:
            log.warning("could not tidy %s: %s", self.path, exc)
        finally:
            fh.close()   # releases the flock

    def new_staging(self) -> Path:
        """A new empty staging folder inside OUTPUT_DIR (same file system: commits are renames)."""
        if not self.is_open:
            raise RuntimeError("OutputDir.open() first")
        staging = self.path / f"{STAGING_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            staging.mkdir()
        except OSError as exc:
            raise OutputError(f"cannot create a staging folder: {exc.strerror}", where=str(staging),
                              fix="check that the output directory is writable and has free space") from None
        return staging

    def commit(self, staging: Path, replace_all: bool = True) -> None:
        """Move every file of ``staging`` into OUTPUT_DIR, replacing the previous corpus's files only (all of
        them when ``replace_all``; else only those ``staging`` holds, e.g. ``mt export`` adding a file)."""
        files = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
        files.sort(key=lambda rel: rel == MANIFEST)          # the manifest last: it marks a finished corpus
        previous = corpus_files(self.path, read_manifest(self.path)) if replace_all else []
        journal = {"staging": staging.name, "old": f"{OLD_PREFIX}{uuid.uuid4().hex[:8]}", "files": files,
                   "remove": sorted(set(previous) - set(files))}
        write_text_atomic(self.path / JOURNAL, json.dumps(journal, indent=1))
        recover(self.path)


def _take_lock(out: Path) -> Any:
    """Hold ``OUTPUT_DIR/.mt-lock`` (flock). The file is removed when the run ends; a run that opened it just
    before that holds a removed file, which it notices (inode check) and refuses like a held lock."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no lock, said once
        log.warning("no file locking on this platform: do not run two mt runs on %s at once", out)
        return open(os.devnull, "w")
    path = out / LOCK
    fh = open(path, "a+", encoding="utf-8")
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        if not path.exists() or os.stat(path).st_ino != os.fstat(fh.fileno()).st_ino:
            raise BlockingIOError(errno.EAGAIN, "lock file replaced")
    except OSError:
        fh.seek(0)
        holder = fh.read().strip() or "unknown"
        fh.close()
        raise OutputError(f"another mt run (pid {holder}) is writing this output directory", where=str(out),
                          fix="wait for that run to finish, or write to another -o directory") from None
    fh.seek(0)
    fh.truncate()
    fh.write(f"{os.getpid()}\n")
    fh.flush()
    return fh


def recover(out: Path) -> bool:
    """Finish the commit described by ``OUTPUT_DIR/.mt-commit.json`` (idempotent); True if there was one."""
    journal_path = Path(out) / JOURNAL
    try:
        journal = json.loads(journal_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return False
    except (OSError, ValueError) as exc:
        raise OutputError(f"cannot read the commit journal of an interrupted run: {exc}", where=str(journal_path),
                          fix="look at the folder; the new corpus files are in the .mt-staging-* folder") from None
    staging, old = out / journal["staging"], out / journal["old"]
    for rel in journal["remove"]:
        _move(out / rel, old / rel)
    for rel in journal["files"]:
        if (staging / rel).exists():          # not yet moved in: move the previous file away, then this one in
            _move(out / rel, old / rel)
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / rel, out / rel)
    journal_path.unlink()
    for folder in (staging, old):
        shutil.rmtree(folder, ignore_errors=True)
    _remove_empty_dirs(out, journal["remove"])
    return True


def _move(src: Path, dst: Path) -> None:
    if src.is_file() or src.is_symlink():
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)


def _remove_empty_dirs(out: Path, removed: list[str]) -> None:
    for parent in sorted({(out / rel).parent for rel in removed}, key=lambda p: len(p.parts), reverse=True):
        while parent != out and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent


def _remove_stale(out: Path) -> None:
    """Staging and old-file folders of runs that died (this run holds the lock: none is in use)."""
    for p in out.iterdir():
        if p.is_dir() and p.name.startswith((STAGING_PREFIX, OLD_PREFIX)):
            log.info("removing %s, left by an interrupted run", p)
            shutil.rmtree(p, ignore_errors=True)
    parent = out.parent
    if parent.is_dir():   # temp folders of versions that wrote beside OUTPUT_DIR (only mt's own layout)
        for p in parent.glob(f".{out.name}.tmp-*"):
            if p.is_dir() and (p / "set_aside.jsonl").exists() and re.fullmatch(r"[0-9a-f]{8}", p.name[-8:]):
                log.info("removing %s, left by an interrupted run of an earlier mt version", p)
                shutil.rmtree(p, ignore_errors=True)


def _restore_legacy_swap(out: Path) -> None:
    """Earlier versions swapped whole folders; a crash between the two renames left OUTPUT_DIR missing and the
    previous corpus in ``.NAME.old-*``: put it back."""
    if out.exists() or not out.parent.is_dir():
        return
    olds = [p for p in out.parent.glob(f".{out.name}.old-*") if p.is_dir() and is_mt_corpus(p)]
    if len(olds) == 1:
        log.warning("restoring %s from %s (an interrupted run of an earlier mt version)", out, olds[0])
        os.replace(olds[0], out)
