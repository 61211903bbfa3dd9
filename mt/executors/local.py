"""Run the steps as a chain of generators in this process, one shard after another (streaming: memory does
not grow with the corpus)."""
from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from ..config import RunConfig
from ..progress import progress
from ..run import ExecutionReport
from ..steps.base import ShardEnd

log = logging.getLogger(__name__)


def shard_docs(item: Any) -> int:
    """Progress weight of what the last step yields: a finished shard stands for its documents."""
    return item.docs if isinstance(item, ShardEnd) else 1


class LocalExecutor:
    """Pipes the run's shards through every step in order; knows no step by name or position."""

    name = "local"

    def __init__(self, config: RunConfig):
        self.config = config

    def run(self, steps: Sequence[Any], shards: Iterable[Any], total: int | None = None) -> ExecutionReport:
        stream: Any = iter(shards)
        for step in steps:
            stream = step.run(stream)
        done = 0
        for item in progress(stream, total, "mt run", self.config.quiet,
                             interval=self.config.executor.progress_seconds, weight=shard_docs):
            done += isinstance(item, ShardEnd)
        return ExecutionReport(executor={"kind": self.name}, shards_run=done)
