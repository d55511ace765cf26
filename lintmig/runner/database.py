"""Connections for the runner: SQLite from the standard library, PostgreSQL through psycopg 3.

Both are used the same way: autocommit connections on which the runner writes its own
`BEGIN` / `COMMIT`, so that every transaction boundary is visible in the code that needs it
(SQLite's module would otherwise open transactions behind our back). The runner's own SQL
is written with `?` placeholders; `sql()` adapts it to the driver.
"""
from __future__ import annotations

import os
import random
import sqlite3
import time
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from .errors import RunnerError


@dataclass(frozen=True)
class Timeouts:
    """Seconds. lock/statement/idle are set LOCAL in every runner transaction on Postgres;
    on SQLite `lock` is the busy timeout of a schema phase. `lock` is the longest single
    wait for a lock (attempts start shorter), `lock_wait` the total before giving up;
    `index_wait` how long a concurrent index build may wait for older transactions."""

    lock: float = 3.0
    statement: float = 30.0
    idle_in_transaction: float = 10.0
    lease: float = 30.0
    lock_wait: float = 20.0
    index_wait: float = 600.0


def schema_lock_timeout(timeouts: Timeouts, attempt: int) -> float:
    """The lock wait of attempt `attempt`: 0.2 s, 0.4 s, 0.8 s, ... up to `timeouts.lock`."""
    return min(timeouts.lock, 0.2 * 2 ** attempt)


def open_database(url: str, timeouts: Timeouts = Timeouts(), create: bool = True) -> "Database":
    """The database a URL names; with create=False a SQLite file that does not exist is an
    error (exit 2) instead of a new empty database."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    if scheme == "sqlite":
        # sqlite:///relative.db, sqlite:////absolute.db (SQLAlchemy's spelling)
        path = unquote(url.split(":", 1)[1])
        path = path[3:] if path.startswith("///") else path.lstrip("/") if path.startswith("//") else path
        if not path:
            raise RunnerError(f"{url}: no database file in the URL (sqlite:///app.db)", 2)
        return SqliteDatabase(path, timeouts, create)
    if scheme in ("postgres", "postgresql"):
        return PostgresDatabase(url.replace(parts.scheme + "://", "postgresql://", 1), timeouts)
    raise RunnerError(f"{url}: unsupported database URL (use sqlite:///FILE or postgresql://...)", 2)


LOCK_SQLSTATES = ("55P03", "40P01")  # lock_not_available (lock_timeout), deadlock_detected


def set_local_sql(setting: str, seconds: float) -> str:
    """A timeout for the current transaction only (SET LOCAL does nothing outside one)."""
    return f"SET LOCAL {setting} = '{int(seconds * 1000)}ms'"


class Database:
    dialect = ""

    def __init__(self, timeouts: Timeouts):
        self.timeouts = timeouts

    def connect(self, purpose: str = "") -> "Connection":
        raise NotImplementedError


class Connection:
    """One autocommit connection; `execute` returns the rows of a query (else [])."""

    dialect = ""

    def execute(self, sql: str, params=()) -> list:
        raise NotImplementedError

    def rowcount(self) -> int:
        raise NotImplementedError

    def begin(self, exclusive: bool = False) -> None:
        raise NotImplementedError

    def set_local(self, setting: str, seconds: float) -> None:
        self.execute(set_local_sql(setting, seconds))

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        try:
            self.execute("ROLLBACK")
        except Exception:  # no transaction open, or the connection is gone: nothing to undo
            pass

    def close(self) -> None:
        raise NotImplementedError

    def is_lock_timeout(self, err: BaseException) -> bool:
        raise NotImplementedError

    def is_connection_lost(self, err: BaseException) -> bool:
        return False


# --- SQLite -------------------------------------------------------------------------------

class SqliteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, path: str, timeouts: Timeouts, create: bool = True):
        super().__init__(timeouts)
        self.path = path
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise RunnerError(f"sqlite:///{path}: folder {folder} does not exist", 2)
        if not create and not os.path.isfile(path):
            raise RunnerError(f"sqlite:///{path}: no such database file (nothing was created)", 2)

    def connect(self, purpose: str = "") -> "SqliteConnection":
        # Writers take turns: a busy timeout makes a second process wait instead of failing.
        # A schema phase waits `lock` seconds per attempt (like lock_timeout on Postgres);
        # everything else waits longer, since its retries are fewer.
        wait = self.timeouts.lock if purpose.startswith("schema") else max(self.timeouts.lock, 10.0)
        return SqliteConnection(sqlite3.connect(self.path, timeout=wait, isolation_level=None,
                                                check_same_thread=False))


class SqliteConnection(Connection):
    dialect = "sqlite"

    def __init__(self, raw: sqlite3.Connection):
        self.raw = raw
        self._count = 0

    def execute(self, sql: str, params=()) -> list:
        cursor = self.raw.execute(sql, params)
        rows = cursor.fetchall() if cursor.description else []
        self._count = cursor.rowcount
        return rows

    def execute_user(self, sql: str, params=None) -> list:
        """SQL written by a migration's author, with sqlite3's own `?` / `:name` placeholders."""
        return self.execute(sql, () if params is None else params)

    def rowcount(self) -> int:
        return self._count

    def begin(self, exclusive: bool = False) -> None:
        # IMMEDIATE takes the write lock now: a transaction that reads and then writes would
        # otherwise get SQLITE_BUSY without waiting for the busy timeout.
        self.execute("BEGIN EXCLUSIVE" if exclusive else "BEGIN IMMEDIATE")

    def close(self) -> None:
        self.raw.close()

    def is_lock_timeout(self, err: BaseException) -> bool:
        return isinstance(err, sqlite3.OperationalError) and "locked" in str(err)


# --- PostgreSQL ---------------------------------------------------------------------------

class PostgresDatabase(Database):
    dialect = "postgres"

    def __init__(self, url: str, timeouts: Timeouts):
        super().__init__(timeouts)
        try:
            import psycopg  # noqa: F401  (an extra: only Postgres users install it)
        except ImportError:
            raise RunnerError("PostgreSQL needs psycopg 3: pip install 'lintmig[postgres]'", 2) from None
        self.url = url

    def connect(self, purpose: str = "") -> "PostgresConnection":
        import psycopg

        name = f"lintmig {purpose}".strip()[:63]
        try:
            raw = psycopg.connect(self.url, autocommit=True, application_name=name)
        except psycopg.Error as err:
            raise RunnerError(f"cannot connect to PostgreSQL: {str(err).strip()}", 2) from None
        return PostgresConnection(raw)


class PostgresConnection(Connection):
    dialect = "postgres"

    def __init__(self, raw):
        self.raw = raw
        self._count = 0
        self.server_version = raw.info.server_version

    def execute(self, sql: str, params=()) -> list:
        cursor = self.raw.execute(sql.replace("?", "%s") if params else sql, params or None)
        self._count = cursor.rowcount
        return cursor.fetchall() if cursor.description else []

    def execute_user(self, sql: str, params=None) -> list:
        """SQL written by a migration's author, with psycopg's own placeholders."""
        cursor = self.raw.execute(sql, params)
        self._count = cursor.rowcount
        return cursor.fetchall() if cursor.description else []

    def rowcount(self) -> int:
        return self._count

    def begin(self, exclusive: bool = False) -> None:
        self.execute("BEGIN")

    def close(self) -> None:
        self.raw.close()

    def is_lock_timeout(self, err: BaseException) -> bool:
        return getattr(err, "sqlstate", None) in LOCK_SQLSTATES

    def is_connection_lost(self, err: BaseException) -> bool:
        import psycopg

        # 57P01 admin_shutdown (terminated), 25P03 idle_in_transaction_session_timeout, 08xxx connection
        state = getattr(err, "sqlstate", None) or ""
        return (isinstance(err, psycopg.OperationalError) and (self.raw.closed or state.startswith("08")
                                                               or state in ("57P01", "25P03"))) \
            or state in ("57P01", "25P03")


def backoff(attempt: int) -> None:
    """Sleep before retry `attempt`: about 0.1 s, 0.2 s, 0.4 s, ... up to 5 s, jittered so
    that racing runners do not retry in step."""
    time.sleep(min(0.1 * 2 ** attempt, 5.0) * random.uniform(0.5, 1.5))
