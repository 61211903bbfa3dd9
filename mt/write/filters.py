"""Row filters on pipeline scores and flags: ``[output] min_scores / drop_flags`` of ``mt run`` (and the base of
``mt review export``'s filters). Every dropped row keeps its reason: nothing goes silently."""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError
from .rows import SCORE_FIELDS


def parse_min_scores(texts: Iterable[str], where: str, label: str = "--min-score") -> dict[str, float]:
    """``["align=0.6", ...]`` -> ``{"align": 0.6}``; a bad name or value is a ConfigError naming ``where``."""
    scores: dict[str, float] = {}
    for text in texts:
        name, sep, value = text.partition("=")
        name = name.strip()
        if not sep or name not in SCORE_FIELDS:
            raise ConfigError(f"bad {label} {text!r}", where=where,
                              fix=f"use NAME=VALUE with NAME one of {', '.join(SCORE_FIELDS)}, e.g. align=0.6")
        try:
            scores[name] = float(value)
        except ValueError:
            raise ConfigError(f"bad {label} {text!r}: {value!r} is not a number", where=where,
                              fix="e.g. align=0.6") from None
        if math.isnan(scores[name]):
            raise ConfigError(f"bad {label} {text!r}", where=where, fix="give a number, e.g. align=0.6")
    return scores


def check_min_scores(scores: dict[str, float]) -> dict[str, float]:
    """For the config: names must be score fields, values numbers."""
    unknown = [name for name in scores if name not in SCORE_FIELDS]
    if unknown:
        raise ValueError(f"unknown score {unknown[0]!r}; scores: {', '.join(SCORE_FIELDS)}")
    return scores


def has_flag(flags: Iterable[Any], name: str) -> bool:
    """``name`` among pipeline ``flags`` (``degenerate`` also matches ``degenerate:repeat``)."""
    return any(isinstance(f, str) and (f == name or f.split(":")[0] == name) for f in flags)


@dataclass(frozen=True)
class RowFilters:
    """``min_scores``: score name -> lowest kept value (a row without that score is kept: it does not apply);
    ``drop_flags``: pipeline flags whose rows are dropped."""

    min_scores: dict[str, float] = field(default_factory=dict)
    drop_flags: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.min_scores or self.drop_flags)

    def describe(self) -> dict[str, Any]:
        return {"min_scores": dict(self.min_scores), "drop_flags": list(self.drop_flags)}

    def reason(self, row: dict[str, Any]) -> str | None:
        """Why ``row`` is dropped, or None to keep it."""
        scores = row.get("scores") if isinstance(row.get("scores"), dict) else {}
        for name, low in self.min_scores.items():
            value = scores.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value < low:
                return f"{name} < {low:g}"
        for name in self.drop_flags:
            if has_flag(row.get("flags") or [], name):
                return f"flag {name}"
        return None

    def split(self, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Counter]:
        """(kept rows, dropped ``{id, doc_id, reason}`` records, dropped count by reason)."""
        kept, dropped = [], []
        for row in rows:
            why = self.reason(row)
            if why is None:
                kept.append(row)
            else:
                dropped.append({"id": row["id"], "doc_id": row.get("doc_id"), "reason": why})
        return kept, dropped, Counter(d["reason"] for d in dropped)
