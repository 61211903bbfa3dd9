"""Filters of ``mt review export``: drop rejected rows, rows under a score, rows with a flag.

Every dropped row is counted under the first filter that drops it (the card's "Rows dropped"
table and ``export.json``) and listed in ``dropped.jsonl`` with that reason; nothing goes silently.
Filters apply to the ``sentences`` rows; ``captions`` rows are exported as the pipeline wrote them.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..write.filters import RowFilters, parse_min_scores
from .flags import FLAGS


@dataclass(frozen=True)
class ExportFilters(RowFilters):
    """:class:`~mt.write.filters.RowFilters` plus ``drop_rejected`` (rows a reviewer rejected); ``drop_flags``
    may also name review flags (:data:`mt.review.flags.FLAGS`)."""

    drop_rejected: bool = False

    @classmethod
    def parse(cls, *, drop_rejected: bool = False, min_scores: Iterable[str] = (),
              drop_flags: Iterable[str] = ()) -> "ExportFilters":
        """From command-line values: ``min_scores`` as ``NAME=VALUE`` (``align=0.6``)."""
        return cls(drop_rejected=drop_rejected, min_scores=parse_min_scores(min_scores, "review export --min-score"),
                   drop_flags=tuple(dict.fromkeys(f.strip() for f in drop_flags if f.strip())))

    def __bool__(self) -> bool:
        return bool(self.drop_rejected or super().__bool__())

    def describe(self) -> dict[str, Any]:
        return {"drop_rejected": self.drop_rejected, **super().describe()}

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
        why = super().reason(row)
        if why is None:
            review = row.get("review_flags") or []
            why = next((f"flag {name}" for name in self.drop_flags if name in review), None)
        return why
