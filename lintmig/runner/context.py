"""The `m` a migration's functions receive.

In `schema(m)` every call runs inside the schema transaction. In `data(m)` and
`background(m)` each call is a *step*: it runs in its own transaction (or, for an index
build, outside any) and is recorded in the bookkeeping row when it finishes, so a restart
after a kill skips the steps already done and resumes a backfill after its last batch.
The work functions must therefore make the same calls in the same order on every run.
"""
from __future__ import annotations

import threading
from typing import Callable, Optional, Sequence, Union

from . import batches, indexes, ledger
from .database import Connection, Timeouts
from .errors import LeaseLost, RunnerError


def _columns(columns: Union[str, Sequence[str]]) -> str:
    return columns if isinstance(columns, str) else ", ".join(columns)


def foreign_key_name(table: str, columns, name: Optional[str]) -> str:
    return name or f"{table}_{'_'.join([columns] if isinstance(columns, str) else columns)}_fkey"


def foreign_key_sql(table, columns, ref_table, ref_columns, name, on_delete, not_valid) -> str:
    name = foreign_key_name(table, columns, name)
    sql = (f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({_columns(columns)}) "
           f"REFERENCES {ref_table} ({_columns(ref_columns)})")
    if on_delete:
        sql += f" ON DELETE {on_delete}"
    return sql + (" NOT VALID" if not_valid else "")


class SchemaContext:
    """`m` inside `schema(m)`: one transaction with the bookkeeping row."""

    phase = "schema"

    def __init__(self, conn: Connection, migration_label: str):
        self._conn = conn
        self._label = migration_label
        self.dialect = conn.dialect

    def execute(self, sql: str, params=None) -> list:
        return self._conn.execute_user(sql, params)

    def add_foreign_key(self, table: str, columns, ref_table: str, ref_columns=("id",),
                        name: Optional[str] = None, on_delete: Optional[str] = None, not_valid: bool = True) -> None:
        if self.dialect == "sqlite":
            raise RunnerError(f"{self._label}: SQLite cannot add a foreign key to an existing table "
                              "(declare it in CREATE TABLE, or rebuild the table)")
        self._conn.execute(foreign_key_sql(table, columns, ref_table, ref_columns, name, on_delete, not_valid))

    def _outside(self, call: str):
        raise RunnerError(f"{self._label}: m.{call} runs outside the schema transaction: "
                          "call it from data(m) or background(m)")

    def backfill(self, *args, **kwargs):
        self._outside("backfill")

    def create_index(self, *args, **kwargs):
        self._outside("create_index")

    def validate_constraint(self, *args, **kwargs):
        self._outside("validate_constraint")


class WorkContext:
    """`m` inside `data(m)` and `background(m)`: resumable steps under a lease."""

    def __init__(self, conn: Connection, row: ledger.Row, owner: str, timeouts: Timeouts,
                 lost: threading.Event, phase: str, first_step: int = 0, token: int = 0,
                 stopping: Optional[threading.Event] = None, open_monitor: Optional[Callable] = None):
        self._conn = conn
        self._row = row
        self._owner = owner
        self._token = token
        self._stopping = stopping or threading.Event()
        self._open_monitor = open_monitor  # a second connection, to watch an index build wait
        self._timeouts = timeouts
        self._lost = lost
        self._next = first_step
        self.phase = phase
        self.dialect = conn.dialect

    @property
    def steps_taken(self) -> int:
        return self._next

    # -- steps ------------------------------------------------------------------------------

    def _step(self) -> Optional[int]:
        """The number of this call, or None when an earlier run finished it."""
        if self._lost.is_set():
            raise LeaseLost(f"migration {self._row.version}: lease lost")
        if self._stopping.is_set():
            raise LeaseLost(str(self._next))
        number = self._next
        self._next += 1
        return None if number < self._row.step else number

    def _in_transaction(self, body, lift_statement_timeout: bool = False):
        return batches.in_transaction(self._conn, self._timeouts, body, lift_statement_timeout)

    def _done(self, number: int, cursor=None, rows: int = 0) -> None:
        ledger.save_progress(self._conn, self._row.version, self._owner, self._token,
                             number + 1 if cursor is None else number, cursor, rows)

    def execute(self, sql: str, params=None) -> list:
        number = self._step()
        if number is None:
            return []

        def body():
            result = self._conn.execute_user(sql, params)
            self._done(number)
            return result
        return self._in_transaction(body, lift_statement_timeout=True)

    def backfill(self, table: str, set: str, where: Optional[str] = None, batch_size: int = 2000,
                 key: str = "id") -> int:
        """UPDATE table SET <set> WHERE <where>, `batch_size` rows per transaction in `key`
        order; each batch re-checks `where` and commits with the key it reached."""
        number = self._step()
        if number is None:
            return 0
        start_after = self._row.cursor_value if number == self._row.step else None
        try:
            total = batches.backfill(
                self._conn, self._timeouts, table, set, where, batch_size, key, start_after,
                save=lambda last, rows: self._done(number, cursor=last, rows=rows),
                finish=lambda: self._done(number), should_stop=self._lost.is_set)
        except ValueError as err:
            raise RunnerError(str(err)) from None
        if self._lost.is_set():
            raise LeaseLost(f"migration {self._row.version}: lease lost")
        return total

    def create_index(self, name: str, table: str, columns, unique: bool = False,
                     where: Optional[str] = None) -> None:
        number = self._step()
        if number is None:
            return
        if self.dialect == "postgres":
            indexes.build_concurrently(self._conn, name, table, _columns(columns), unique, where,
                                       self._timeouts, is_stale=self._stale_build, open_monitor=self._open_monitor)

        def body():
            if self.dialect == "sqlite":
                self._conn.execute(indexes.create_sql(name, table, _columns(columns), unique, where,
                                                      if_not_exists=True))
            self._done(number)
        self._in_transaction(body, lift_statement_timeout=True)

    def _stale_build(self, application_name: str) -> bool:
        """Whether another backend's index build belongs to a lintmig claim no longer current
        (`lintmig v<version> t<token>` whose token is not this migration's token now)."""
        parts = application_name.split()
        if len(parts) != 3 or parts[0] != "lintmig" or not parts[1][1:].isdigit() or not parts[2][1:].isdigit():
            return False
        if int(parts[1][1:]) != self._row.version:
            return False
        return int(parts[2][1:]) < self._token

    def add_foreign_key(self, table: str, columns, ref_table: str, ref_columns=("id",),
                        name: Optional[str] = None, on_delete: Optional[str] = None, not_valid: bool = True) -> None:
        number = self._step()
        if number is None:
            return
        if self.dialect == "sqlite":
            raise RunnerError(f"migration {self._row.version}: SQLite cannot add a foreign key to an existing table")

        def body():
            if not indexes.constraint_exists(self._conn, table, foreign_key_name(table, columns, name)):
                self._conn.execute(foreign_key_sql(table, columns, ref_table, ref_columns, name, on_delete, not_valid))
            self._done(number)
        self._in_transaction(body)

    def validate_constraint(self, table: str, name: str) -> None:
        """VALIDATE CONSTRAINT scans the table under a lock that lets reads and writes go on."""
        number = self._step()
        if number is None:
            return

        def body():
            if self.dialect == "postgres":
                self._conn.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}")
            self._done(number)
        self._in_transaction(body, lift_statement_timeout=True)
