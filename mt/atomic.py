"""Atomic file-system writes: the one home for write-then-rename.

* :func:`write_text_atomic` -- a file through a temporary sibling and a rename;
* :func:`temp_dir` / :func:`replace_dir` -- a whole directory built beside its target and swapped in (used by
  ``mt review export`` for its own ``reviewed/`` folder, which it checks holds only export files first).
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path


def write_text_atomic(path: Path, text: str, mode: int | None = None) -> None:
    """Write ``text`` to ``path`` through a temporary sibling and a rename (readers never see half a file)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def temp_dir(out_dir: Path) -> Path:
    """A new hidden directory next to ``out_dir`` (same file system, so :func:`replace_dir` is a rename)."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    return tmp


def replace_dir(tmp: Path, out_dir: Path) -> None:
    """Move the finished ``tmp`` to ``out_dir``; the previous ``out_dir`` is removed after the swap.

    Only for directories the caller has checked hold nothing but its own files.
    """
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{uuid.uuid4().hex[:8]}")
        os.replace(out_dir, old)
    os.replace(tmp, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
