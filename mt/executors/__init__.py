"""Where the steps run: ``local`` (this process) or ``ray`` (a Ray cluster, extra ``[ray]``).

An executor is a class built from the run config with one method, ``run(steps, sources) ->
mt.run.ExecutionReport``: it pipes ``sources`` (the run's input files) through the steps in order and
reports each step's stats. It knows no step by name or position (``step.resources`` says where one runs).
"""
from __future__ import annotations

from ..registry import Registry

EXECUTORS: Registry = Registry("executor")
EXECUTORS.register("local", "mt.executors.local:LocalExecutor")
EXECUTORS.register("ray", "mt.executors.ray:RayExecutor")
