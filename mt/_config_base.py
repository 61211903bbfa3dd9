"""Base class of every config section: strict (unknown keys are errors)."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def at_least(minimum: float, v: Any) -> Any:
    """The shared check of numeric config keys (None = unset is fine): ``v >= minimum``."""
    if v is not None and v < minimum:
        raise ValueError(f"must be >= {minimum:g}")
    return v
