"""``run_pipeline(config)``: the library entry point behind ``mt run``.

A run is a declared list of steps (:func:`build_steps`): read -> parse -> segment -> translate -> align ->
write. ``run_pipeline`` checks and locks OUTPUT_DIR, builds the steps and hands them, with the inputs, to an
executor (:mod:`mt.executors`), which pipes the documents through them; the bookkeeping (signature,
manifest, digest, finish) is in :mod:`mt.run`. Imports flow one way: cli -> pipeline -> executors ->
run / steps -> subsystems.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from .config import RunConfig
from .errors import MtError
from .run import RunResult, build_review, finish_run, run_digest, run_signature, up_to_date
from .translate.base import TranslatorLike
from .steps import AlignStep, ParseStep, ReadStep, SegmentStep, Step, TranslateStep, WriteStep

log = logging.getLogger(__name__)

__all__ = ["RunResult", "align_files", "build_steps", "plan_run", "run_pipeline"]


def build_steps(config: RunConfig, translator: TranslatorLike | None = None, work: Any = None) -> list[Step]:
    """The steps of a run, in order.

    Cheap steps are built first so that a config error (unknown segmenter) is reported before a model
    loads; the translator is loaded here, so a missing model fails before any page is read. ``work`` is the
    root of the run's work folder (:class:`~mt.write.work.WorkDir`), where the write step puts each shard's part.
    """
    batch = config.executor.docs_per_batch
    steps: list[Step] = [ReadStep(config), ParseStep(config), SegmentStep(config, docs_per_batch=batch)]
    translate = TranslateStep(config, translator=translator, docs_per_batch=batch)
    steps += [translate, AlignStep(config, mt_is_real=translate.is_real, docs_per_batch=batch)]
    return steps + [WriteStep(config, work=work, signature=run_signature(steps))]


def output_state(config: RunConfig) -> str:
    """What a run would do with OUTPUT_DIR (read only): create it, write into it, replace a corpus, or refuse."""
    from .urls import is_url
    from .write.outdir import check_output_dir, is_mt_corpus

    if is_url(config.output.dir):
        return "fsspec URL (checked when the run starts)"
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

    from .segment import SEGMENTERS
    from .shards import iter_shards
    from .sources import iter_sources

    kinds = Counter(s.format if s.kind == "record" else (Path(s.name).suffix.lower() or "(none)")
                    for s in iter_sources(config.input))   # one lazy pass over the listing, as a run makes it
    plan: dict[str, Any] = {
        "inputs": {"paths": list(config.input.paths), "documents": sum(kinds.values()), "by_format": dict(kinds)},
        "output": {"dir": config.output.dir, "state": output_state(config), "formats": list(config.output.formats)},
        "segmenter": config.segment.engine + ("" if config.segment.engine in SEGMENTERS else " (UNKNOWN)"),
        "translate": {"preset": config.translate.preset, "engine": config.translate.engine,
                      "device": config.translate.device},
        "executor": config.executor.kind,
        "shards": {"count": sum(1 for _ in iter_shards(config.input, config.executor.shard_docs)),
                   "docs_per_shard": config.executor.shard_docs},
    }
    if config.translate.engine in ("transformers", "ctranslate2"):
        from .translate.hf import model_status

        plan["translate"]["models"] = model_status(config.translate)
    return plan


def align_files(paths: Any, config: RunConfig | None = None) -> Any:
    """Yield ``{file, line, vi, relation, th_line, th, score, reason}`` per Vietnamese-language line, in file order
    (the library behind ``mt align``).

    Uses the pipeline's own reader, parser and aligner (no MT: the MT signal needs translations, which
    ``mt align`` does not compute). Accepts .txt, .md and .html files and folders.
    """
    from .align import Aligner
    from .parse import PageParser
    from .read import read_docs
    from .records import number_blocks

    config = config or RunConfig()
    aligner = Aligner(config.align, use_mt=False)
    parser = PageParser()
    for doc in read_docs(paths, config.input.patterns):
        parser.parse(doc)
        number_blocks(doc)
        aligner.align(doc)
        for v in doc.vi_lines:
            yield {"file": doc.file, "line": v.line, "vi": v.raw, "relation": v.relation,
                   "th_line": v.th_line, "th": v.th, "score": v.score, "reason": v.reason}


def run_pipeline(config: RunConfig, *, translator: TranslatorLike | None = None) -> RunResult:
    """Run the whole batch job described by ``config`` and return where the corpus is and its manifest.

    ``translator`` lets a caller pass an already-loaded engine (tests, notebooks);
    by default the engine is loaded from ``config.translate``. When OUTPUT_DIR already holds the corpus
    of the same inputs and config (``manifest.json``'s ``run_digest``), nothing runs unless
    ``config.output.force``.
    """
    from .executors import EXECUTORS
    from .write.remote import open_output

    executor = EXECUTORS.get(config.executor.kind)(config)
    # checked (not a user's folder, not an input, writable) and locked before any model loads
    with open_output(config.output.dir, config.input.paths) as output:
        digest = run_digest(config)  # read the inputs once, before any work
        done = up_to_date(config, digest)
        if done is not None:
            from .write.work import WorkDir

            WorkDir.at(output.path, digest).remove()   # left when a run died in its commit (finished since)
            if config.review.build and isinstance(done.output_dir, Path) and not (done.output_dir / "review.html").exists():
                build_review(done.output_dir)   # e.g. a commit finished after a crash, before its review page
            return done
        return _execute(config, executor, translator, output, digest)


def _execute(config: RunConfig, executor: Any, translator: Any, output: Any, digest: str) -> RunResult:
    from .shards import iter_shards
    from .sources import Sources
    from .write.work import WorkDir

    started, t0 = time.time(), time.perf_counter()
    work = WorkDir.prepare(output.path, digest, force=config.output.force)
    pending = _Pending(iter_shards(config.input, config.executor.shard_docs), work)
    steps = build_steps(config, translator=translator, work=work.url)
    t_load = time.perf_counter() - t0
    try:
        hint = Sources(config.input).total_hint()
        report = executor.run(steps, pending, None if hint is None else hint - work.docs_done())
        if pending.resumed:
            log.info("resumed: %d of %d shards were finished by an earlier run", pending.resumed, len(pending.ids))
        timings = {"load_engines": t_load, "total": time.perf_counter() - t0}
        plan = {"signature": run_signature(steps), "resumed": pending.resumed}
        return finish_run(config, output, work, pending.ids, plan, report, started=started, digest=digest,
                          timings=timings)
    except BaseException:
        if not work.any_done():      # nothing for a re-run to resume from
            work.remove()
        raise
    finally:
        for step in steps:
            step.close()


class _Pending:
    """The shards of a run that have no completion marker yet (lazily); ``ids`` lists every shard seen."""

    def __init__(self, shards: Any, work: Any):
        self.shards = shards
        self.work = work
        self.ids: list[str] = []
        self.resumed = 0

    def __iter__(self) -> Any:
        for shard in self.shards:
            self.ids.append(shard.id)
            if self.work.marker(shard) is not None:
                self.resumed += 1
                continue
            yield shard
