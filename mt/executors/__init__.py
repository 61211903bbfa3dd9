"""Where the steps run: ``local`` (this process) or ``ray`` (a Ray cluster, extra ``[ray]``).

An executor is a class built from the run config with one method, ``run(steps, shards, total) ->
mt.run.ExecutionReport``: it pipes each shard (:mod:`mt.shards`) through the steps in order; the last step
(write) marks each shard done with its report, so the executor returns only its own details and the number of
shards it ran. It knows no step by name or position (``step.resources`` says where one runs); ``total`` is the
number of documents to expect, for progress (None: unknown).
"""
from __future__ import annotations

from ..registry import Registry

EXECUTORS: Registry = Registry("executor")
EXECUTORS.register("local", "mt.executors.local:LocalExecutor")
EXECUTORS.register("ray", "mt.executors.ray:RayExecutor")
