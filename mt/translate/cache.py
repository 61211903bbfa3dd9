"""Persistent translation cache (SQLite, WAL mode, safe for several processes).

A row is keyed by a hash of everything that determines the output: engine,
compute type, model, revision, languages, decoding parameters, guard version
and the normalised source text. Results are written (and committed) batch by
batch, so a run killed mid-translation re-translates only what is missing.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import OutputError
from .base import Translation

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS translations (
    key     TEXT PRIMARY KEY,
    src     TEXT NOT NULL,
    text    TEXT NOT NULL,
    flags   TEXT NOT NULL,
    scores  TEXT NOT NULL,
    created REAL NOT NULL
)
"""


def cache_key(context: dict[str, Any], src_lang: str, source: str) -> str:
    """Key of one source text under a translation context (engine, model, decoding ...)."""
    h = hashlib.sha256()
    h.update(json.dumps(context, sort_keys=True, default=str).encode())
    h.update(b"\x00" + src_lang.encode() + b"\x00")
    h.update(source.encode("utf-8"))
    return h.hexdigest()


class TranslationCache:
    """SQLite store of finished translations. One connection per process (opened lazily)."""

    def __init__(self, path: str | Path):
        self.path = Path(path).expanduser()
        self._conn: sqlite3.Connection | None = None
        self._pid: int | None = None
        self.hits = 0
        self.writes = 0

    def _connect(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=60.0, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=60000")
            conn.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise OutputError(f"cannot open the translation cache: {exc}", where=str(self.path),
                              fix="set translate.cache to a writable file path, or to none to disable the cache") from exc
        self._conn, self._pid = conn, os.getpid()
        return conn

    def get_many(self, keys: Iterable[str]) -> dict[str, Translation]:
        keys = list(dict.fromkeys(keys))
        found: dict[str, Translation] = {}
        if not keys:
            return found
        conn = self._connect()
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            try:
                rows = conn.execute(f"SELECT key, text, flags, scores FROM translations WHERE key IN ({marks})",
                                    chunk).fetchall()
            except sqlite3.Error as exc:
                raise OutputError(f"cannot read the translation cache: {exc}", where=str(self.path),
                                  fix="delete the cache file or set translate.cache to another path") from exc
            for key, text, flags, scores in rows:
                found[key] = Translation(text=text, flags=json.loads(flags), scores=json.loads(scores))
        self.hits += len(found)
        return found

    def put_many(self, items: Iterable[tuple[str, str, Translation]]) -> None:
        """Store ``(key, source, translation)`` rows in one committed transaction."""
        rows = [(k, src, t.text, json.dumps(t.flags), json.dumps(t.scores), time.time()) for k, src, t in items]
        if not rows:
            return
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT OR REPLACE INTO translations (key, src, text, flags, scores, created) "
                             "VALUES (?, ?, ?, ?, ?, ?)", rows)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            raise OutputError(f"cannot write the translation cache: {exc}", where=str(self.path),
                              fix="check free disk space and permissions, or set translate.cache to none") from exc
        self.writes += len(rows)

    def __len__(self) -> int:
        return self._connect().execute("SELECT COUNT(*) FROM translations").fetchone()[0]

    def close(self) -> None:
        if self._conn is not None and self._pid == os.getpid():
            self._conn.close()
        self._conn = None

    def __getstate__(self) -> dict[str, Any]:   # picklable for process executors: reconnect on the other side
        state = self.__dict__.copy()
        state["_conn"] = None
        state["_pid"] = None
        return state
