"""Run the steps on a Ray cluster with Ray Data; the driver writes the same corpus as a local run.

The steps are grouped by ``step.resources.pool`` (consecutive steps of one pool run together); every pool but
``driver`` becomes one ``map_batches`` over an actor pool, each actor rebuilding its steps once from
``step.spec()`` (so a model loads once per actor)::

    from_items (idx, pickled input file)
      -> actors of pool 1 (read, parse, segment)  -> actors of pool 2 (translate; GPUs here) -> pool 3 (align)
      -> driver: rows back in input order -> the driver pool's steps (write)

A row is ``{"idx": int, "obj": bytes, "info": bytes}``: ``obj`` is the pickled input file or document,
``info`` holds ``reports``: the first row of each actor batch gets one (the batch's step stats, the actor's
cumulative engine counters and its steps' signatures), carried on through the later pools to the driver. Actors are restarted and their in-flight batch re-run after a worker dies
(``[executor].ray_max_retries``); the driver puts rows back in input order, drops a row that arrives twice and
fails if one never arrives, so the corpus has every page exactly once. Translations go through the same
persistent cache as a local run (``[translate].cache``, shared by the actors), so a re-run only translates what
is not cached yet.
"""
from __future__ import annotations

import logging
import math
import os
import pickle
import re
import signal
import uuid
from collections.abc import Sequence
from itertools import groupby
from pathlib import Path
from typing import Any

import numpy as np

from ..config import RunConfig
from ..errors import ConfigError, ModelError, MtError
from ..progress import progress
from ..registry import require
from ..run import ExecutionReport, sum_counters
from ..steps import StepStats

log = logging.getLogger(__name__)

#: Test hook: when this variable names a file that exists, the first actor of pool KILL_POOL_ENV (default
#: "translate") to claim the file (by deleting it) kills its own process with SIGKILL after running its batch.
KILL_ONCE_ENV = "MT_RAY_KILL_ONCE"
KILL_POOL_ENV = "MT_RAY_KILL_POOL"

#: pool -> (``[executor]`` key of its actor count, key of the CPUs reserved per actor); other pools: defaults
POOL_SETTINGS = {"prep": ("ray_prep_actors", "ray_num_cpus_light"),
                 "translate": ("ray_actors", "ray_num_cpus_per_actor"),
                 "align": ("ray_align_actors", "ray_num_cpus_light")}
DRIVER_POOL = "driver"


# -- rows <-> objects ----------------------------------------------------------------------------------
def _batch_out(idx: Any, objs: list[Any], infos: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    return {
        "idx": np.asarray(idx, dtype=np.int64),
        "obj": np.array([pickle.dumps(o, protocol=pickle.HIGHEST_PROTOCOL) for o in objs], dtype=object),
        "info": np.array([pickle.dumps(i, protocol=pickle.HIGHEST_PROTOCOL) for i in infos], dtype=object),
    }


class StepActor:
    """One Ray actor of a pool: builds the pool's steps once, pipes each batch through them."""

    def __init__(self, specs: list[tuple[type, dict[str, Any]]], pool: str):
        self.steps = [cls(**kwargs) for cls, kwargs in specs]
        self.pool = pool
        self.actor_id = uuid.uuid4().hex
        self.calls = 0

    def __call__(self, batch: dict[str, Any]) -> dict[str, np.ndarray]:
        # the reports of the pools before this one travel on with their rows (steps map documents 1:1, in order)
        infos = [pickle.loads(b) for b in batch["info"]] if "info" in batch else [{} for _ in batch["idx"]]
        stream: Any = (pickle.loads(b) for b in batch["obj"])
        for step in self.steps:
            stream = step.run(stream)
        out = list(stream)
        if len(out) != len(infos):
            raise MtError(f"the {self.pool} steps returned {len(out)} documents for {len(infos)}",
                          where="executor=ray", fix="steps must yield one document per input, in order")
        self.calls += 1
        report = {"stats": {s.name: s.stats.as_dict() for s in self.steps},
                  "engine": (self.actor_id, self.calls, {s.name: s.engine_stats() for s in self.steps
                                                         if s.engine_stats()}),
                  "sig": {k: v for s in self.steps for k, v in s.signature().items()}}
        for step in self.steps:
            step.stats = StepStats()          # the next batch reports its own share
        _maybe_die(self.pool)
        if infos:
            infos[0].setdefault("reports", []).append(report)
        return _batch_out(batch["idx"], out, infos)

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

    Ray Data does not ship the original exception object back (only its traceback text), so the error is
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

    def run(self, steps: Sequence[Any], sources: Sequence[Any]) -> ExecutionReport:
        pools = [(name, list(group)) for name, group in groupby(steps, key=lambda s: s.resources.pool)]
        remote = [(name, group) for name, group in pools if name != DRIVER_POOL]
        local = [s for name, group in pools if name == DRIVER_POOL for s in group]
        names = [name for name, _ in pools]
        if DRIVER_POOL in names and any(n != DRIVER_POOL for n in names[names.index(DRIVER_POOL):]):
            raise ConfigError("driver steps must come last on the Ray executor", where="executor=ray",
                              fix="run the steps locally (--executor local)")
        specs = [(name, [self._worker_spec(s) for s in group]) for name, group in remote]
        for _, group in remote:
            for step in group:
                step.close()   # the driver built them for their signature and errors; the actors load their own
        started_ray = self._connect()
        try:
            return self._run(remote, specs, local, sources)
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
        return {"cpus": cpus, "gpus": gpus, "batch_size": ex.ray_batch_size or ex.docs_per_batch,
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

    def _run(self, remote: list, specs: list, local: list, sources: Sequence[Any]) -> ExecutionReport:
        plan = self._plan(remote)
        with _quiet_ray_data(self.config.quiet):
            ds = self._dataset(specs, plan, sources)
            collected = _Collected()
            rows = _in_order(ds.iter_rows() if ds is not None else iter(()), len(sources))
            stream: Any = collected.docs(rows, local)
            for step in local:
                stream = step.run(stream)
            try:
                for _ in progress(stream, len(sources), "mt run (ray)", self.config.quiet,
                                  interval=self.config.executor.progress_seconds):
                    pass
            except MtError:
                raise
            except BaseException as exc:
                failure = self._failure(exc)
                if failure is exc:      # Ctrl-C, SystemExit: as they are
                    raise
                raise failure from exc
        executor = {"kind": self.name, "address": self.config.executor.ray_address, **plan,
                    "actors_reporting_stats": collected.actors,
                    "timings_note": "step timings are worker seconds summed over batches, not wall time"}
        if len(collected.sigs) > 1:
            log.warning("actors loaded their engines differently: %s", collected.sigs)
            executor["actor_signatures"] = collected.sigs
        stats = {**collected.stats, **{s.name: s.stats for s in local}}
        return ExecutionReport(executor=executor, stats=stats, engine_stats=collected.engine_stats())

    def _dataset(self, specs: list, plan: dict[str, Any], sources: Sequence[Any]) -> Any:
        import ray.data
        from ray.data import ActorPoolStrategy

        if not sources:
            return None
        retries = {"max_restarts": self.config.executor.ray_max_retries,
                   "max_task_retries": self.config.executor.ray_max_retries}
        bs = plan["batch_size"]
        items = [{"idx": i, "obj": pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)}
                 for i, item in enumerate(sources)]
        ds = ray.data.from_items(items, override_num_blocks=max(1, math.ceil(len(items) / bs)))
        for name, pool_specs in specs:
            p = plan["pools"][name]
            ds = _map(ds, StepActor, (pool_specs, name), bs, ActorPoolStrategy(size=p["actors"]), retries,
                      num_cpus=p["num_cpus"], num_gpus=p["num_gpus"] or None)
        return ds

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


class _Collected:
    """What the actors report with their rows: step stats (summed), engine counters (latest per actor)."""

    def __init__(self) -> None:
        self.stats: dict[str, StepStats] = {}
        self._engine: dict[str, tuple[int, dict[str, Any]]] = {}
        self.sigs: list[dict[str, Any]] = []

    @property
    def actors(self) -> int:
        return len(self._engine)

    def docs(self, rows: Any, local: list) -> Any:
        for idx, obj, info in rows:
            for report in info.get("reports", ()):
                self._absorb(report)
                if idx == 0:   # what the workers really ran (e.g. a GPU's compute type) is stamped on the files
                    for step in local:
                        step.update_signature(report["sig"])
            yield obj

    def _absorb(self, info: dict[str, Any]) -> None:
        for name, data in info["stats"].items():
            self.stats.setdefault(name, StepStats()).add(StepStats.from_dict(data))
        actor, seq, engine = info["engine"]
        if engine and (actor not in self._engine or self._engine[actor][0] < seq):
            self._engine[actor] = (seq, engine)
        if info["sig"] not in self.sigs:
            self.sigs.append(info["sig"])

    def engine_stats(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for _, by_step in self._engine.values():
            for stats in by_step.values():
                sum_counters(out, stats)
        return out


class _quiet_ray_data:
    """Ray Data settings for one run (order kept, its own progress bars and chatter off), restored after."""

    def __init__(self, quiet: bool):
        self.quiet = quiet

    def __enter__(self) -> None:
        from ray.data import DataContext

        ctx = DataContext.get_current()
        self.saved = (ctx.execution_options.preserve_order, ctx.enable_progress_bars, ctx.print_on_execution_start)
        ctx.execution_options.preserve_order = True    # rows come back in input order
        ctx.enable_progress_bars = False               # the driver shows one bar over written documents
        ctx.print_on_execution_start = False
        self.log = logging.getLogger("ray.data")
        self.level = self.log.level
        self.log.setLevel(logging.ERROR if self.quiet else logging.WARNING)

    def __exit__(self, *exc: Any) -> None:
        from ray.data import DataContext

        ctx = DataContext.get_current()
        ctx.execution_options.preserve_order, ctx.enable_progress_bars, ctx.print_on_execution_start = self.saved
        self.log.setLevel(self.level)


def _map(ds: Any, cls: type, args: tuple, batch_size: int, compute: Any, retries: dict[str, int], **resources: Any) -> Any:
    """``ds.map_batches`` over an actor pool of ``cls(*args)``, with bounded actor restarts / batch retries.

    Ray Data 2.60 takes ``max_restarts`` / ``max_task_retries`` only through ``**ray_remote_args`` (deprecated,
    to be removed in Ray 2.64, with no named replacement yet): when that goes, Ray's own defaults apply
    (actors restarted and batches retried without limit).
    """
    import warnings

    kwargs = {"fn_constructor_args": args, "batch_size": batch_size, "compute": compute, **resources}
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*ray_remote_args.*deprecated", category=Warning)
            return ds.map_batches(cls, **kwargs, **retries)
    except TypeError:  # a Ray without **ray_remote_args
        log.warning("this Ray does not take max_restarts/max_task_retries: using its default retry policy")
        return ds.map_batches(cls, **kwargs)


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


def _in_order(rows: Any, n: int) -> Any:
    """Yield ``(idx, object, info)`` for idx 0..n-1 exactly once each, in order, whatever order rows arrive in."""
    pending: dict[int, tuple[bytes, bytes]] = {}
    nxt = 0
    dup = 0
    for row in rows:
        idx = int(row["idx"])
        if idx < nxt or idx in pending:
            dup += 1
            log.warning("document %d arrived twice from Ray; the second copy is dropped", idx)
            continue
        pending[idx] = (row["obj"], row["info"])
        while nxt in pending:
            obj, info = pending.pop(nxt)
            yield nxt, pickle.loads(obj), pickle.loads(info)
            nxt += 1
    if nxt != n or pending:
        missing = n - nxt
        raise MtError(f"the Ray run returned {nxt} of {n} documents in order ({missing} missing)",
                      where="executor=ray", fix="re-run: translations already made are cached")
    if dup:
        log.warning("%d duplicate documents from Ray were dropped", dup)
