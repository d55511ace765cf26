"""Safe migrations for Alembic projects, without switching runner.

In `env.py`::

    from lintmig.alembic import configure

    with connectable.connect() as connection:
        configure(context, connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()

`configure` turns on `transaction_per_migration` and sets `lock_timeout`,
`statement_timeout` and `idle_in_transaction_session_timeout` with `SET LOCAL` at the start
of every transaction (a SQLAlchemy `begin` listener: DDL after an `autocommit_block()` is
covered too, and nothing session-wide is left to cancel a concurrent index build).

In a revision::

    from lintmig.alembic import backfill, create_index_concurrently, forget_backfill

    def upgrade():
        op.add_column("users", sa.Column("domain", sa.Text()), if_not_exists=True)
        backfill("users", set="domain = split_part(email, '@', 2)", where="domain IS NULL")
        create_index_concurrently("users_domain_idx", "users", ["domain"])

    def downgrade():
        op.drop_index("users_domain_idx", table_name="users", if_exists=True)
        forget_backfill("users", set="domain = split_part(email, '@', 2)", where="domain IS NULL")
        op.drop_column("users", "domain", if_exists=True)
"""
from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from typing import Optional, Sequence, Union

from sqlalchemy import event, text

from . import batches, indexes
from .database import LOCK_SQLSTATES, Connection, Timeouts, set_local_sql
from .errors import RunnerError

_BACKFILLS = "lintmig_backfills"


def configure(context, connection, *, lock_timeout: float = 3.0, statement_timeout: float = 30.0,
              idle_in_transaction_timeout: float = 10.0, **options) -> None:
    """`context.configure(connection=..., transaction_per_migration=True, **options)` plus
    the LOCAL timeouts in every transaction of `connection`."""
    settings = (("lock_timeout", lock_timeout), ("statement_timeout", statement_timeout),
                ("idle_in_transaction_session_timeout", idle_in_transaction_timeout))

    def set_local_timeouts(conn) -> None:
        if conn.dialect.name != "postgresql" or _autocommit(conn):
            return  # an autocommit block has no transaction to scope them to
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            for setting, seconds in settings:
                cursor.execute(set_local_sql(setting, seconds))
        finally:
            cursor.close()

    if not getattr(connection, "_lintmig_timeouts", False):
        event.listen(connection, "begin", set_local_timeouts)
        connection._lintmig_timeouts = True
    options.setdefault("transaction_per_migration", True)
    context.configure(connection=connection, **options)


def _autocommit(conn) -> bool:
    """Whether statements on this SQLAlchemy connection commit one by one (Alembic's
    autocommit_block() sets that on the driver's connection, not always as an option)."""
    if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return True
    try:
        return bool(getattr(conn.connection.dbapi_connection, "autocommit", False))
    except Exception:  # no driver connection to ask
        return conn.get_isolation_level() == "AUTOCOMMIT"


class _AlembicConnection(Connection):
    """The runner's `Connection` over the SQLAlchemy connection Alembic migrates with."""

    def __init__(self, sa_connection, owned: bool = False):
        self.sa = sa_connection
        self._owned = owned  # a connection opened for us (the index watcher): closed with us
        self.dialect = "postgres" if sa_connection.dialect.name == "postgresql" else sa_connection.dialect.name
        info = sa_connection.dialect.server_version_info or (0,)
        self.server_version = info[0] * 10000 + (info[1] if len(info) > 1 and info[0] < 10 else 0)
        self._count = 0

    def execute(self, sql: str, params=()) -> list:
        names = {}
        parts = sql.split("?")
        for i in range(1, len(parts)):
            names[f"p{i}"] = params[i - 1]
        return self._run("".join(p + (f":p{i + 1}" if i < len(parts) - 1 else "") for i, p in enumerate(parts)),
                         names)

    def execute_user(self, sql: str, params=None) -> list:
        if params is None:
            return self._run(sql.replace("%%", "%").replace(":", r"\:"), {})
        return self.execute(sql.replace("%%", "%").replace("%s", "?").replace(":", r"\:"), params)

    def _run(self, sql: str, params: dict) -> list:
        result = self.sa.execute(text(sql), params)
        self._count = result.rowcount if result.rowcount is not None else 0
        return [tuple(r) for r in result.fetchall()] if result.returns_rows else []

    def rowcount(self) -> int:
        return self._count

    def begin(self, exclusive: bool = False) -> None:
        self.sa.exec_driver_sql("BEGIN")

    def close(self) -> None:
        if self._owned:
            self.sa.close()

    def is_lock_timeout(self, err: BaseException) -> bool:
        original = getattr(err, "orig", err)
        code = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
        return code in LOCK_SQLSTATES or "database is locked" in str(original)


def _op():
    from alembic import op

    return op


def _monitor_factory(sa_connection):
    """A second autocommit connection from the same engine, to watch an index build."""
    def open_monitor() -> Connection:
        raw = sa_connection.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return _AlembicConnection(raw, owned=True)
    return open_monitor


def create_index_concurrently(index_name: str, table_name: str, columns: Union[str, Sequence[str]],
                              unique: bool = False, postgresql_where: Optional[str] = None,
                              index_wait: float = 600.0) -> None:
    """Build an index without blocking writes, in an autocommit block. The build takes no
    lock_timeout or statement_timeout (it blocks nobody while it waits for older
    transactions); what it waits for is logged, and after `index_wait` seconds it is
    cancelled and the revision fails, to be run again. An INVALID index left by a failed
    attempt is dropped and rebuilt; a valid one means done."""
    op = _op()
    columns_sql = columns if isinstance(columns, str) else ", ".join(columns)
    with op.get_context().autocommit_block():
        bind = op.get_bind()
        conn = _AlembicConnection(bind)
        if conn.dialect == "postgres":
            try:
                indexes.build_concurrently(conn, index_name, table_name, columns_sql, unique, postgresql_where,
                                           Timeouts(index_wait=index_wait), open_monitor=_monitor_factory(bind))
            except RunnerError as err:
                raise RuntimeError(str(err)) from None
        else:
            conn.execute(indexes.create_sql(index_name, table_name, columns_sql, unique, postgresql_where,
                                            if_not_exists=True))


def _backfill_name(table: str, set: str, where: Optional[str], key: str, name: Optional[str]) -> str:
    return name or hashlib.sha256(json.dumps([table, set, where, key]).encode()).hexdigest()[:16]


def backfill(table: str, set: str, where: Optional[str] = None, batch_size: int = 2000, key: str = "id",
             name: Optional[str] = None, lock_timeout: float = 3.0, statement_timeout: float = 30.0) -> int:
    """Batched UPDATE outside the revision's transaction: each batch commits with its
    cursor in `lintmig_backfills`, so a rerun after a crash resumes after the last batch.
    On PostgreSQL an advisory lock named after the backfill makes a second `alembic
    upgrade` running at the same time wait for the first and then find it done."""
    op = _op()
    name = _backfill_name(table, set, where, key, name)
    timeouts = Timeouts(lock=lock_timeout, statement=statement_timeout)
    with op.get_context().autocommit_block():
        conn = _AlembicConnection(op.get_bind())
        with _lease(conn, name):
            conn.execute(f"CREATE TABLE IF NOT EXISTS {_BACKFILLS} (name TEXT PRIMARY KEY, last_key TEXT, "
                         "rows_done BIGINT NOT NULL DEFAULT 0, done BOOLEAN NOT NULL DEFAULT FALSE)")
            conn.execute(f"INSERT INTO {_BACKFILLS} (name) VALUES (?) ON CONFLICT (name) DO NOTHING", (name,))
            last_key, done = conn.execute(f"SELECT last_key, done FROM {_BACKFILLS} WHERE name = ?", (name,))[0]
            if done:
                return 0

            def save(last, rows):
                conn.execute(f"UPDATE {_BACKFILLS} SET last_key = ?, rows_done = rows_done + ? WHERE name = ?",
                             (json.dumps(last), rows, name))

            def finish():
                conn.execute(f"UPDATE {_BACKFILLS} SET done = TRUE WHERE name = ?", (name,))
            return batches.backfill(conn, timeouts, table, set, where, batch_size, key,
                                    None if last_key is None else json.loads(last_key), save, finish)


def forget_backfill(table: str, set: str, where: Optional[str] = None, key: str = "id",
                    name: Optional[str] = None) -> None:
    """In `downgrade()`: forget that this backfill finished, so that the next upgrade runs
    it again (call it with the arguments `backfill` got)."""
    op = _op()
    name = _backfill_name(table, set, where, key, name)
    with op.get_context().autocommit_block():
        conn = _AlembicConnection(op.get_bind())
        exists = conn.execute(f"SELECT to_regclass('{_BACKFILLS}') IS NOT NULL")[0][0] if conn.dialect == "postgres" \
            else bool(conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (_BACKFILLS,)))
        if exists:
            conn.execute(f"DELETE FROM {_BACKFILLS} WHERE name = ?", (name,))


@contextmanager
def _lease(conn: Connection, name: str):
    """PostgreSQL: a session advisory lock for this backfill, freed at the end or when the
    session ends (a killed upgrade frees it at once). SQLite has one writer anyway."""
    if conn.dialect != "postgres":
        yield
        return
    key = int.from_bytes(hashlib.sha256(f"lintmig backfill {name}".encode()).digest()[:8], "big", signed=True)
    conn.execute("SELECT pg_advisory_lock(?)", (key,))
    try:
        yield
    finally:
        conn.execute("SELECT pg_advisory_unlock(?)", (key,))
