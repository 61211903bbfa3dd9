"""Review decisions in ``OUTPUT_DIR/review.sqlite``.

Two tables:

``decisions``  one row per corpus row id: status (accepted / rejected / edited), edited
               text, version (1, 2, ... bumped on every change), updated_at, and the
               Thai / machine English the reviewer saw (``th_seen``, ``en_seen``).
``history``    append-only log of every change (never updated or deleted); an undo is logged
               as an entry with status ``undo`` (:meth:`DecisionStore.undo`).

Every change runs in one ``BEGIN IMMEDIATE`` transaction with an optimistic version
check: the client sends the version it last saw; if another tab changed the row in
between, the change is refused (:class:`Conflict`) and nothing is written. Changes to
different rows never conflict.
"""
from __future__ import annotations

import sqlite3
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from ..errors import InputError, OutputError

DB_FILE = "review.sqlite"
STATUSES = ("accepted", "rejected", "edited")
ACTIONS = {"accept": "accepted", "reject": "rejected", "edit": "edited"}
UNDO = "undo"   # history status of an undo (the decision it took back is the change before it)
SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    row_id     TEXT PRIMARY KEY,
    status     TEXT NOT NULL CHECK (status IN ('accepted', 'rejected', 'edited')),
    edited     TEXT,
    version    INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    th_seen    TEXT,
    en_seen    TEXT
);
CREATE TABLE IF NOT EXISTS history (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    row_id     TEXT NOT NULL,
    status     TEXT NOT NULL,
    edited     TEXT,
    version    INTEGER NOT NULL,
    at         TEXT NOT NULL,
    client     TEXT
);
CREATE INDEX IF NOT EXISTS history_row ON history(row_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS history_no_update BEFORE UPDATE ON history
    BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS history_no_delete BEFORE DELETE ON history
    BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
"""


@dataclass
class Decision:
    row_id: str
    status: str
    edited: str | None
    version: int
    at: str
    th_seen: str | None = None   # the Thai and machine English the reviewer saw
    en_seen: str | None = None

    def public(self) -> dict:
        data = asdict(self)
        for key in ("row_id", "th_seen", "en_seen"):
            data.pop(key)
        return data

    def stale(self, row: dict) -> bool:
        """True when the corpus row changed (re-run) since the reviewer decided."""
        return ((self.th_seen is not None and self.th_seen != row.get("th"))
                or (self.en_seen is not None and self.en_seen != row.get("en")))


class Conflict(Exception):
    """The row changed since the client last saw it."""

    def __init__(self, row_id: str, current: Decision | None, expected: int):
        self.row_id = row_id
        self.current = current
        self.expected = expected
        if current is None:
            msg = (f"row {row_id} has no decision any more (you had version {expected}); "
                   "your change was not saved -- look at the row again and redo it")
        else:
            msg = (f"row {row_id} was changed in another tab or by another reviewer at {current.at} "
                   f"(now {current.status}, version {current.version}; you had version {expected}); "
                   "your change was not saved -- look at the row again and redo it if still needed")
        super().__init__(msg)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class DecisionStore:
    """Decisions of one OUTPUT_DIR. Opens a short-lived connection per operation, so it
    is safe to use from several threads / server workers at once."""

    def __init__(self, path: Path, *, create: bool = True):
        self.path = Path(path)
        if create:
            self._init()

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise OutputError(f"cannot open the review database: {exc}", where=str(self.path),
                              fix="check that OUTPUT_DIR is writable") from exc
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 30000")
        return conn

    def _init(self) -> None:
        try:
            with closing(self._connect()) as conn:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.executescript(_SCHEMA)
                conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,))
        except sqlite3.Error as exc:
            raise OutputError(f"cannot initialise the review database: {exc}", where=str(self.path),
                              fix="check that OUTPUT_DIR is writable; move a damaged review.sqlite away") from exc

    @staticmethod
    def _decision(row: sqlite3.Row | None) -> Decision | None:
        if row is None:
            return None
        return Decision(row["row_id"], row["status"], row["edited"], row["version"], row["updated_at"],
                        row["th_seen"], row["en_seen"])

    def get(self, row_id: str) -> Decision | None:
        with closing(self._connect()) as conn:
            return self._decision(conn.execute(
                "SELECT * FROM decisions WHERE row_id = ?", (row_id,)).fetchone())

    def all(self) -> dict[str, Decision]:
        if not self.path.exists():
            return {}
        try:
            with closing(self._connect()) as conn:
                return {r["row_id"]: self._decision(r) for r in conn.execute("SELECT * FROM decisions")}
        except sqlite3.Error as exc:
            raise InputError(f"cannot read the review database: {exc}", where=str(self.path),
                             fix="move the damaged review.sqlite away (its decisions are lost) and review again") from exc

    def history(self, row_id: str | None = None) -> list[dict]:
        with closing(self._connect()) as conn:
            if row_id is None:
                rows = conn.execute("SELECT * FROM history ORDER BY seq").fetchall()
            else:
                rows = conn.execute("SELECT * FROM history WHERE row_id = ? ORDER BY seq", (row_id,)).fetchall()
            return [dict(r) for r in rows]

    def decide(self, row_id: str, status: str, *, expected_version: int, edited: str | None = None,
               th_seen: str | None = None, en_seen: str | None = None, client: str | None = None) -> Decision:
        """Set the decision of one row if its version is still ``expected_version``
        (0 = no decision yet); raise :class:`Conflict` otherwise. One transaction."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        if status != "edited":
            edited = None
        at = _now()
        with self._transaction() as conn:
            current = self._current(conn, row_id, expected_version)
            new_version = self._next_version(conn, row_id, current.version if current else 0)
            conn.execute(
                "INSERT INTO decisions(row_id, status, edited, version, updated_at, th_seen, en_seen) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(row_id) DO UPDATE SET status = excluded.status, "
                "edited = excluded.edited, version = excluded.version, updated_at = excluded.updated_at, "
                "th_seen = excluded.th_seen, en_seen = excluded.en_seen",
                (row_id, status, edited, new_version, at, th_seen, en_seen))
            conn.execute(
                "INSERT INTO history(row_id, status, edited, version, at, client) VALUES (?, ?, ?, ?, ?, ?)",
                (row_id, status, edited, new_version, at, client))
        return Decision(row_id, status, edited, new_version, at, th_seen, en_seen)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: committed at the end, rolled back on any error."""
        with closing(self._connect()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def _current(self, conn: sqlite3.Connection, row_id: str, expected_version: int) -> Decision | None:
        """The row's decision, if its version is ``expected_version`` (0 = none); else :class:`Conflict`."""
        current = self._decision(conn.execute("SELECT * FROM decisions WHERE row_id = ?", (row_id,)).fetchone())
        if (current.version if current else 0) != expected_version:
            raise Conflict(row_id, current, expected_version)
        return current

    @staticmethod
    def _next_version(conn: sqlite3.Connection, row_id: str, version: int) -> int:
        """Versions only grow, also after an undo removed the decision: a tab that saw an older
        state always gets a conflict, never a false match."""
        last = conn.execute("SELECT MAX(version) FROM history WHERE row_id = ?", (row_id,)).fetchone()[0]
        return max(version, last or 0) + 1

    @staticmethod
    def _states(conn: sqlite3.Connection, row_id: str) -> list[tuple[str, str | None]]:
        """The row's (status, edited) stack: every change pushes its state, every undo pops one."""
        stack: list[tuple[str, str | None]] = []
        for entry in conn.execute("SELECT status, edited FROM history WHERE row_id = ? ORDER BY seq", (row_id,)):
            if entry["status"] == UNDO:
                if stack:
                    stack.pop()
            else:
                stack.append((entry["status"], entry["edited"]))
        return stack

    def undo(self, row_id: str, *, expected_version: int, client: str | None = None) -> Decision | None:
        """Take back the last change of one row if its version is still ``expected_version``: the row gets
        the decision it had before that change (None: no decision, unreviewed). Raise :class:`Conflict`
        otherwise, or when it has no decision. The history keeps both the change and an ``undo`` entry."""
        at = _now()
        with self._transaction() as conn:
            current = self._current(conn, row_id, expected_version)
            if current is None:
                raise Conflict(row_id, None, expected_version)
            states = self._states(conn, row_id)[:-1]
            new_version = self._next_version(conn, row_id, current.version)
            restored = None
            if states:
                status, edited = states[-1]
                restored = Decision(row_id, status, edited, new_version, at, current.th_seen, current.en_seen)
                conn.execute("UPDATE decisions SET status = ?, edited = ?, version = ?, updated_at = ? "
                             "WHERE row_id = ?", (status, edited, new_version, at, row_id))
            else:
                conn.execute("DELETE FROM decisions WHERE row_id = ?", (row_id,))
            conn.execute(
                "INSERT INTO history(row_id, status, edited, version, at, client) VALUES (?, ?, NULL, ?, ?, ?)",
                (row_id, UNDO, new_version, at, client))
        return restored
