"""Run the steps as a chain of generators in this process (streaming: memory does not grow with the corpus)."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from ..config import RunConfig
from ..progress import progress
from ..run import ExecutionReport, engine_stats_of

log = logging.getLogger(__name__)


class LocalExecutor:
    """Pipes the run's items through every step in order; knows no step by name or position."""

    name = "local"

    def __init__(self, config: RunConfig):
        self.config = config

    def run(self, steps: Sequence[Any], sources: Sequence[Any]) -> ExecutionReport:
        stream: Any = iter(sources)
        for step in steps:
            stream = step.run(stream)
        total = sources.total_hint() if hasattr(sources, "total_hint") else len(sources)
        for _ in progress(stream, total, "mt run", self.config.quiet,
                          interval=self.config.executor.progress_seconds):
            pass
        return ExecutionReport(executor={"kind": self.name}, stats={s.name: s.stats for s in steps},
                               engine_stats=engine_stats_of(steps))
