"""Where the stages run: ``local`` (this process) or ``ray`` (a Ray cluster, extra ``[ray]``)."""
from __future__ import annotations

from ..registry import Registry

EXECUTORS: Registry = Registry("executor")
EXECUTORS.register("local", "mt.executors.local:LocalExecutor")
EXECUTORS.register("ray", "mt.executors.ray:RayExecutor")
