"""Run the steps on a Ray cluster: shards flow through actor pools; the driver only lists shards and
collects their reports.

The steps are grouped by ``step.resources.pool`` (consecutive steps of one pool run together); each pool is
a set of Ray actors, each rebuilding its steps once from ``step.spec()`` (so a model loads once per actor)::

    driver: lazily listed shards, a bounded number in flight
      -> an actor of pool 1 (read, parse, segment) -> pool 2 (translate; GPUs here) -> pool 3 (align)
      -> pool 4 (write: the shard's part and completion marker in OUTPUT_DIR's work folder)
      -> driver: the shard's ShardEnd (its report: counts, step stats, engine counters, signature; no rows)

A call takes one shard (the first pool gets the Shard, the next ones the previous pool's documents, passed
actor to actor through Ray's object store, never through the driver). Actors are restarted and their call
re-run after a worker dies (``[executor].ray_max_retries``); a shard's part is renamed into place with its
marker, so a re-run call replaces it and the corpus has every page exactly once. Translations go through the
same persistent cache as a local run (``[translate].cache``, shared by the actors).
"""
from __future__ import annotations

import logging
import os
import re
import signal
from collections.abc import Iterable, Iterator, Sequence
from itertools import cycle
from pathlib import Path
from typing import Any

from ..config import RunConfig
from ..errors import ConfigError, ModelError, MtError
from ..progress import progress
from ..registry import require
from ..run import ExecutionReport
from ..steps.base import ShardEnd
from .local import shard_docs

log = logging.getLogger(__name__)

#: Test hook: when this variable names a file that exists, the first actor of pool KILL_POOL_ENV (default
#: "translate") to claim the file (by deleting it) kills its own process with SIGKILL after running its shard.
KILL_ONCE_ENV = "MT_RAY_KILL_ONCE"
KILL_POOL_ENV = "MT_RAY_KILL_POOL"

#: pool -> (``[executor]`` key of its actor count, key of the CPUs reserved per actor); other pools: defaults
POOL_SETTINGS = {"prep": ("ray_prep_actors", "ray_num_cpus_light"),
                 "translate": ("ray_actors", "ray_num_cpus_per_actor"),
                 "align": ("ray_align_actors", "ray_num_cpus_light")}


def pool_groups(steps: Sequence[Any]) -> list[tuple[str, list[Any]]]:
    """Consecutive steps of one pool, in order; a step without a pool of its own joins the one before it."""
    groups: list[tuple[str, list[Any]]] = []
    for step in steps:
        pool = step.resources.pool or (groups[-1][0] if groups else "prep")
        if groups and groups[-1][0] == pool:
            groups[-1][1].append(step)
        else:
            groups.append((pool, [step]))
    return groups


class StepActor:
    """One Ray actor of a pool: builds the pool's steps once, pipes each shard's items through them."""

    def __init__(self, specs: list[tuple[type, dict[str, Any]]], pool: str):
        self.steps = [cls(**kwargs) for cls, kwargs in specs]
        self.pool = pool

    def run(self, items: list[Any]) -> list[Any]:
        stream: Any = iter(items)
        for step in self.steps:
            stream = step.run(stream)
        out = list(stream)
        _maybe_die(self.pool)
        return out

    def __del__(self) -> None:  # close models and cache connections when the actor ends
        for step in getattr(self, "steps", ()):
            try:
                step.close()
            except Exception:  # noqa: BLE001 - interpreter shutdown
                pass


def _maybe_die(pool: str) -> None:
    marker = os.environ.get(KILL_ONCE_ENV)
    if not marker or pool != os.environ.get(KILL_POOL_ENV, "translate"):
        return
    try:
        os.remove(marker)       # exactly one actor wins the claim
    except FileNotFoundError:
        return
    log.warning("%s: killing this worker (pid %d) mid-batch", KILL_ONCE_ENV, os.getpid())
    os.kill(os.getpid(), signal.SIGKILL)


# -- errors ------------------------------------------------------------------------------------------
_MT_ERROR_LINE = re.compile(r"^mt\.errors\.(\w+): (.+)$", re.M)


def _mt_error_in(exc: BaseException) -> MtError | None:
    """The MtError a Ray worker raised, found behind Ray's wrapper exceptions.

    Ray does not always ship the original exception object back (only its traceback text), so the error is
    rebuilt from the ``mt.errors.<Class>: <message>`` line of the worker's traceback: same class (exit code),
    same message with its where and fix.
    """
    from .. import errors

    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        is_ray = type(e).__module__.startswith("ray.")
        if isinstance(e, MtError) and not is_ray:
            return e
        found = _MT_ERROR_LINE.findall(str(e))
        if found:
            name, message = found[-1]
            cls = getattr(errors, name, MtError)
            if not (isinstance(cls, type) and issubclass(cls, MtError)):
                cls = MtError
            err = cls.__new__(cls)
            MtError.__init__(err, message.strip())
            return err
        todo.extend([getattr(e, "cause", None), e.__cause__, e.__context__])
    return None


# -- the executor -------------------------------------------------------------------------------------
class RayExecutor:
    """Maps the step list onto Ray Data actor pools (see the module docstring); knows no step by name."""

    name = "ray"

    def __init__(self, config: RunConfig):
        self.config = config
        self.ray = require("ray", "the Ray executor")

    def run(self, steps: Sequence[Any], shards: Iterable[Any], total: int | None = None) -> ExecutionReport:
        pools = pool_groups(steps)
        specs = [(name, [self._worker_spec(s) for s in group]) for name, group in pools]
        for step in steps:
            step.close()   # the driver built them for their signature and errors; the actors load their own
        started_ray = self._connect()
        try:
            return self._run(pools, specs, shards, total)
        finally:
            if started_ray:
                self.ray.shutdown()

    def _connect(self) -> bool:
        """Connect to (or start) Ray; returns True when this executor started it (and shuts it down)."""
        ray = self.ray
        if ray.is_initialized():
            return False
        address = self.config.executor.ray_address
        kwargs: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.WARNING,
                                  "configure_logging": True}
        if address:
            _check_reachable(address)
        try:
            if address:
                ray.init(address=address, **kwargs)
            else:
                ray.init(num_cpus=os.cpu_count(), **kwargs)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ConfigError(f"cannot connect to Ray at '{address}': {exc}" if address else f"cannot start Ray: {exc}",
                              where="executor.ray_address",
                              fix="start a cluster with `ray start --head` and pass its address "
                                  "(--ray-address HOST:6379 or 'auto'), run on a node that has the cluster's auth "
                                  "token (~/.ray/auth_token), or omit the address for a local Ray") from None
        return True

    def _plan(self, pools: Sequence[tuple[str, Sequence[Any]]]) -> dict[str, Any]:
        """Actor counts and per-actor resources of each pool, from ``[executor]`` and the cluster's resources."""
        ex = self.config.executor
        res = self.ray.cluster_resources()
        cpus, gpus = float(res.get("CPU", 0.0)), float(res.get("GPU", 0.0))
        if not gpus and self._driver_has_gpu():
            log.warning("this machine has a GPU but the Ray cluster reports none: the actors run on CPU "
                        "(start Ray with `ray start --num-gpus N`, or let mt start it)")
        plan = {name: self._pool_resources(name, group, gpus) for name, group in pools}
        fixed = [p for p in plan.values() if not p["fills_cpus"]]
        for p in fixed:
            p["actors"] = p["actors"] or max(1, int(cpus // 4))
        free = cpus - sum(p["actors"] * p["num_cpus"] for p in fixed)
        for name, p in plan.items():
            if p["fills_cpus"]:
                p["actors"] = p["actors"] or self._fill(name, p, free, gpus)
        self._check_fits(plan, cpus, gpus)
        return {"cpus": cpus, "gpus": gpus, "docs_per_shard": ex.shard_docs,
                "pools": {name: {k: v for k, v in p.items() if k != "fills_cpus"} for name, p in plan.items()}}

    def _pool_resources(self, name: str, group: Sequence[Any], gpus: float) -> dict[str, Any]:
        ex = self.config.executor
        count_key, cpu_key = POOL_SETTINGS.get(name, (None, "ray_num_cpus_light"))
        gpu = 0.0
        if any(s.resources.wants_gpu for s in group):
            gpu = ex.ray_num_gpus_per_actor
            if gpu is None:
                gpu = 1.0 if gpus and self.config.translate.device != "cpu" else 0.0
        return {"steps": [s.name for s in group], "actors": getattr(ex, count_key) if count_key else None,
                "num_cpus": getattr(ex, cpu_key), "num_gpus": gpu,
                "fills_cpus": any(s.resources.fills_cpus for s in group)}

    @staticmethod
    def _fill(name: str, p: dict[str, Any], free: float, gpus: float) -> int:
        by_cpu = int(free // p["num_cpus"]) if p["num_cpus"] else None
        if not p["num_gpus"]:
            return max(1, by_cpu) if by_cpu is not None else 1
        by_gpu = int(gpus // p["num_gpus"])
        actors = max(1, min(by_gpu, by_cpu) if by_cpu is not None else by_gpu)
        if actors < by_gpu:
            log.warning("only %d %s actors for %g GPUs: not enough free CPUs for one per GPU (lower the "
                        "executor's ray_num_cpus_* reservations or the other pools)", actors, name, gpus)
        return actors

    @staticmethod
    def _check_fits(plan: dict[str, dict[str, Any]], cpus: float, gpus: float) -> None:
        need_cpu = sum(p["actors"] * p["num_cpus"] for p in plan.values())
        if need_cpu > cpus + 1e-9:
            detail = ", ".join(f"{p['actors']} {name} x {p['num_cpus']:g}" for name, p in plan.items())
            raise ConfigError(f"the Ray actors need {need_cpu:g} CPUs ({detail}) but the cluster has {cpus:g}",
                              where="executor", fix="lower executor.ray_actors / ray_prep_actors / ray_align_actors "
                                                    "or the ray_num_cpus_* reservations, or add nodes")
        for name, p in plan.items():
            if p["num_gpus"] * p["actors"] > gpus + 1e-9:
                raise ConfigError(f"{p['actors']} {name} actors x {p['num_gpus']:g} GPUs need more GPUs than the "
                                  f"cluster has ({gpus:g})", where="executor.ray_num_gpus_per_actor",
                                  fix="set executor.ray_num_gpus_per_actor = 0 for CPU actors, or fewer ray_actors")

    @staticmethod
    def _driver_has_gpu() -> bool:
        try:
            import torch

            return bool(torch.cuda.is_available())
        except ImportError:  # pragma: no cover - torch is a hard dependency
            return False

    def _worker_config(self) -> RunConfig:
        """The config the actors get: relative paths made absolute (a worker's cwd need not be the driver's)."""
        config = self.config
        tr = config.translate
        update: dict[str, Any] = {}
        if tr.cache and "://" not in tr.cache:
            update["cache"] = str(Path(tr.cache).expanduser().resolve())
        for key in ("model", "model_vi", "ct2_dir"):
            value = getattr(tr, key)
            if value and Path(value).expanduser().exists():   # a local path, not a hub id
                update[key] = str(Path(value).expanduser().resolve())
        return config.model_copy(update={"translate": tr.model_copy(update=update)})

    def _worker_spec(self, step: Any) -> tuple[type, dict[str, Any]]:
        """``step.spec()`` with the run config swapped for the workers' (absolute paths)."""
        cls, kwargs = step.spec()
        worker = self._worker_config()
        kwargs = {k: (worker if isinstance(v, RunConfig) else v) for k, v in kwargs.items()}
        if kwargs.get("translator") is not None:
            _check_picklable(kwargs["translator"])
        return cls, kwargs

    def _run(self, pools: list, specs: list, shards: Iterable[Any], total: int | None) -> ExecutionReport:
        plan = self._plan(pools)
        actors = [self._actors(name, pool_specs, plan["pools"][name]) for name, pool_specs in specs]
        limit = self.config.executor.ray_in_flight or 2 * max(len(a) for a in actors)
        done = 0
        try:
            for _ in progress(self._stream(actors, shards, limit), total, "mt run (ray)", self.config.quiet,
                              interval=self.config.executor.progress_seconds, weight=shard_docs):
                done += 1
        except MtError:
            raise
        except BaseException as exc:
            failure = self._failure(exc)
            if failure is exc:      # Ctrl-C, SystemExit: as they are
                raise
            raise failure from exc
        finally:
            for actor in (a for pool in actors for a in pool):
                self.ray.kill(actor)
        executor = {"kind": self.name, "address": self.config.executor.ray_address, **plan, "in_flight": limit}
        return ExecutionReport(executor=executor, shards_run=done)

    def _actors(self, name: str, specs: list, p: dict[str, Any]) -> list[Any]:
        retries = self.config.executor.ray_max_retries
        cls = self.ray.remote(StepActor).options(num_cpus=p["num_cpus"], num_gpus=p["num_gpus"] or 0,
                                                 max_restarts=retries, max_task_retries=retries)
        return [cls.remote(specs, name) for _ in range(p["actors"])]

    def _stream(self, actors: list[list[Any]], shards: Iterable[Any], limit: int) -> Iterator[ShardEnd]:
        """Each shard through one actor of every pool in turn (refs chained actor to actor); at most ``limit``
        in flight; yields each shard's ShardEnd as it finishes."""
        turns = [cycle(pool) for pool in actors]
        pending = iter(shards)
        in_flight: dict[Any, str] = {}
        listed = True
        while True:
            while listed and len(in_flight) < limit:
                shard = next(pending, None)
                if shard is None:
                    listed = False
                    break
                ref: Any = [shard]
                for turn in turns:
                    ref = next(turn).run.remote(ref)
                in_flight[ref] = shard.id
            if not in_flight:
                return
            ready, _ = self.ray.wait(list(in_flight), num_returns=1)
            for ref in ready:
                in_flight.pop(ref)
                yield from (item for item in self.ray.get(ref) if isinstance(item, ShardEnd))

    def _failure(self, exc: BaseException) -> BaseException:
        inner = _mt_error_in(exc)
        if inner is not None:
            return inner
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            return exc
        return ModelError(f"the Ray run failed: {_summary(exc)}", where="executor=ray",
                          fix="see the worker log above; re-run the same command: translations already made "
                              "are in the translation cache and are not redone (a dead worker is retried "
                              f"executor.ray_max_retries={self.config.executor.ray_max_retries} times)")


_ERROR_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception)): (.+)$", re.M)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _check_reachable(address: str) -> None:
    """Fail in seconds on a HOST:PORT nobody listens on (Ray itself retries for minutes)."""
    import socket

    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit() or not host:
        return          # "auto", "local" and other forms are left to Ray
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        raise ConfigError(f"no Ray cluster answers at '{address}': {exc.strerror or exc}", where="executor.ray_address",
                          fix="start one with `ray start --head` (port 6379) and pass HEAD_IP:6379, use 'auto' on a "
                              "cluster node, or omit --ray-address to start a local Ray") from None


def _summary(exc: BaseException) -> str:
    """The most telling line of a Ray failure: the last non-Ray ``SomeError: message`` of the worker traceback."""
    text = _ANSI.sub("", str(exc))
    lines = [f"{name}: {msg.strip()}" for name, msg in _ERROR_LINE.findall(text)]
    own = [ln for ln in lines if not ln.startswith("ray.")]
    pick = (own or lines or [ln for ln in text.splitlines() if ln.strip()] or [""])[-1]
    return f"{type(exc).__name__}: {pick[:300]}"


def _check_picklable(translator: Any) -> None:
    from ray import cloudpickle

    try:
        cloudpickle.dumps(translator)
    except Exception as exc:  # noqa: BLE001 - any pickling failure means the same thing here
        raise ConfigError(f"the translator passed to the Ray executor cannot be sent to the actors ({exc})",
                          where="executor=ray",
                          fix="pass translator=None: each Ray actor then loads the model from [translate]") from None
