"""Run the stages on a Ray cluster with Ray Data; the driver writes the same corpus as a local run.

The dataset is one row per input page, in the order of :func:`mt.read.find_inputs`::

    from_items (idx, path, name)
      -> Prep actors       read_doc + ParseStage + SegmentStage   (segmenter loaded once per actor)
      -> Translate actors  TranslateStage.translate_batch         (translator loaded once per actor, GPUs here)
      -> Align actors      AlignStage                             (embedder loaded once per actor)
      -> driver            iter_rows (order preserved) -> CorpusWriter

A row is ``{"idx": int, "doc": bytes, "info": bytes}``: ``doc`` is ``Doc.to_dict()`` pickled (nested,
heterogeneous dicts do not fit an Arrow schema), ``info`` carries per-document stage seconds and the
translate actors' engine counters. Actors are restarted and their in-flight batch re-run after a worker
dies (``[executor].ray_max_retries``); the driver puts rows back in input order, drops a row that arrives
twice and fails if one never arrives, so the corpus has every page exactly once. Translations go through
the same persistent cache as a local run (``[translate].cache``, shared by the actors), so a re-run, or a
re-run after a failure, only translates what is not cached yet.
"""
from __future__ import annotations

import logging
import math
import os
import pickle
import re
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from ..config import RunConfig
from ..errors import ConfigError, ModelError, MtError
from ..pipeline import RunResult, build_stages, engine_stats, finish_run, open_writer, run_signature
from ..read import find_inputs, read_doc
from ..records import Doc
from ..registry import require
from ..stages import AlignStage, ParseStage, SegmentStage, TranslateStage
from ..progress import progress

log = logging.getLogger(__name__)

#: Test hook: when this variable names a file that exists, the first translate actor to claim the file
#: (by deleting it) kills its own process with SIGKILL after translating its batch, before returning it.
KILL_ONCE_ENV = "MT_RAY_KILL_ONCE"

STAGE_NAMES = ("read", "parse", "segment", "translate", "align")


# -- rows <-> documents ----------------------------------------------------------------------------
def _docs_in(batch: dict[str, Any]) -> list[Doc]:
    return [Doc.from_dict(pickle.loads(b)) for b in batch["doc"]]


def _infos_in(batch: dict[str, Any]) -> list[dict[str, Any]]:
    return [pickle.loads(b) for b in batch["info"]]


def _batch_out(idx: Any, docs: list[Doc], infos: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    return {
        "idx": np.asarray(idx, dtype=np.int64),
        "doc": np.array([pickle.dumps(d.to_dict(), protocol=pickle.HIGHEST_PROTOCOL) for d in docs], dtype=object),
        "info": np.array([pickle.dumps(i, protocol=pickle.HIGHEST_PROTOCOL) for i in infos], dtype=object),
    }


def _charge(infos: list[dict[str, Any]], stage: str, seconds: float) -> None:
    """Spread a batch's wall time evenly over its documents (summed again on the driver)."""
    share = seconds / max(1, len(infos))
    for info in infos:
        info["t"][stage] = info["t"].get(stage, 0.0) + share


def _sum_stats(into: dict[str, Any], stats: dict[str, Any]) -> dict[str, Any]:
    """Add numeric counters (recursively); other values keep their first value."""
    for key, value in stats.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, dict)):
            into.setdefault(key, value)
        elif isinstance(value, dict):
            _sum_stats(into.setdefault(key, {}), value)
        else:
            into[key] = into.get(key, 0) + value
    return into


# -- the map stages (callable classes: one instance per Ray actor) --------------------------------
def _config(data: dict[str, Any]) -> RunConfig:
    """Rebuild the run config in a worker from plain data (validated by the worker's own code)."""
    return RunConfig.model_validate(data)


class PrepDocs:
    """read_doc + parse + segment for a batch of ``(idx, path, name, doc_id)`` rows."""

    def __init__(self, config_data: dict[str, Any]):
        config = _config(config_data)
        self.parse = ParseStage()
        self.segment = SegmentStage(config)

    def __call__(self, batch: dict[str, Any]) -> dict[str, np.ndarray]:
        infos: list[dict[str, Any]] = [{"t": {}} for _ in batch["idx"]]
        t0 = time.perf_counter()
        docs = [read_doc(Path(p), str(n), str(i)) for p, n, i in zip(batch["path"], batch["name"], batch["doc_id"])]
        t1 = time.perf_counter()
        docs = [self.parse.process(d) for d in docs]
        t2 = time.perf_counter()
        docs = [self.segment.process(d) for d in docs]
        t3 = time.perf_counter()
        for stage, seconds in (("read", t1 - t0), ("parse", t2 - t1), ("segment", t3 - t2)):
            _charge(infos, stage, seconds)
        return _batch_out(batch["idx"], docs, infos)


class TranslateDocs:
    """TranslateStage.translate_batch over a batch of documents; the translator is loaded once per actor."""

    def __init__(self, config_data: dict[str, Any], translator: Any = None):
        self.stage = TranslateStage(_config(config_data), translator=translator)
        self.stage.translator  # load now: a missing model fails the actor's start, not a batch
        self.actor_id = uuid.uuid4().hex
        self.calls = 0

    def __call__(self, batch: dict[str, Any]) -> dict[str, np.ndarray]:
        docs, infos = _docs_in(batch), _infos_in(batch)
        t0 = time.perf_counter()
        self.stage.translate_batch(docs)
        _charge(infos, "translate", time.perf_counter() - t0)
        self.calls += 1
        if infos:
            # cumulative counters of this actor (the driver keeps the latest per actor and sums them) and the
            # engine's signature as loaded here (device / compute type can differ from the driver's)
            infos[0]["stats"] = (self.actor_id, self.calls, engine_stats(self.stage.translator))
            infos[0]["sig"] = self.stage.signature()
        _maybe_die()
        return _batch_out(batch["idx"], docs, infos)

    def __del__(self) -> None:  # close the cache connection when the actor ends
        try:
            self.stage.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


class AlignDocs:
    """AlignStage over a Ray batch; the aligner (and its embedder and cache) is built once per actor.

    The batch goes through the stage as one stream, so its texts are embedded in chunks
    (``executor.docs_per_batch``) like on the local executor, not page by page."""

    def __init__(self, config_data: dict[str, Any], mt_is_real: bool):
        self.stage = AlignStage(_config(config_data), mt_is_real=mt_is_real)

    def __call__(self, batch: dict[str, Any]) -> dict[str, np.ndarray]:
        docs, infos = _docs_in(batch), _infos_in(batch)
        t0 = time.perf_counter()
        docs = list(self.stage(docs))
        _charge(infos, "align", time.perf_counter() - t0)
        return _batch_out(batch["idx"], docs, infos)


def _maybe_die() -> None:
    marker = os.environ.get(KILL_ONCE_ENV)
    if not marker:
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
    name = "ray"

    def __init__(self, config: RunConfig):
        self.config = config
        self.ray = require("ray", "the Ray executor")

    # ------------------------------------------------------------------
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

    def _plan(self) -> dict[str, Any]:
        """Actor counts and per-actor resources from the config and the cluster's resources."""
        ex = self.config.executor
        res = self.ray.cluster_resources()
        cpus = float(res.get("CPU", 0.0))
        gpus = float(res.get("GPU", 0.0))   # what Ray can schedule; a GPU Ray does not know of cannot be used
        if not gpus and self._driver_has_gpu():
            log.warning("this machine has a GPU but the Ray cluster reports none: the translate actors run on CPU "
                        "(start Ray with `ray start --num-gpus N`, or let mt start it)")
        gpu_per_actor = ex.ray_num_gpus_per_actor
        if gpu_per_actor is None:
            gpu_per_actor = 1.0 if gpus and self.config.translate.device != "cpu" else 0.0
        light = ex.ray_num_cpus_light
        prep = ex.ray_prep_actors or max(1, int(cpus // 4))
        align = ex.ray_align_actors or max(1, int(cpus // 4))
        free = cpus - light * (prep + align)
        by_cpu = int(free // ex.ray_num_cpus_per_actor) if ex.ray_num_cpus_per_actor else None
        if ex.ray_actors:
            actors = ex.ray_actors
        elif gpu_per_actor:
            by_gpu = int(gpus // gpu_per_actor)
            actors = max(1, min(by_gpu, by_cpu) if by_cpu is not None else by_gpu)
            if actors < by_gpu:
                log.warning("only %d translate actors for %g GPUs: not enough free CPUs for one per GPU "
                            "(lower executor.ray_num_cpus_per_actor or the prep/align pools)", actors, gpus)
        else:
            actors = max(1, by_cpu) if by_cpu is not None else 1
        need_cpu = light * (prep + align) + ex.ray_num_cpus_per_actor * actors
        if need_cpu > cpus + 1e-9:
            raise ConfigError(
                f"the Ray actors need {need_cpu:g} CPUs ({prep} prep + {align} align x {light:g}, "
                f"{actors} translate x {ex.ray_num_cpus_per_actor:g}) but the cluster has {cpus:g}",
                where="executor", fix="lower executor.ray_actors / ray_prep_actors / ray_align_actors or the "
                                      "ray_num_cpus_* reservations, or add nodes")
        if gpu_per_actor * actors > gpus + 1e-9:
            raise ConfigError(f"{actors} translate actors x {gpu_per_actor:g} GPUs need more GPUs than the "
                              f"cluster has ({gpus:g})", where="executor.ray_num_gpus_per_actor",
                              fix="set executor.ray_num_gpus_per_actor = 0 for CPU actors, or fewer ray_actors")
        return {"cpus": cpus, "gpus": gpus, "prep_actors": prep, "align_actors": align, "translate_actors": actors,
                "num_gpus_per_actor": gpu_per_actor, "num_cpus_per_actor": ex.ray_num_cpus_per_actor,
                "num_cpus_light": light, "batch_size": ex.ray_batch_size or ex.docs_per_batch}

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

    # ------------------------------------------------------------------
    def run(self, translator: Any = None, digest: str | None = None, output: Any = None) -> RunResult:
        config = self.config
        self._output = output      # the locked OUTPUT_DIR of run_pipeline (None: the writer opens its own)
        started = time.time()
        t_start = time.perf_counter()
        inputs = find_inputs(config.input.paths, config.input.patterns)
        # The stages are built once on the driver too: config and model errors surface before any Ray work,
        # and the run's signature (model, segmenter, aligner) is the same as a local run's.
        stages = build_stages(config, translator=translator)
        signature = run_signature(stages)
        mt_is_real = bool(getattr(stages[2].translator, "is_real", True))
        if translator is None:
            stages[2].close()
        del stages
        if translator is not None:
            _check_picklable(translator)
        t_load = time.perf_counter() - t_start
        started_ray = self._connect()
        try:
            return self._run(inputs, signature, mt_is_real, translator, started, t_start, t_load, digest)
        finally:
            if started_ray:
                self.ray.shutdown()

    def _run(self, inputs: list[Any], signature: dict[str, Any], mt_is_real: bool, translator: Any,
             started: float, t_start: float, t_load: float, digest: str | None) -> RunResult:
        import ray.data
        from ray.data import ActorPoolStrategy, DataContext

        config = self.config
        plan = self._plan()
        wconfig = self._worker_config().model_dump(mode="json")
        retries = {"max_restarts": config.executor.ray_max_retries,
                   "max_task_retries": config.executor.ray_max_retries}
        bs = plan["batch_size"]
        ctx = DataContext.get_current()
        saved = (ctx.execution_options.preserve_order, ctx.enable_progress_bars, ctx.print_on_execution_start)
        ctx.execution_options.preserve_order = True    # rows come back in input order
        ctx.enable_progress_bars = False               # the driver shows one bar over written documents
        ctx.print_on_execution_start = False
        ray_data_log = logging.getLogger("ray.data")      # Ray Data's INFO chatter; errors still show
        saved_level = ray_data_log.level
        ray_data_log.setLevel(logging.ERROR if config.quiet else logging.WARNING)
        writer = open_writer(config, signature, self._output)
        totals = {name: 0.0 for name in STAGE_NAMES}
        actor_stats: dict[str, tuple[int, dict[str, Any]]] = {}
        sigs: dict[str, dict[str, Any]] = {}
        t_write = 0.0
        try:
            items = [{"idx": i, "path": str(f.path), "name": f.name, "doc_id": f.doc_id} for i, f in enumerate(inputs)]
            ds = ray.data.from_items(items, override_num_blocks=max(1, math.ceil(len(items) / bs))) if items else None
            if ds is not None:
                ds = _map(ds, PrepDocs, (wconfig,), bs, ActorPoolStrategy(size=plan["prep_actors"]),
                          retries, num_cpus=plan["num_cpus_light"])
                ds = _map(ds, TranslateDocs, (wconfig, translator), bs,
                          ActorPoolStrategy(size=plan["translate_actors"]), retries,
                          num_cpus=plan["num_cpus_per_actor"], num_gpus=plan["num_gpus_per_actor"] or None)
                ds = _map(ds, AlignDocs, (wconfig, mt_is_real), bs, ActorPoolStrategy(size=plan["align_actors"]),
                          retries, num_cpus=plan["num_cpus_light"])
            rows = _in_order(ds.iter_rows() if ds is not None else iter(()), len(items))
            for idx, doc, info in progress(rows, len(items), "mt run (ray)", config.quiet,
                                                 interval=config.executor.progress_seconds):
                if "sig" in info:
                    sigs.setdefault(repr(sorted(info["sig"].items())), info["sig"])
                    if idx == 0 and {**signature, **info["sig"]} != signature:
                        # the actors loaded the engine differently (e.g. on a GPU): the corpus says so
                        signature = {**signature, **info["sig"]}
                        writer.abort()
                        writer = open_writer(config, signature, self._output)
                for stage, seconds in info["t"].items():
                    totals[stage] += seconds
                if "stats" in info:
                    actor, seq, stats = info["stats"]
                    if actor not in actor_stats or actor_stats[actor][0] < seq:
                        actor_stats[actor] = (seq, stats)
                t0 = time.perf_counter()
                writer.write(doc)
                t_write += time.perf_counter() - t0
            summed: dict[str, Any] = {}
            for _, stats in actor_stats.values():
                _sum_stats(summed, stats)
            timings = {"load_engines": t_load, **totals, "write": t_write, "total": time.perf_counter() - t_start}
            executor = {"kind": self.name, "address": config.executor.ray_address, **plan,
                        "actors_reporting_stats": len(actor_stats),
                        "timings_note": "stage timings are worker seconds summed over documents, not wall time"}
            if len(sigs) > 1:
                log.warning("translate actors loaded the engine differently: %s", list(sigs.values()))
                executor["actor_signatures"] = list(sigs.values())
            return finish_run(config, writer, started=started, executor=executor, timings=timings,
                              engine_stats=summed, digest=digest)
        except MtError:
            writer.abort()
            raise
        except BaseException as exc:
            writer.abort()
            inner = _mt_error_in(exc)
            if inner is not None:
                raise inner from None
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            raise ModelError(f"the Ray run failed: {_summary(exc)}", where="executor=ray",
                             fix="see the worker log above; re-run the same command: translations already made "
                                 "are in the translation cache and are not redone "
                                 f"(a dead worker is retried executor.ray_max_retries="
                                 f"{config.executor.ray_max_retries} times)") from exc
        finally:
            ctx.execution_options.preserve_order, ctx.enable_progress_bars, ctx.print_on_execution_start = saved
            ray_data_log.setLevel(saved_level)


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
    """Yield ``(idx, Doc, info)`` for idx 0..n-1 exactly once each, in order, whatever order rows arrive in."""
    pending: dict[int, tuple[bytes, bytes]] = {}
    nxt = 0
    dup = 0
    for row in rows:
        idx = int(row["idx"])
        if idx < nxt or idx in pending:
            dup += 1
            log.warning("document %d arrived twice from Ray; the second copy is dropped", idx)
            continue
        pending[idx] = (row["doc"], row["info"])
        while nxt in pending:
            doc, info = pending.pop(nxt)
            yield nxt, Doc.from_dict(pickle.loads(doc)), pickle.loads(info)
            nxt += 1
    if nxt != n or pending:
        missing = n - nxt
        raise MtError(f"the Ray run returned {nxt} of {n} documents in order ({missing} missing)",
                      where="executor=ray", fix="re-run: translations already made are cached")
    if dup:
        log.warning("%d duplicate documents from Ray were dropped", dup)
