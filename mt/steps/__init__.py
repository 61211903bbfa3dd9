"""The steps of a run (one class each, one ``run(items)`` generator, own stats and resources).

Built and ordered by :func:`mt.pipeline.build_steps`; executed by :mod:`mt.executors`. A new step is a
:class:`Step` subclass in this package, added to that list.
"""
from __future__ import annotations

from .align import AlignStep
from .base import Resources, Step, StepStats
from .parse import ParseStep
from .read import ReadStep
from .segment import SegmentStep
from .translate import TranslateStep
from .write import WriteStep

__all__ = ["AlignStep", "ParseStep", "ReadStep", "Resources", "SegmentStep", "Step", "StepStats",
           "TranslateStep", "WriteStep"]
