"""Run the stages as a chain of generators in this process (streaming: memory does not grow with the corpus)."""
from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from ..config import RunConfig
from ..pipeline import RunResult, build_stages, engine_stats, finish_run, open_writer, run_signature
from ..read import find_inputs, read_doc
from ..progress import progress
from ..records import Doc

log = logging.getLogger(__name__)


def _timed(items: Iterator[Doc], totals: dict[str, float], name: str) -> Iterator[Doc]:
    """Accumulate the wall time spent producing each item (this stage plus everything upstream)."""
    while True:
        t0 = time.perf_counter()
        try:
            item = next(items)
        except StopIteration:
            totals[name] += time.perf_counter() - t0
            return
        totals[name] += time.perf_counter() - t0
        yield item


class LocalExecutor:
    name = "local"

    def __init__(self, config: RunConfig):
        self.config = config

    def run(self, translator: Any = None, digest: str | None = None, output: Any = None) -> RunResult:
        config = self.config
        started = time.time()
        t_start = time.perf_counter()
        inputs = find_inputs(config.input.paths, config.input.patterns)
        stages = build_stages(config, translator=translator)
        t_load = time.perf_counter() - t_start
        signature = run_signature(stages)
        writer = open_writer(config, signature, output)
        cumulative = {name: 0.0 for name in ["read"] + [s.name for s in stages]}
        stream: Iterator[Doc] = _timed((read_doc(*item) for item in inputs), cumulative, "read")
        for stage in stages:
            stream = _timed(iter(stage(stream)), cumulative, stage.name)
        t_write = 0.0
        try:
            for doc in progress(stream, len(inputs), "mt run", config.quiet,
                                interval=config.executor.progress_seconds):
                t0 = time.perf_counter()
                writer.write(doc)
                t_write += time.perf_counter() - t0
            timings = {"load_engines": t_load}
            previous = 0.0
            for name, total in cumulative.items():
                timings[name] = total - previous
                previous = total
            timings["write"] = t_write
            timings["total"] = time.perf_counter() - t_start
            return finish_run(config, writer, started=started, executor={"kind": self.name}, timings=timings,
                              engine_stats=engine_stats(stages[2].translator), digest=digest)
        except BaseException:
            writer.abort()
            raise
        finally:
            for stage in stages:
                if hasattr(stage, "close"):
                    stage.close()
