"""What every step of a run is: one ``run(items)`` generator, its own stats, its declared resources.

A run is a list of steps (:func:`mt.pipeline.build_steps`): read -> parse -> segment -> translate -> align ->
write. An executor (:mod:`mt.executors`) knows no step by name or position: it pipes the items of a run
through ``step.run`` (local), or maps groups of steps with the same ``resources.pool`` onto Ray actors, rebuilt
in each actor from ``step.spec()``.

A subclass fills hooks: :meth:`Step.process` (one document) or :meth:`Step.apply` (a stream, for steps that
batch), and optionally :meth:`Step.observe` (its own counters), :meth:`Step.signature`, :meth:`Step.close`,
:meth:`Step.end_shard`.

Shards (:mod:`mt.shards`): the read step follows the documents of each shard with a :class:`ShardEnd`.
``run`` hands ``apply`` one shard's documents at a time (a batch never spans two shards), then notes on the
ShardEnd this step's share of the shard (stats, engine counters, signature), calls ``end_shard`` and passes it
on; so whoever receives the ShardEnd (the write step, an executor) has the shard's whole report.
"""
from __future__ import annotations

import copy
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
    ``[executor]``); ``""``: in the pool of the step before (a light step that needs nothing of its own, e.g.
    the write step: a shard's documents are not sent to another actor just to be written).
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

    def copy(self) -> "StepStats":
        return StepStats(self.docs, self.lines, self.units, self.seconds, Counter(self.counts))

    def minus(self, before: "StepStats") -> "StepStats":
        """What was counted since ``before`` (an earlier copy of these stats)."""
        counts = Counter({k: v - before.counts.get(k, 0) for k, v in self.counts.items()
                          if v != before.counts.get(k, 0)})
        return StepStats(self.docs - before.docs, self.lines - before.lines, self.units - before.units,
                         self.seconds - before.seconds, counts)


@dataclass
class ShardEnd:
    """Follows the last document of a shard through the steps (see the module docstring)."""

    shard: Any                                               # the :class:`mt.shards.Shard`
    docs: int = 0                                            # its documents (counted by the step that read them)
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)    # step name -> StepStats.as_dict()
    engine: dict[str, Any] = field(default_factory=dict)     # step name -> engine counters of this shard
    signature: dict[str, Any] = field(default_factory=dict)  # what the steps that ran it report
    counts: dict[str, Any] | None = None                     # the write step's counts of the shard's part


def counter_delta(now: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """Numeric counters of ``now`` less those of ``before`` (recursively); other values as in ``now``."""
    out: dict[str, Any] = {}
    for key, value in now.items():
        old = before.get(key)
        if isinstance(value, dict):
            out[key] = counter_delta(value, old if isinstance(old, dict) else {})
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and isinstance(old, (int, float)):
            out[key] = value - old
        else:
            out[key] = value
    return out


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


class _Segment:
    """The items of a stream up to the next :class:`ShardEnd` (kept in ``end``; None: the stream ended)."""

    def __init__(self, items: Iterator[Any]):
        self.items = items
        self.end: ShardEnd | None = None
        self.done = False

    def __iter__(self) -> Iterator[Any]:
        while not self.done:
            item = next(self.items, _STOP)
            if item is _STOP or isinstance(item, ShardEnd):
                self.done = True
                self.end = None if item is _STOP else item
                return
            yield item


_STOP = object()


class Step:
    """Base class of every step (see the module docstring)."""

    name: ClassVar[str] = "step"
    resources: ClassVar[Resources] = Resources()

    def __init__(self, config: Any = None) -> None:
        self.config = config      # the run's RunConfig (rebuilt from it in another process: spec())
        self.stats = StepStats()
        self._mark = StepStats()                  # stats and engine counters at the end of the last shard
        self._engine_mark: dict[str, Any] = {}

    # -- the API executors use ---------------------------------------------------------------------
    def run(self, items: Iterable[Any]) -> Iterator[Any]:
        """Yield what this step makes of ``items``, counting and timing its own work, one shard at a time."""
        upstream = _Upstream(items)
        source = iter(upstream)
        while True:
            segment = _Segment(source)
            for item in self._timed(iter(self.apply(iter(segment))), upstream):
                if isinstance(item, ShardEnd):        # made by this step (the read step)
                    self._end(item)
                else:
                    self._count(item)
                yield item
            if any(True for _ in segment):
                raise RuntimeError(f"step {self.name!r}: apply() did not consume its input")
            if segment.end is None:
                return
            self._end(segment.end)
            yield segment.end

    def _timed(self, out: Iterator[Any], upstream: "_Upstream") -> Iterator[Any]:
        while True:
            t0, waited = time.perf_counter(), upstream.waited
            try:
                item = next(out)
            except StopIteration:
                self.stats.seconds += time.perf_counter() - t0 - (upstream.waited - waited)
                return
            self.stats.seconds += time.perf_counter() - t0 - (upstream.waited - waited)
            yield item

    def _end(self, end: ShardEnd) -> None:
        """Note this step's share of the shard on ``end``, then the step's own end-of-shard work."""
        mark, self._mark = self._mark, self.stats.copy()
        end.steps[self.name] = self.stats.minus(mark).as_dict()
        engine = self.engine_stats()
        if engine:
            end.engine[self.name] = counter_delta(engine, self._engine_mark)
            self._engine_mark = copy.deepcopy(engine)
        end.signature.update(self.signature())
        self.end_shard(end)

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

    def end_shard(self, end: ShardEnd) -> None:
        """A shard's documents have all passed this step (``end`` holds the report of the steps so far)."""

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
