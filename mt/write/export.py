"""``mt export OUTPUT_DIR --format tmx|moses|jsonl``: the text formats of a corpus, made from its Parquet files.

A big run writes only Parquet (``[output] formats = ["parquet"]``: each shard's part is moved into place,
nothing is re-read); this streams the Parquet files in corpus order, a row batch at a time, through the same
format writers a run uses, so the files equal what the run would have written. The new files join the corpus
(its manifest lists them; a later run replaces them like its own files), committed as a run commits: staged,
then renamed through the journal, under the directory's lock.
"""
from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InputError
from .formats import CONFIGS, FORMATS
from .outdir import MANIFEST, OutputDir, read_manifest

EXPORTABLE = ("jsonl", "tmx", "moses")
BATCH_ROWS = 4096


def export_corpus(out_dir: str | Path, formats: list[str]) -> list[str]:
    """Write ``formats`` (of :data:`EXPORTABLE`) into the corpus at ``out_dir``; returns the files written."""
    out = Path(out_dir)
    bad = [f for f in formats if f not in EXPORTABLE]
    if bad or not formats:
        raise ConfigError(f"cannot export {', '.join(bad) or 'nothing'}", where="mt export --format",
                          fix=f"choose one or more of {', '.join(EXPORTABLE)}")
    manifest = read_manifest(out)
    if manifest is None or not (out / "data" / "sentences").is_dir():
        raise InputError("not an mt corpus with Parquet files", where=str(out),
                         fix="give the OUTPUT_DIR of an `mt run` whose [output] formats include parquet")
    with OutputDir(out) as output:
        staging = output.new_staging()
        try:
            written = _write(out, staging, formats, manifest)
            output.commit(staging, replace_all=False)
        finally:
            shutil.rmtree(staging, ignore_errors=True)   # empty after the commit
    return written


def _write(out: Path, staging: Path, formats: list[str], manifest: dict[str, Any]) -> list[str]:
    writers = [FORMATS.get(name)(staging, manifest.get("signature") or {}) for name in formats]
    try:
        for config, rows in _batches(out):
            for writer in writers:
                if config == "sentences":
                    writer.write(rows, [])
                else:
                    writer.write([], rows)
    finally:
        for writer in writers:
            writer.close()
    written = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
    manifest["files"] = sorted({*manifest.get("files", []), *written})
    manifest["exported"] = sorted({*manifest.get("exported", []), *formats})
    (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return written


def _batches(out: Path) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """``(config, rows)`` of the corpus's Parquet files, sentences then captions, in file and row order."""
    import pyarrow.parquet as pq

    for config in CONFIGS:
        for path in sorted((out / "data" / config).glob("*.parquet")):
            for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS):
                yield config, batch.to_pylist()
