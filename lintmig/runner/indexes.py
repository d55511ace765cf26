"""Index builds that survive their own failures and never block anyone while they wait.

PostgreSQL: `CREATE INDEX CONCURRENTLY` outside any transaction. It takes a lock that lets
reads and writes go on, then waits for every older transaction to finish; so neither
`lock_timeout` nor `statement_timeout` applies to it (a session-wide one would cancel it
and leave an INVALID index behind). While it waits, a second connection reports which
transactions hold it up (pid, age, query); after `Timeouts.index_wait` the build is
cancelled and the work fails, to be retried later. Before building, an index of that name
is inspected: valid means done; invalid with a build still running on the server means
wait, or end that build when it belongs to a lintmig claim that is no longer current;
invalid and idle means drop it concurrently and build again.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Optional

from .database import Connection, Timeouts
from .errors import RunnerError

log = logging.getLogger("lintmig.runner")
REPORT_EVERY = 10.0  # seconds between reports of what a waiting build waits for


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
                       where: Optional[str], timeouts: Timeouts, is_stale: Callable[[str], bool] = lambda _: False,
                       open_monitor: Optional[Callable[[], Connection]] = None) -> None:
    """Build (or finish building) the index; RunnerError when it cannot."""
    previous = conn.execute("SELECT current_setting('statement_timeout'), current_setting('lock_timeout')")[0]
    if conn.server_version >= 140000:
        # If this runner dies mid-build, the server notices within seconds and stops the build.
        conn.execute("SET client_connection_check_interval = '2s'")
    try:
        state = _index_state(conn, name)
        if state and state[1]:
            return
        if state:
            _clear_invalid(conn, name, state[0], is_stale, timeouts.index_wait, open_monitor)
            state = _index_state(conn, name)
            if state and state[1]:
                return  # another build finished it meanwhile
        conn.execute("SET statement_timeout = 0")
        conn.execute("SET lock_timeout = 0")
        _watched(conn, name, create_sql(name, table, columns, unique, where, concurrently=True),
                 timeouts.index_wait, open_monitor)
    finally:
        conn.execute(f"SET statement_timeout = '{previous[0]}'")
        conn.execute(f"SET lock_timeout = '{previous[1]}'")
        if conn.server_version >= 140000:
            conn.execute("RESET client_connection_check_interval")


def _watched(conn: Connection, name: str, statement: str, max_wait: float,
             open_monitor: Optional[Callable[[], Connection]]) -> None:
    """Run a CONCURRENTLY statement that may wait for older transactions: say what it waits
    for, and cancel it after `max_wait`."""
    pid = conn.execute("SELECT pg_backend_pid()")[0][0]
    done = threading.Event()
    waited_on: list[str] = []
    cancelled = threading.Event()
    watcher = None
    if open_monitor is not None:
        watcher = threading.Thread(target=_watch, args=(open_monitor, pid, name, max_wait, done, cancelled, waited_on),
                                   name="lintmig-index-watch", daemon=True)
        watcher.start()
    try:
        conn.execute(statement)
    except Exception as err:
        what = " ".join(statement.split()[:3])
        if cancelled.is_set():
            if what.startswith("CREATE"):
                _drop_leftover(conn, name)
            blockers = f": it waited for {waited_on[-1]}" if waited_on else ""
            raise RunnerError(f"{what} {name} waited longer than {max_wait:.0f}s for older "
                              f"transactions and was cancelled{blockers}") from None
        raise RunnerError(f"{what} {name} failed: {str(err).strip()}") from None
    finally:
        done.set()
        if watcher is not None:
            watcher.join()


def _watch(open_monitor, pid: int, name: str, max_wait: float, done: threading.Event, cancelled: threading.Event,
           waited_on: list[str]) -> None:
    """From a second connection: say what the build waits for; cancel it after `max_wait`."""
    try:
        monitor = open_monitor()
    except Exception as err:  # no second connection: the build still runs, unreported
        log.warning("index %s: cannot watch the build: %s", name, err)
        return
    started, last_report = time.monotonic(), 0.0
    try:
        while not done.wait(0.5):
            blockers = monitor.execute(
                "SELECT a.pid, COALESCE(round(extract(epoch from clock_timestamp() - a.xact_start)), 0), "
                "left(regexp_replace(COALESCE(a.query, ''), '\\s+', ' ', 'g'), 120) "
                "FROM pg_stat_activity a WHERE a.pid = ANY(pg_blocking_pids(?))", (pid,))
            if blockers:
                words = ", ".join(f"pid {b[0]} (open {int(b[1])}s: {b[2]})" for b in blockers)
                waited_on.append(f"{len(blockers)} transaction(s): {words}")
                if time.monotonic() - last_report >= REPORT_EVERY:
                    last_report = time.monotonic()
                    log.warning("index %s waits for older transactions to end (nobody waits for it): %s",
                                name, waited_on[-1])
            if time.monotonic() - started > max_wait:
                cancelled.set()
                monitor.execute("SELECT pg_cancel_backend(?)", (pid,))
                return
    except Exception as err:  # the monitor is best effort: never fail the build for it
        log.warning("index %s: watching the build stopped: %s", name, err)
    finally:
        monitor.close()


def _drop_leftover(conn: Connection, name: str) -> None:
    """A cancelled build leaves an INVALID index that every write still maintains: drop it
    if that is possible without waiting (the blocker may still hold the table); otherwise
    the next attempt drops it."""
    try:
        conn.execute("SET lock_timeout = '200ms'")
        conn.execute(f"DROP INDEX IF EXISTS {name}")
    except Exception as err:
        log.warning("index %s: the INVALID leftover stays until the next attempt (%s)", name,
                    str(err).strip().splitlines()[0])


def _clear_invalid(conn: Connection, name: str, oid: int, is_stale: Callable[[str], bool], max_wait: float,
                   open_monitor: Optional[Callable[[], Connection]]) -> None:
    """Make room for a new build: wait out a live one (or end it when it belongs to a
    lintmig claim that is no longer current), then drop the invalid index."""
    while True:
        builds = _live_builds(conn, oid)
        if not builds:
            break
        for pid, application in builds:
            if is_stale(application):
                log.warning("index %s: ending the build of a runner that lost its claim (%s)", name, application)
                conn.execute("SELECT pg_terminate_backend(?)", (pid,))
        time.sleep(0.5)
        state = _index_state(conn, name)
        if not state or state[1]:
            return
    conn.execute("SET statement_timeout = 0")
    conn.execute("SET lock_timeout = 0")  # like the build, the drop waits for older transactions, blocking nobody
    _watched(conn, name, f"DROP INDEX CONCURRENTLY IF EXISTS {name}", max_wait, open_monitor)
