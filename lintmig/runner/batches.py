"""Transactions with retry, and the batched backfill: shared by the runner's `m` and by
the `lintmig.alembic` helpers (which hand in a SQLAlchemy connection behind the same
`Connection` interface)."""
from __future__ import annotations

from typing import Callable, Optional

import time

from .database import Connection, Timeouts, backoff, schema_lock_timeout


def in_transaction(conn: Connection, timeouts: Timeouts, body: Callable, lift_statement_timeout: bool = False):
    """Run `body()` in one transaction; a lock wait that times out (a killed runner's
    statement still finishing on the server, a busy SQLite writer) is retried with short
    waits first, for `timeouts.lock_wait` in all. A transaction left idle (a frozen worker)
    is ended by the server after `idle_in_transaction`, which frees its row locks."""
    started, attempt = time.monotonic(), 0
    while True:
        try:
            conn.begin()
            if conn.dialect == "postgres":
                conn.set_local("lock_timeout", schema_lock_timeout(timeouts, attempt))
                # A session-wide statement_timeout (a role's, a pooler's) must not cut long work short.
                conn.set_local("statement_timeout", 0 if lift_statement_timeout else timeouts.statement)
                conn.set_local("idle_in_transaction_session_timeout", timeouts.idle_in_transaction)
            result = body()
            conn.commit()
            return result
        except BaseException as err:
            conn.rollback()
            if isinstance(err, Exception) and conn.is_lock_timeout(err) and time.monotonic() - started < timeouts.lock_wait:
                backoff(attempt)
                attempt += 1
                continue
            raise


def backfill(conn: Connection, timeouts: Timeouts, table: str, set: str, where: Optional[str], batch_size: int,
             key: str, start_after, save: Callable, finish: Callable, should_stop: Callable = lambda: False) -> int:
    """UPDATE table SET <set> WHERE <where>, `batch_size` rows per transaction in `key`
    order. Each batch re-checks `where` (rows the application wrote meanwhile keep their
    value) and calls `save(last_key, rows)` inside its transaction; `finish()` runs in the
    transaction that finds no rows left. Returns the number of rows changed."""
    if batch_size < 1:
        raise ValueError(f"backfill of {table}: batch_size must be at least 1")
    mark = "?"
    if conn.dialect == "postgres":  # psycopg reads % as a placeholder: keep the author's % literal
        mark, set, where = "%s", set.replace("%", "%%"), where and where.replace("%", "%%")
    recheck = f" AND ({where})" if where else ""
    position = {"last": start_after, "total": 0}

    def batch() -> bool:
        last = position["last"]
        filters = [f for f in ("" if last is None else f"{key} > {mark}", f"({where})" if where else "") if f]
        # Only the batch's last key comes back to Python: the rows stay in the database.
        high = conn.execute_user(f"SELECT max({key}) FROM (SELECT {key} FROM {table}"
                                 f"{' WHERE ' + ' AND '.join(filters) if filters else ''} "
                                 f"ORDER BY {key} LIMIT {int(batch_size)}) AS batch",
                                 None if last is None else (last,))[0][0]
        if high is None:
            finish()
            return False
        lower = "" if last is None else f"{key} > {mark} AND "
        conn.execute_user(f"UPDATE {table} SET {set} WHERE {lower}{key} <= {mark}{recheck}",
                          (high,) if last is None else (last, high))
        changed = max(conn.rowcount(), 0)
        save(high, changed)
        position["next"], position["changed"] = high, changed
        return True

    while in_transaction(conn, timeouts, batch):
        position["last"] = position["next"]  # only once the batch has committed
        position["total"] += position["changed"]
        if should_stop():
            break
    return position["total"]
