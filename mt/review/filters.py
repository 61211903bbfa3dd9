"""Filters of ``mt review export``: drop rejected rows, rows under a score, rows with a flag.

Every dropped row is counted under the first filter that drops it (the card's "Rows dropped"
table and ``export.json``) and listed in ``dropped.jsonl`` with that reason; nothing goes silently.
Filters apply to the ``sentences`` rows; ``captions`` rows are exported as the pipeline wrote them.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..errors import ConfigError
from ..write.rows import SCORE_FIELDS
from .flags import FLAGS


@dataclass(frozen=True)
class ExportFilters:
    """``drop_rejected``: rows a reviewer rejected; ``min_scores``: score name -> lowest kept value (a row
    without that score is kept: the score does not apply to it); ``drop_flags``: review flags
    (:data:`mt.review.flags.FLAGS`) or pipeline flags (``degenerate`` also matches ``degenerate:repeat``)."""

    drop_rejected: bool = False
    min_scores: dict[str, float] = field(default_factory=dict)
    drop_flags: tuple[str, ...] = ()

    @classmethod
    def parse(cls, *, drop_rejected: bool = False, min_scores: Iterable[str] = (),
              drop_flags: Iterable[str] = ()) -> "ExportFilters":
        """From command-line values: ``min_scores`` as ``NAME=VALUE`` (``align=0.6``)."""
        scores: dict[str, float] = {}
        for text in min_scores:
            name, sep, value = text.partition("=")
            name = name.strip()
            if not sep or name not in SCORE_FIELDS:
                raise ConfigError(f"bad --min-score {text!r}", where="review export --min-score",
                                  fix=f"use NAME=VALUE with NAME one of {', '.join(SCORE_FIELDS)}, e.g. align=0.6")
            try:
                scores[name] = float(value)
            except ValueError:
                raise ConfigError(f"bad --min-score {text!r}: {value!r} is not a number",
                                  where="review export --min-score", fix="e.g. --min-score align=0.6") from None
            if math.isnan(scores[name]):
                raise ConfigError(f"bad --min-score {text!r}", where="review export --min-score",
                                  fix="give a number, e.g. align=0.6")
        return cls(drop_rejected=drop_rejected, min_scores=scores,
                   drop_flags=tuple(dict.fromkeys(f.strip() for f in drop_flags if f.strip())))

    def __bool__(self) -> bool:
        return bool(self.drop_rejected or self.min_scores or self.drop_flags)

    def describe(self) -> dict[str, Any]:
        return {"drop_rejected": self.drop_rejected, "min_scores": dict(self.min_scores),
                "drop_flags": list(self.drop_flags)}

    def check(self, rows: list[dict[str, Any]]) -> None:
        """ConfigError for a ``drop_flags`` name that is neither a review flag nor any row's pipeline flag
        (most likely a typo: it would drop nothing)."""
        seen = {f for r in rows for f in r.get("flags") or [] if isinstance(f, str)}
        seen |= {f.split(":")[0] for f in seen}
        for name in self.drop_flags:
            if name not in FLAGS and name not in seen:
                raise ConfigError(f"unknown flag {name!r} for --drop-flag", where="review export --drop-flag",
                                  fix=f"review flags: {', '.join(FLAGS)}; pipeline flags in this corpus: "
                                      f"{', '.join(sorted(seen)) or 'none'}")

    def reason(self, row: dict[str, Any]) -> str | None:
        """Why ``row`` (a reviewed row: ``status``, ``review_flags``) is dropped, or None to keep it."""
        if self.drop_rejected and row.get("status") == "rejected":
            return "rejected"
        scores = row.get("scores") if isinstance(row.get("scores"), dict) else {}
        for name, low in self.min_scores.items():
            value = scores.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value < low:
                return f"{name} < {low:g}"
        pipeline = [f for f in row.get("flags") or [] if isinstance(f, str)]
        for name in self.drop_flags:
            if name in (row.get("review_flags") or []) or any(f == name or f.split(":")[0] == name for f in pipeline):
                return f"flag {name}"
        return None

    def split(self, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Counter]:
        """(kept rows, dropped ``{id, reason}`` records, dropped count by reason)."""
        kept, dropped = [], []
        for row in rows:
            why = self.reason(row)
            if why is None:
                kept.append(row)
            else:
                dropped.append({"id": row["id"], "doc_id": row.get("doc_id"), "reason": why})
        return kept, dropped, Counter(d["reason"] for d in dropped)
