"""The bookkeeping table `lintmig_migrations`: one row per applied migration.

The row is written in the same transaction as the migration's schema phase, so a kill
leaves both or neither. Its `state` then follows the migration's data and background work:
`done` when there is none, else `pending` -> `running` (owner, lease, token) -> `done` |
`failed` (retried automatically after `retry_after`, up to a number of failures).
`step` counts the work steps finished (an `m.execute`, a whole `m.backfill`, an index) and
`cursor` is the last key of the backfill in progress: both are saved in the transaction
of the step or batch they describe, which is what makes the work resumable.
"""
from __future__ import annotations

import json
import os
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Optional

from .database import Connection
from .errors import LeaseLost

TABLE = "lintmig_migrations"
_COLUMNS = ("version", "name", "checksum", "applied_at", "state", "owner", "lease_until",
            "failures", "step", "cursor", "rows_done", "error", "finished_at", "token", "retry_after")
CREATE = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    version BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at DOUBLE PRECISION NOT NULL,
    state TEXT NOT NULL,
    owner TEXT,
    lease_until DOUBLE PRECISION,
    failures INTEGER NOT NULL DEFAULT 0,
    step INTEGER NOT NULL DEFAULT 0,
    cursor TEXT,
    rows_done BIGINT NOT NULL DEFAULT 0,
    error TEXT,
    finished_at DOUBLE PRECISION,
    token BIGINT NOT NULL DEFAULT 0,
    retry_after DOUBLE PRECISION
)"""
# Columns added since the table was first created: added on the next run, in place.
_ADDED = {"token": "BIGINT NOT NULL DEFAULT 0", "retry_after": "DOUBLE PRECISION"}


@dataclass
class Row:
    version: int
    name: str
    checksum: str
    applied_at: float
    state: str
    owner: Optional[str]
    lease_until: Optional[float]
    failures: int
    step: int
    cursor: Optional[str]
    rows_done: int
    error: Optional[str]
    finished_at: Optional[float]
    token: int = 0  # the fencing token: raised by every claim, checked by every write of the holder
    retry_after: Optional[float] = None  # failed work is retried automatically from then on

    @property
    def cursor_value(self):
        return None if self.cursor is None else json.loads(self.cursor)


def new_owner() -> str:
    """host:pid-namespace:pid:random, so a lease can be told dead when its process is gone
    (only from the same host and the same process namespace)."""
    return f"{socket.gethostname()}:{_pid_namespace()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid").strip("pid:[]")
    except OSError:
        return "-"


def owner_is_dead(owner: Optional[str]) -> bool:
    """True when the owner ran on this host, in this process namespace (one container is
    not another), and its process no longer exists. Anything else waits for the lease."""
    parts = (owner or "").split(":")
    if len(parts) != 4 or parts[0] != socket.gethostname() or parts[1] != _pid_namespace() or not parts[2].isdigit():
        return False
    try:
        os.kill(int(parts[2]), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):  # alive, owned by another user
        return False
    return False


def now_sql(conn: Connection) -> tuple[str, tuple]:
    """The database's clock as SQL (PostgreSQL: every host compares the server's time);
    SQLite lives on one host, whose clock is passed in."""
    if conn.dialect == "postgres":
        return "extract(epoch from clock_timestamp())", ()
    return "?", (time.time(),)


def table_exists(conn: Connection) -> bool:
    if conn.dialect == "sqlite":
        return bool(conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)))
    return bool(conn.execute("SELECT to_regclass(?) IS NOT NULL", (TABLE,))[0][0])


def create(conn: Connection) -> None:
    """The table, with the columns later versions added."""
    conn.execute(CREATE)
    add_missing_columns(conn)


def add_missing_columns(conn: Connection) -> None:
    """A table an earlier lintmig created lacks the columns added since: add them in place
    (a worker may meet such a table with work pending and nothing to apply)."""
    present = _present_columns(conn)
    for column, definition in _ADDED.items():
        if column not in present:
            conn.execute(f"ALTER TABLE {TABLE} ADD COLUMN {column} {definition}")


def rows(conn: Connection) -> dict[int, Row]:
    if not table_exists(conn):
        return {}
    return {r.version: r for r in _select(conn, "ORDER BY version")}


def _select(conn: Connection, tail: str, params=()) -> list[Row]:
    present = _present_columns(conn)
    names = [c if c in present else "NULL" for c in _COLUMNS]
    found = conn.execute(f"SELECT {', '.join(names)} FROM {TABLE} {tail}", params)
    return [Row(*r[:13], token=r[13] or 0, retry_after=r[14]) for r in found]


def _present_columns(conn: Connection) -> set[str]:
    """Columns of the table as it is (a database a previous version created may lack some
    until the next schema run adds them)."""
    if conn.dialect == "sqlite":
        return {r[1] for r in conn.execute(f"PRAGMA table_info({TABLE})")}
    return {r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns "
                                       "WHERE table_name = ? AND table_schema = current_schema()", (TABLE,))}


def get(conn: Connection, version: int) -> Optional[Row]:
    found = _select(conn, "WHERE version = ?", (version,))
    return found[0] if found else None


def record_schema(conn: Connection, version: int, name: str, checksum: str, has_work: bool) -> None:
    conn.execute(f"INSERT INTO {TABLE} (version, name, checksum, applied_at, state, finished_at) "
                 "VALUES (?, ?, ?, ?, ?, ?)",
                 (version, name, checksum, time.time(), "pending" if has_work else "done",
                  None if has_work else time.time()))


def claim(conn: Connection, row: Row, owner: str, lease: float, max_failures: int) -> Optional[int]:
    """Take the row's work when it is pending, failed and due for a retry, or held by a
    lease that has run out on the database's clock (or by a dead process on this host).
    One compare-and-set: of two runners that both saw it free, one wins. Returns the
    fencing token the winner must show on every later write, or None."""
    now, now_params = now_sql(conn)
    dead = row.owner if row.state == "running" and owner_is_dead(row.owner) else None
    conn.execute(f"UPDATE {TABLE} SET state = 'running', owner = ?, token = token + 1, lease_until = {now} + ? "
                 f"WHERE version = ? AND (state = 'pending' "
                 f"OR (state = 'failed' AND failures < ? AND COALESCE(retry_after, 0) <= {now}) "
                 f"OR (state = 'running' AND (lease_until IS NULL OR lease_until < {now} OR owner = ?)))",
                 (owner, *now_params, lease, row.version, max_failures, *now_params, *now_params, dead))
    if conn.rowcount() != 1:
        return None
    found = conn.execute(f"SELECT token FROM {TABLE} WHERE version = ? AND owner = ?", (row.version, owner))
    return found[0][0] if found else None


def heartbeat(conn: Connection, version: int, owner: str, token: int, lease: float) -> bool:
    now, now_params = now_sql(conn)
    conn.execute(f"UPDATE {TABLE} SET lease_until = {now} + ? "
                 "WHERE version = ? AND owner = ? AND token = ? AND state = 'running'",
                 (*now_params, lease, version, owner, token))
    return conn.rowcount() == 1


def save_progress(conn: Connection, version: int, owner: str, token: int, step: int, cursor=None, rows: int = 0) -> None:
    """Inside the caller's transaction: the step/cursor reached, only while we hold the lease."""
    conn.execute(f"UPDATE {TABLE} SET step = ?, cursor = ?, rows_done = rows_done + ? "
                 "WHERE version = ? AND owner = ? AND token = ? AND state = 'running'",
                 (step, None if cursor is None else json.dumps(cursor), rows, version, owner, token))
    if conn.rowcount() != 1:
        raise LeaseLost(f"migration {version}: another runner took this work over")


def finish(conn: Connection, version: int, owner: str, token: int) -> None:
    conn.execute(f"UPDATE {TABLE} SET state = 'done', owner = NULL, lease_until = NULL, error = NULL, "
                 "cursor = NULL, retry_after = NULL, finished_at = ? WHERE version = ? AND owner = ? AND token = ?",
                 (time.time(), version, owner, token))
    if conn.rowcount() != 1:
        raise LeaseLost(f"migration {version}: another runner took this work over before it was recorded done")


def retry_delay(failures: int) -> float:
    """How long failed work waits before the next automatic attempt: 30 s, 1 min, 2 min, ... 1 h."""
    return min(30.0 * 2 ** max(failures - 1, 0), 3600.0)


def fail(conn: Connection, version: int, owner: str, token: int, error: str) -> None:
    now, now_params = now_sql(conn)
    found = conn.execute(f"SELECT failures FROM {TABLE} WHERE version = ?", (version,))
    delay = retry_delay((found[0][0] if found else 0) + 1)
    conn.execute(f"UPDATE {TABLE} SET state = 'failed', owner = NULL, lease_until = NULL, "
                 f"failures = failures + 1, error = ?, retry_after = {now} + ? "
                 "WHERE version = ? AND owner = ? AND token = ?",
                 (error[:2000], *now_params, delay, version, owner, token))


def release(conn: Connection, version: int, owner: str, token: int) -> None:
    """Hand unfinished work back (a clean shutdown): another runner may take it at once."""
    conn.execute(f"UPDATE {TABLE} SET state = 'pending', owner = NULL, lease_until = NULL "
                 "WHERE version = ? AND owner = ? AND token = ? AND state = 'running'", (version, owner, token))


def retry_failed(conn: Connection) -> list[int]:
    """Put failed work back in line (`lintmig run --retry-failed`): the versions reset."""
    found = [r[0] for r in conn.execute(f"SELECT version FROM {TABLE} WHERE state = 'failed'")]
    conn.execute(f"UPDATE {TABLE} SET state = 'pending', failures = 0, retry_after = NULL WHERE state = 'failed'")
    return found


def current_token(conn: Connection, version: int) -> Optional[int]:
    found = conn.execute(f"SELECT token FROM {TABLE} WHERE version = ? AND state = 'running'", (version,))
    return found[0][0] if found else None
