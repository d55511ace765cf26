"""The bookkeeping table `lintmig_migrations`: one row per applied migration.

The row is written in the same transaction as the migration's schema phase, so a kill
leaves both or neither. Its `state` then follows the migration's data and background work:
`done` when there is none, else `pending` -> `running` (owner, lease) -> `done` | `failed`.
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
            "failures", "step", "cursor", "rows_done", "error", "finished_at")
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
    finished_at DOUBLE PRECISION
)"""


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

    @property
    def cursor_value(self):
        return None if self.cursor is None else json.loads(self.cursor)


def new_owner() -> str:
    """host:pid:random, so a lease can be told dead when its process is gone."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_is_dead(owner: Optional[str]) -> bool:
    """True when the owner ran on this host and its process no longer exists."""
    if not owner:
        return True
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by another user
        return False
    return False


def table_exists(conn: Connection) -> bool:
    if conn.dialect == "sqlite":
        return bool(conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)))
    return bool(conn.execute("SELECT to_regclass(?) IS NOT NULL", (TABLE,))[0][0])


def rows(conn: Connection) -> dict[int, Row]:
    if not table_exists(conn):
        return {}
    found = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM {TABLE} ORDER BY version")
    return {r[0]: Row(*r) for r in found}


def get(conn: Connection, version: int) -> Optional[Row]:
    found = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM {TABLE} WHERE version = ?", (version,))
    return Row(*found[0]) if found else None


def record_schema(conn: Connection, version: int, name: str, checksum: str, has_work: bool) -> None:
    conn.execute(f"INSERT INTO {TABLE} (version, name, checksum, applied_at, state, finished_at) "
                 "VALUES (?, ?, ?, ?, ?, ?)",
                 (version, name, checksum, time.time(), "pending" if has_work else "done",
                  None if has_work else time.time()))


def claim(conn: Connection, row: Row, owner: str, lease: float, max_failures: int) -> bool:
    """Take the row's work when nobody live holds it. Compare-and-set on (state, owner),
    so two runners that both saw it free cannot both win."""
    now = time.time()
    if row.state == "done":
        return False
    if row.state == "failed" and row.failures >= max_failures:
        return False
    if row.state == "running" and (row.lease_until or 0) > now and not owner_is_dead(row.owner):
        return False
    conn.execute(f"UPDATE {TABLE} SET state = 'running', owner = ?, lease_until = ? "
                 "WHERE version = ? AND state = ? AND COALESCE(owner, '') = ?",
                 (owner, now + lease, row.version, row.state, row.owner or ""))
    return conn.rowcount() == 1


def heartbeat(conn: Connection, version: int, owner: str, lease: float) -> bool:
    conn.execute(f"UPDATE {TABLE} SET lease_until = ? WHERE version = ? AND owner = ? AND state = 'running'",
                 (time.time() + lease, version, owner))
    return conn.rowcount() == 1


def save_progress(conn: Connection, version: int, owner: str, step: int, cursor=None, rows: int = 0) -> None:
    """Inside the caller's transaction: the step/cursor reached, only while we own the lease."""
    conn.execute(f"UPDATE {TABLE} SET step = ?, cursor = ?, rows_done = rows_done + ? "
                 "WHERE version = ? AND owner = ? AND state = 'running'",
                 (step, None if cursor is None else json.dumps(cursor), rows, version, owner))
    if conn.rowcount() != 1:
        raise LeaseLost(f"migration {version}: another runner took this work over")


def finish(conn: Connection, version: int, owner: str) -> None:
    conn.execute(f"UPDATE {TABLE} SET state = 'done', owner = NULL, lease_until = NULL, error = NULL, "
                 "cursor = NULL, finished_at = ? WHERE version = ? AND owner = ?", (time.time(), version, owner))


def fail(conn: Connection, version: int, owner: str, error: str) -> None:
    conn.execute(f"UPDATE {TABLE} SET state = 'failed', owner = NULL, lease_until = NULL, "
                 "failures = failures + 1, error = ? WHERE version = ? AND owner = ?", (error[:2000], version, owner))


def release(conn: Connection, version: int, owner: str) -> None:
    """Hand unfinished work back (a clean shutdown): another runner may take it at once."""
    conn.execute(f"UPDATE {TABLE} SET state = 'pending', owner = NULL, lease_until = NULL "
                 "WHERE version = ? AND owner = ? AND state = 'running'", (version, owner))
