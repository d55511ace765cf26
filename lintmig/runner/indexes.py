"""Index builds that survive their own failures.

PostgreSQL: `CREATE INDEX CONCURRENTLY` outside any transaction, with `statement_timeout`
lifted for that statement only (a session-wide timeout would cancel it and leave an
INVALID index behind). Before building, an index of that name is inspected: valid means
done; invalid with a build still running on the server (its client may have died: the
server does not notice until it next talks to it) means wait, or end that backend when it
belongs to a lintmig runner whose lease we now hold; invalid and idle means drop it
concurrently and build again.
"""
from __future__ import annotations

import time
from typing import Optional

from .database import Connection, Timeouts, backoff
from .errors import RunnerError

_ATTEMPTS = 4


def create_sql(name: str, table: str, columns: str, unique: bool, where: Optional[str], *,
               concurrently: bool = False, if_not_exists: bool = False) -> str:
    return (f"CREATE {'UNIQUE ' if unique else ''}INDEX {'CONCURRENTLY ' if concurrently else ''}"
            f"{'IF NOT EXISTS ' if if_not_exists else ''}{name} ON {table} ({columns})"
            + (f" WHERE {where}" if where else ""))


def constraint_exists(conn: Connection, table: str, name: str) -> bool:
    return bool(conn.execute("SELECT 1 FROM pg_constraint WHERE conname = ? AND conrelid = to_regclass(?)",
                             (name, table)))


def _index_state(conn: Connection, name: str) -> Optional[tuple[int, bool]]:
    found = conn.execute("SELECT c.oid, i.indisvalid FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid "
                         "WHERE c.oid = to_regclass(?)", (name,))
    return (found[0][0], found[0][1]) if found else None


def _live_builds(conn: Connection, index_oid: int) -> list[tuple[int, str]]:
    """Backends still building this index: (pid, application_name)."""
    return conn.execute("SELECT p.pid, COALESCE(a.application_name, '') FROM pg_stat_progress_create_index p "
                        "LEFT JOIN pg_stat_activity a ON a.pid = p.pid WHERE p.index_relid = ?", (index_oid,))


def build_concurrently(conn: Connection, name: str, table: str, columns: str, unique: bool,
                       where: Optional[str], timeouts: Timeouts, owner: str) -> None:
    previous = conn.execute("SHOW statement_timeout")[0][0]
    if conn.server_version >= 140000:
        # If this runner dies mid-build, the server notices within seconds and stops the build.
        conn.execute("SET client_connection_check_interval = '2s'")
    conn.execute(f"SET lock_timeout = '{int(timeouts.lock * 1000)}ms'")
    try:
        for attempt in range(_ATTEMPTS):
            state = _index_state(conn, name)
            if state and state[1]:
                return
            if state:
                _clear_invalid(conn, name, state[0], owner)
                if _index_state(conn, name):
                    continue  # a foreign build finished meanwhile: look again
            try:
                conn.execute("SET statement_timeout = 0")
                conn.execute(create_sql(name, table, columns, unique, where, concurrently=True))
                return
            except Exception as err:
                if not conn.is_lock_timeout(err) or attempt == _ATTEMPTS - 1:
                    raise RunnerError(f"CREATE INDEX CONCURRENTLY {name} failed: {str(err).strip()}") from None
                backoff(attempt)
            finally:
                conn.execute(f"SET statement_timeout = '{previous}'")
    finally:
        conn.execute("RESET lock_timeout")
        if conn.server_version >= 140000:
            conn.execute("RESET client_connection_check_interval")


def _clear_invalid(conn: Connection, name: str, oid: int, owner: str) -> None:
    """Make room for a new build: wait out or end a live one, then drop the invalid index."""
    while True:
        builds = _live_builds(conn, oid)
        if not builds:
            break
        for pid, application in builds:
            # A lintmig runner whose lease we hold has died or lost its work: end its build.
            if application.startswith("lintmig") and owner not in application:
                conn.execute("SELECT pg_terminate_backend(?)", (pid,))
        time.sleep(0.5)
        if not _index_state(conn, name):
            return
        if _index_state(conn, name)[1]:
            return
    conn.execute("SET statement_timeout = 0")
    conn.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
