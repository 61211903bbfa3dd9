"""What every step of a run is: one ``run(items)`` generator, its own stats, its declared resources.

A run is a list of steps (:func:`mt.pipeline.build_steps`): read -> parse -> segment -> translate -> align ->
write. An executor (:mod:`mt.executors`) knows no step by name or position: it pipes the items of a run
through ``step.run`` (local), or maps groups of steps with the same ``resources.pool`` onto Ray actors, rebuilt
in each actor from ``step.spec()``.

A subclass fills hooks: :meth:`Step.process` (one document) or :meth:`Step.apply` (a stream, for steps that
batch), and optionally :meth:`Step.observe` (its own counters), :meth:`Step.signature`, :meth:`Step.close`.
"""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from ..records import Doc


@dataclass(frozen=True)
class Resources:
    """What a step needs where it runs.

    ``pool``: consecutive steps of one pool run together (on Ray: one actor pool, sized by the executor from
    ``[executor]``; ``driver`` = in the driver process, after the pools).
    ``loads_model``: the step holds a model, so it runs in long-lived actors that load it once.
    ``wants_gpu``: one GPU per actor when the cluster has GPUs (and the run's device is not the CPU).
    ``fills_cpus``: without a GPU, this pool gets the CPUs the other pools leave free.
    """

    pool: str = "prep"
    loads_model: bool = False
    wants_gpu: bool = False
    fills_cpus: bool = False


@dataclass
class StepStats:
    """Counters of one step: documents and lines seen, corpus units out, seconds of its own work, extras."""

    docs: int = 0
    lines: int = 0
    units: int = 0
    seconds: float = 0.0
    counts: Counter = field(default_factory=Counter)

    def add(self, other: "StepStats") -> None:
        self.docs += other.docs
        self.lines += other.lines
        self.units += other.units
        self.seconds += other.seconds
        self.counts.update(other.counts)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 4)
        data["counts"] = dict(sorted(self.counts.items()))
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "StepStats":
        return cls(data["docs"], data["lines"], data["units"], data["seconds"], Counter(data.get("counts", {})))


def batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive lists of ``size`` items (the last one shorter), for steps that work on many documents."""
    buffer: list[Any] = []
    for item in items:
        buffer.append(item)
        if len(buffer) >= size:
            yield buffer
            buffer = []
    if buffer:
        yield buffer


class _Upstream:
    """Wraps a step's input so that the time spent waiting for it is not charged to the step."""

    def __init__(self, items: Iterable[Any]):
        self.items = iter(items)
        self.waited = 0.0

    def __iter__(self) -> Iterator[Any]:
        while True:
            t0 = time.perf_counter()
            try:
                item = next(self.items)
            except StopIteration:
                self.waited += time.perf_counter() - t0
                return
            self.waited += time.perf_counter() - t0
            yield item


class Step:
    """Base class of every step (see the module docstring)."""

    name: ClassVar[str] = "step"
    resources: ClassVar[Resources] = Resources()

    def __init__(self, config: Any = None) -> None:
        self.config = config      # the run's RunConfig (rebuilt from it in another process: spec())
        self.stats = StepStats()

    # -- the API executors use ---------------------------------------------------------------------
    def run(self, items: Iterable[Any]) -> Iterator[Any]:
        """Yield what this step makes of ``items``, counting and timing its own work."""
        upstream = _Upstream(items)
        out = iter(self.apply(iter(upstream)))
        while True:
            t0, waited = time.perf_counter(), upstream.waited
            try:
                doc = next(out)
            except StopIteration:
                self.stats.seconds += time.perf_counter() - t0 - (upstream.waited - waited)
                return
            self.stats.seconds += time.perf_counter() - t0 - (upstream.waited - waited)
            self._count(doc)
            yield doc

    def spec(self) -> tuple[type, dict[str, Any]]:
        """How to rebuild this step in another process: ``cls(**kwargs)``."""
        return type(self), {"config": self.config}

    def signature(self) -> dict[str, Any]:
        """What this step contributes to the run's signature (model, segmenter, aligner...)."""
        return {}

    def update_signature(self, signature: dict[str, Any]) -> None:
        """What remote workers report they ran (for steps that stamp the run's signature on their output)."""

    def engine_stats(self) -> dict[str, Any] | None:
        """Cumulative counters of an engine this step holds (summed over Ray actors), or None."""
        return None

    def close(self) -> None:
        """Release what the step holds (models, files)."""

    # -- hooks ---------------------------------------------------------------------------------------
    def apply(self, docs: Iterable[Doc]) -> Iterable[Doc]:
        for doc in docs:
            yield self.process(doc)

    def process(self, doc: Doc) -> Doc:  # pragma: no cover - overridden
        raise NotImplementedError

    def observe(self, doc: Doc) -> None:
        """Count what is particular to this step into ``self.stats.counts``."""

    def _count(self, doc: Doc) -> None:
        self.stats.docs += 1
        self.stats.lines += len(doc.lines)
        self.stats.units += len(doc.units)
        if self.name not in doc.stages:
            doc.stages.append(self.name)
        self.observe(doc)
