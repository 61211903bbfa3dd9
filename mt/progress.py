"""Progress of a run: a tqdm bar on a terminal, a one-line log every few seconds otherwise (logs, CI, nohup)."""
from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

log = logging.getLogger("mt.progress")


Weight = Callable[[Any], int] | None    # how many units an item stands for (None: one)


def progress(iterable: Iterable[Any], total: int | None, desc: str, quiet: bool, unit: str = "doc",
             interval: float = 30.0, weight: Weight = None) -> Iterable[Any]:
    """Wrap ``iterable`` with the progress display that suits stderr (nothing when ``quiet``); ``weight(item)``
    says how many ``unit``s an item stands for (e.g. the documents of a finished shard)."""
    if quiet:
        return iterable
    if sys.stderr.isatty():
        return _bar(iterable, total, desc, unit, weight)
    return progress_log(iterable, total, desc, unit, interval, weight) if interval > 0 else iterable


def _bar(iterable: Iterable[Any], total: int | None, desc: str, unit: str, weight: Weight) -> Iterator[Any]:
    from tqdm.auto import tqdm

    with tqdm(total=total, desc=desc, unit=unit, dynamic_ncols=True) as bar:
        for item in iterable:
            yield item
            bar.update(weight(item) if weight else 1)


def progress_log(iterable: Iterable[Any], total: int | None, desc: str, unit: str,
                 interval: float, weight: Weight = None) -> Iterator[Any]:
    """Yield from ``iterable``; every ``interval`` seconds log ``desc: N/M docs (P%), R docs/s, ETA``."""
    start = last = time.monotonic()
    done = 0
    for item in iterable:
        yield item
        done += weight(item) if weight else 1
        now = time.monotonic()
        if now - last >= interval:
            last = now
            log.info("%s", progress_line(desc, done, total, now - start, unit))
    if done:
        log.info("%s (done)", progress_line(desc, done, total, time.monotonic() - start, unit))


def progress_line(desc: str, done: int, total: int | None, elapsed: float, unit: str) -> str:
    rate = done / elapsed if elapsed > 0 else 0.0
    line = f"{desc}: {done}" + (f"/{total} {unit}s ({100 * done / total:.0f}%)" if total else f" {unit}s")
    line += f", {elapsed:.0f} s, {rate:.2f} {unit}s/s"
    if total and rate > 0 and done < total:
        line += f", about {(total - done) / rate:.0f} s left"
    return line
