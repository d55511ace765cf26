"""What every check shares: the registry of checks, `Hit`, the facts a check may ask, and
small helpers over them.

Checks: one small pure function per rule, registered by code.

A check receives one operation (of a kind the rule's YAML `applies_to` lists, in a dialect
it lists) and the facts of its migration, and yields `Hit`s. Message prose beyond the
specific facts, the help text and the severity come from the catalog.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable, Iterator, Optional

from ..model import Migration, Operation

CHECKS: dict[str, Callable[[Operation, "MigrationFacts"], Iterator["Hit"]]] = {}


@dataclass(slots=True)
class Hit:
    op: Operation
    message: str
    table: Optional[str] = None


def check(code: str):
    def register(fn):
        CHECKS[code] = fn
        return fn

    return register


class MigrationFacts:
    """The facts one check may ask about: its migration, the change, and what the settings
    say about the database (its version, the tables declared small). A check never reads
    the configuration itself."""

    def __init__(self, change, migration: Migration, flagged: Optional[set[int]] = None):
        self.change = change
        self.migration = migration
        self._config = change.config
        self.flagged = flagged if flagged is not None else set()
        self._by_kind: Optional[dict[str, list[Operation]]] = None
        self._first_drop: Optional[dict[str, int]] = None
        self._first_in_statement: Optional[dict[tuple, int]] = None

    @property
    def dialect(self) -> str:
        return self.migration.dialect

    @property
    def postgres_version(self) -> int:
        return int(getattr(self._config, "postgres_version", 15))

    @property
    def mysql_version(self) -> str:
        return str(getattr(self._config, "mysql_version", "8.0"))

    @property
    def strict(self) -> bool:
        return getattr(self._config, "mode", "smart") == "strict"

    def is_small(self, table: Optional[str]) -> bool:
        return table in (getattr(self._config, "small_tables", None) or ())

    def column_type(self, op: Operation, column: Optional[str]) -> Optional[tuple]:
        """The column's type before this operation, as earlier operations of the change (or,
        in a path run, earlier migrations) show it; None when unknown."""
        return self.change.column_type_at(op.table, column, self.change.position(op))

    def settings(self, op: Operation) -> dict[str, tuple[str, str]]:
        """Timeouts in force at the operation: {name: (value, scope)}."""
        return self.change.settings(op)

    def is_new_table(self, table: Optional[str], op: Operation) -> bool:
        return self.change.is_new_table(table, op)

    def in_use(self, table: Optional[str], op: Operation) -> bool:
        """Whether other sessions may be using the table: not created earlier in the change
        (a table filled by CREATE TABLE ... AS is not empty, but nobody waits on it)."""
        return not self.change.created_in_change(table, op)

    def made_in_change(self, op: Operation, table: Optional[str], column: Optional[str] = None) -> bool:
        """Whether this change made the table (or, given one, the column): no released code
        uses it yet. A name the change renamed a table to counts as made."""
        if self.change.created_in_change(table, op) or self.is_new_table(table, op):
            return True
        start, here = self.change.change_start(op), self.change.position(op)
        if any(o.args.get("new_name") == table and start <= self.change.position(o) < here
               for o in self.of_kind("rename_table")):
            return True
        if column is None:
            return False
        state = self.change.schema.column(table, column, here)
        return state is not None and state.born >= start

    def schema(self, op: Operation):
        """(the schema, op's position, where op's change starts): ask it what held before."""
        return self.change.schema, self.change.position(op), self.change.change_start(op)

    def table_keys(self, op: Operation) -> list[tuple[str, ...]]:
        """The keys of op's table when op runs. Boot-time code runs its functions in an order
        its text does not show: there every key its file makes counts."""
        return self.change.table_keys(op.table, op, whole_migration=self.migration.host == "embedded")

    def is_partitioned(self, table: Optional[str], op: Operation) -> bool:
        """Whether the table is a partitioned one when op runs (known from the migration that
        made it; False when none lintmig saw did)."""
        return self.change.schema.partitioned(table, self.change.position(op))

    def table_of_index(self, name: Optional[str]) -> Optional[str]:
        return self.change.index_tables.get(name or "")

    def _index(self) -> None:
        by_kind: dict[str, list[Operation]] = {}
        for op in self.migration.operations:
            by_kind.setdefault(op.kind, []).append(op)
        self._by_kind = by_kind

    def of_kind(self, *kinds: str) -> list[Operation]:
        """Operations of these kinds in this migration, in order."""
        if self._by_kind is None:
            self._index()
        if len(kinds) == 1:
            return self._by_kind.get(kinds[0], [])
        return sorted((o for k in kinds for o in self._by_kind.get(k, [])), key=self.change.position)

    def after(self, op: Operation, *kinds: str) -> list[Operation]:
        pos = self.change.position(op)
        return [o for o in self.of_kind(*kinds) if self.change.position(o) > pos]

    def earlier_in_statement(self, op: Operation) -> bool:
        """Whether an earlier operation of this migration comes from the same statement
        (`ALTER TABLE t ADD a, ADD b`, MySQL's MODIFY with NOT NULL)."""
        if self._first_in_statement is None:
            # Only statements that gave more than one operation are kept: a 20 MB file has
            # hundreds of thousands of statements of one operation each.
            ops = [o for o in self.migration.operations if o.kind not in ("transaction", "set_setting")]
            seen: set = set()
            repeated: set = set()
            for other in ops:
                (repeated if other.span in seen else seen).add(other.span)
            del seen
            self._first_in_statement = {}
            for other in ops:
                if other.span in repeated:
                    self._first_in_statement.setdefault((other.span, other.table), id(other))
        return self._first_in_statement.get((op.span, op.table), id(op)) != id(op)

    def same_transaction(self, op: Operation, kinds: frozenset[str] | None = None) -> Iterator[Operation]:
        """The other operations of op's transaction (optionally only of these kinds), in this
        migration or, when a run shares one transaction, in the others too."""
        return (o for o in self.change.transaction_ops(self.migration, op, kinds) if o is not op)

    def dropped_index_before(self, name: str, op: Operation) -> bool:
        """Whether this migration drops index `name` before `op`."""
        if self._first_drop is None:
            self._first_drop = {}
            for o in self.of_kind("drop_index"):
                self._first_drop.setdefault(o.args.get("name"), self.change.position(o))
        first = self._first_drop.get(name)
        return first is not None and first < self.change.position(op)


def at_scale(op: Operation, facts: MigrationFacts, table: Optional[str] = None) -> bool:
    """Whether size matters: the table is not new in this change and not declared small."""
    table = table if table is not None else op.table
    if facts.is_new_table(table, op):
        return False
    return not facts.is_small(table) and not is_system_table(table)


def together(a: Operation, b: Operation) -> bool:
    """One statement (MySQL's RENAME TABLE a TO b, c TO a is atomic) or one transaction: no
    other session sees what lies between the two operations."""
    return a.span == b.span or (a.txn is not None and a.txn == b.txn)


@functools.lru_cache(maxsize=4096)  # asked for every operation; a run names few tables
def is_system_table(table: Optional[str]) -> bool:
    """PostgreSQL's, MySQL's and SQLite's own catalogs: not a user table that grows."""
    if not table:
        return False
    schema, _, name = table.lower().rpartition(".")
    return schema in ("pg_catalog", "information_schema", "mysql", "performance_schema", "sys") or \
        name.startswith(("pg_", "sqlite_"))


def unbounded_reason(op: Operation, facts: MigrationFacts) -> Optional[str]:
    """Why a data change is unbounded (None when it is bounded), as DESIGN.md defines it."""
    args = op.args
    if args.get("batched"):  # the runner's backfill: key-ranged batches, each committed
        return None
    if op.in_loop and args.get("row_by_row"):
        return "it changes rows one at a time in a loop over the whole table, in one transaction"
    batched = args.get("limit") or args.get("batch_subquery")
    if op.in_loop and (batched or _key_bound(op, facts)):
        if op.txn is None or not batched:
            return None
        return f"its batches run inside one transaction ({op.txn.describe()}), so they hold their locks and commit together"
    if batched:
        return "a single LIMIT-ed statement changes one batch and silently leaves the rest of the table"
    bounds = args.get("bounds")
    if bounds is None:
        return "it has no WHERE clause: every row of the table"
    if _key_bound(op, facts):
        return None
    keys = " or ".join("(" + ", ".join(k) + ")" for k in facts.table_keys(op))
    if args.get("joined"):
        return f"its WHERE joins to another table and bounds nothing on the key {keys}"
    return f"its WHERE does not bound the table's key {keys} with values: every matching row"


def _key_bound(op: Operation, facts: MigrationFacts) -> bool:
    bounds = op.args.get("bounds")
    if not bounds:
        return False
    keys = facts.table_keys(op)
    return all(any(set(key) <= set(cols) for key in keys) for cols in bounds)


def name(op: Operation) -> str:
    return op.table or "<named at run time>"


def doing(op: Operation) -> str:
    """What the operation does, in words: its kind, or the statement that locks the table
    the way ALTER TABLE does (create policy, drop rule)."""
    statement = op.args.get("statement")
    if statement:
        return statement.lower()
    return "ALTER TYPE ... ADD VALUE" if op.kind == "alter_type_add_value" else op.kind.replace("_", " ")
