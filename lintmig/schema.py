"""The schema the migrations before an operation leave, replayed from their operations.

Static only: what no migration shows stays unknown (None), never guessed. Every fact is a
timeline of (position, state) so that any operation can ask what held just before it; a
state of None after a known one means the thing was dropped.
"""
from __future__ import annotations

from bisect import bisect_left
from typing import NamedTuple, Optional

from .model import Operation


class Column(NamedTuple):
    type: Optional[tuple]  # (base, params) as front ends normalise it
    not_null: Optional[bool]
    has_default: Optional[bool]  # a database default (a Python-side one does not count)
    born: int  # position of the operation that made it; 0 when no migration lintmig saw did


class Constraint(NamedTuple):
    type: Optional[str]  # check | unique | primary_key | foreign_key | None (unknown)
    validated: bool
    not_null_column: Optional[str]  # for CHECK (col IS NOT NULL)
    born: int


_UNKNOWN_COLUMN = Column(None, None, None, 0)


class Schema:
    """Tables' columns and named constraints over positions, and which table an index is on."""

    def __init__(self) -> None:
        # table -> name -> timeline: a table's columns and constraints are found without
        # looking at any other table's (a long history holds thousands).
        self._columns: dict[str, dict[str, list[tuple[int, Optional[Column]]]]] = {}
        self._constraints: dict[str, dict[str, list[tuple[int, Optional[Constraint]]]]] = {}
        self.index_tables: dict[str, str] = {}
        self.index_columns: dict[str, tuple] = {}  # index name -> its columns, as the build listed them
        # table -> column -> names of the CHECK (col IS NOT NULL) constraints ever added on it
        self._guards: dict[str, dict[str, set[str]]] = {}
        # Table name -> [(position, True when a table holds the name, False once dropped or renamed away)]
        self._tables: dict[str, list[tuple[int, bool]]] = {}
        # Table name -> [(position, whether the table of that name is partitioned (PARTITION BY))]
        self._partitioned: dict[str, list[tuple[int, bool]]] = {}

    # Questions.

    def name_freed(self, table: Optional[str], pos: int) -> bool:
        """Whether a table held this name and was dropped or renamed away before `pos`."""
        return _at(self._tables.get(table or ""), pos) is False

    def partitioned(self, table: Optional[str], pos: int) -> bool:
        """Whether the table of this name before `pos` is a partitioned one (its rows live in
        its partitions); False when it is not, or no migration lintmig saw made it."""
        return bool(_at(self._partitioned.get(table or ""), pos))

    def column(self, table: Optional[str], column: Optional[str], pos: int) -> Optional[Column]:
        """The column as the operations before position `pos` leave it (None: unknown or dropped)."""
        return _at(self._columns.get(table or "", {}).get(column or ""), pos)

    def constraints(self, table: Optional[str], pos: int) -> dict[str, Constraint]:
        found = {}
        for name, timeline in self._constraints.get(table or "", {}).items():
            state = _at(timeline, pos)
            if state is not None:
                found[name] = state
        return found

    def constraint(self, table: Optional[str], name: Optional[str], pos: int) -> Optional[Constraint]:
        return _at(self._constraints.get(table or "", {}).get(name or ""), pos)

    def not_null_enforced(self, table: Optional[str], column: Optional[str], pos: int) -> Optional[str]:
        """What already refuses NULL in the column before `pos` (validated or not: a NOT VALID
        CHECK still checks every new write), as words for a message; None when nothing does."""
        state = self.column(table, column, pos)
        if state is not None and state.not_null:
            return "NOT NULL"
        for name, c in self._guarding(table, column, pos):
            return f"CHECK {name}"
        return None

    def validated_not_null_check(self, table: Optional[str], column: Optional[str], pos: int) -> bool:
        return any(c.validated for _, c in self._guarding(table, column, pos))

    def _guarding(self, table: Optional[str], column: Optional[str], pos: int):
        """(name, constraint) of the CHECK (column IS NOT NULL) constraints in force at `pos`."""
        for name in sorted(self._guards.get(table or "", {}).get(column or "", ())):
            c = self.constraint(table, name, pos)
            if c is not None and c.not_null_column == column:
                yield name, c

    # Learning, one operation at a time in migration order.

    def learn(self, op: Operation, pos: int) -> None:
        table, args = op.table, op.args
        if not table:
            return
        reader = getattr(self, f"_learn_{op.kind}", None)
        if reader is not None:
            reader(table, args, pos)

    def _learn_create_table(self, table, args, pos):
        self._tables.setdefault(table, []).append((pos, True))
        self._partitioned.setdefault(table, []).append((pos, bool(args.get("partitioned"))))
        not_null, defaults = set(args.get("not_null") or ()), set(args.get("defaults") or ())
        known = "not_null" in args  # front ends that say which columns are NOT NULL
        for name, ctype in (args.get("columns") or {}).items():
            self._set(table, name, pos, Column(tuple(ctype) if ctype else None, name in not_null if known else None,
                                               name in defaults if known else None, pos))

    def _learn_add_column(self, table, args, pos):
        if args.get("column"):
            ctype = tuple(args["type"]) if args.get("type") else None
            self._set(table, args["column"], pos, Column(ctype, bool(args.get("not_null")),
                                                         bool(args.get("has_default")) and not args.get("default_dropped")
                                                         or bool(args.get("generated")), pos))

    def _learn_drop_column(self, table, args, pos):
        if args.get("column"):
            self._set(table, args["column"], pos, None)

    def _learn_rename_column(self, table, args, pos):
        old, new = args.get("column"), args.get("new_name")
        if old and new:
            self._set(table, new, pos, self.column(table, old, pos + 1) or _UNKNOWN_COLUMN)
            self._set(table, old, pos, None)
            guards = self._guards.get(table, {})
            for name in guards.get(old, set()):
                timeline = self._constraints[table][name]
                state = _at(timeline, pos + 1)
                if state is not None and state.not_null_column == old:
                    timeline.append((pos, state._replace(not_null_column=new)))
                    guards.setdefault(new, set()).add(name)

    def _learn_rename_table(self, table, args, pos):
        new = args.get("new_name")
        if not new:
            return
        self._tables.setdefault(table, []).append((pos, False))
        self._tables.setdefault(new, []).append((pos, True))
        self._partitioned.setdefault(new, []).append((pos, self.partitioned(table, pos + 1)))
        self._partitioned.setdefault(table, []).append((pos, False))
        for store in (self._columns, self._constraints):
            for name, timeline in list(store.get(table, {}).items()):
                state = _at(timeline, pos + 1)
                store.setdefault(new, {}).setdefault(name, []).append((pos, state))
                timeline.append((pos, None))
        for column, names in self._guards.get(table, {}).items():
            self._guards.setdefault(new, {}).setdefault(column, set()).update(names)
        for index, on in list(self.index_tables.items()):
            if on == table:
                self.index_tables[index] = new

    def _learn_drop_table(self, table, args, pos):
        self._tables.setdefault(table, []).append((pos, False))
        self._partitioned.setdefault(table, []).append((pos, False))
        for store in (self._columns, self._constraints):
            for timeline in store.get(table, {}).values():
                timeline.append((pos, None))

    def _learn_alter_column_type(self, table, args, pos):
        self._change(table, args.get("column"), pos, type=tuple(args["new_type"]) if args.get("new_type") else None)

    def _learn_set_not_null(self, table, args, pos):
        self._change(table, args.get("column"), pos, not_null=True)

    def _learn_drop_not_null(self, table, args, pos):
        self._change(table, args.get("column"), pos, not_null=False)

    def _learn_set_default(self, table, args, pos):
        self._change(table, args.get("column"), pos, has_default=True)

    def _learn_drop_default(self, table, args, pos):
        self._change(table, args.get("column"), pos, has_default=False)

    def _learn_add_constraint(self, table, args, pos):
        name = args.get("name")
        if name:
            self._constraints.setdefault(table, {}).setdefault(name, []).append(
                (pos, Constraint(args.get("type"), not args.get("not_valid"), args.get("not_null_column"), pos)))
            if args.get("not_null_column"):
                self._guards.setdefault(table, {}).setdefault(args["not_null_column"], set()).add(name)

    def _learn_validate_constraint(self, table, args, pos):
        state = self.constraint(table, args.get("name"), pos + 1)
        if state is not None:
            self._constraints[table][args["name"]].append((pos, state._replace(validated=True)))

    def _learn_drop_constraint(self, table, args, pos):
        timeline = self._constraints.get(table, {}).get(args.get("name") or "")
        if timeline is not None:
            timeline.append((pos, None))

    def _learn_create_index(self, table, args, pos):
        if args.get("name"):
            self.index_tables[args["name"]] = table
            self.index_columns[args["name"]] = tuple(args.get("columns") or ())

    def _set(self, table: str, column: str, pos: int, state: Optional[Column]) -> None:
        self._columns.setdefault(table, {}).setdefault(column, []).append((pos, state))

    def _change(self, table: str, column: Optional[str], pos: int, **changes) -> None:
        if column:
            state = self.column(table, column, pos + 1) or _UNKNOWN_COLUMN
            self._set(table, column, pos, state._replace(**changes))


def _at(timeline, pos: int):
    """The last state recorded before `pos` (timelines are appended in position order)."""
    if not timeline:
        return None
    index = bisect_left(timeline, pos, key=_position)
    return timeline[index - 1][1] if index else None


def _position(entry) -> int:
    return entry[0]
