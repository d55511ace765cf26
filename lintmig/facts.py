"""What the engine knows about a whole change, for the checks to ask.

Built once per run from every migration of the change in migration order: which tables
are new (created earlier and still empty), each table's keys, the settings in force at
each operation, and which operations share a transaction.
"""
from __future__ import annotations

import bisect
import operator
from typing import Callable, Iterable, Optional

from .model import Migration, Operation
from .schema import Schema

TIMEOUT_SETTINGS = ("lock_timeout", "statement_timeout", "lock_wait_timeout", "idle_in_transaction_session_timeout")
_OFF = {"0", "0s", "0ms", "default", "'0'", ""}
_FIRST = operator.itemgetter(0)
_NOWHERE = (0, 0, 0, "")


class ChangeFacts:
    """Facts over all migrations of one change, in migration order.

    In a path run (`separate`) a migration's facts are complete once it is walked: it can be
    checked before the migrations after it are walked (`add`), which a run uses to check
    while later files are still being read.
    """

    def __init__(self, migrations: list[Migration], config, is_added: Optional[Callable[[Operation], bool]] = None,
                 separate: bool = False, history: Optional[list[Migration]] = None):
        self.config = config
        # Each migration its own change (`lintmig check PATH...`): a table is new only inside
        # the migration that creates it; keys, indexes and checks learnt earlier still count.
        self.separate = separate
        # Migrations that ran before the change: their schema counts, their tables are old.
        self.history = history or []
        self._fresh_tables: dict[str, frozenset] = {}
        self._is_added = is_added or (lambda op: True)
        self._new_spans: dict[str, list[list[int]]] = {}  # table -> [[from, to], ...] positions
        # A boot-time `CREATE TABLE IF NOT EXISTS` (or one inside a conditional) runs at every
        # start: it makes its table new only for the statements of its own SQL text.
        self._new_only_in: dict[int, tuple] = {}  # id(span) -> (path, anchor)
        # Tables the change creates, filled or not (CREATE TABLE ... AS included): nobody else
        # uses them yet, so their locks block no one.
        self._created_at: dict[str, list[list[int]]] = {}
        # Tables with a span still open: closing spans at a migration's end touches only these.
        self._open_new: set[str] = set()
        self._open_created: set[str] = set()
        # table -> [(position, key)]: a key counts from where it is made (in walk order)
        self.keys: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
        self._keys_cache: dict[tuple, list[tuple[str, ...]]] = {}
        # table -> where the change first shows its definition (and so its keys)
        self.created: dict[str, int] = {}
        # The schema the migrations before an operation leave (history included).
        self.schema = Schema()
        self.index_tables = self.schema.index_tables
        self._txn_groups: dict[tuple, list[Operation]] = {}
        self._txn_filtered: dict[tuple, list[Operation]] = {}
        # Facts learnt about operations live here, keyed by the operation's identity in this
        # run: the operations themselves (maybe straight from the cache) are never written.
        # id(op) -> its position; each migration's first position, and where its change
        # starts and its file, found from a position by bisection. A change starts at its
        # migration's first position in a path run, after the history otherwise. (A 20 MB
        # file has hundreds of thousands of operations: one int each, nothing more.)
        self._pos: dict[Operation, int] = {}  # keyed by the operation itself (no id ints)
        self._firsts: list[int] = []
        self._spans: list[tuple[int, str]] = []
        # The timeouts in force, per migration: the positions where they change and what
        # they are from there (a SET is rare; a dict per operation was not).
        self._settings: dict[str, tuple[list[int], list[dict[str, tuple[str, str]]]]] = {}
        self._last = 0  # the position of the last operation walked
        self._last_where = _NOWHERE  # (first position, end, change start, path) of the last migration asked about
        self._start = 1  # where the change starts
        self._walk_history()
        for mig in migrations:
            self.add(mig)
        if not separate:
            self._close_all()

    def _where(self, op: Operation) -> Optional[tuple[int, int, str]]:
        """(op's position, where its change starts, its file); None outside the change."""
        pos = self._pos.get(op)
        if pos is None:
            return None
        low, high, start, path = self._last_where
        if not low <= pos < high:  # checks ask about the operations of one migration at a time
            at = bisect.bisect_right(self._firsts, pos) - 1
            high = self._firsts[at + 1] if at + 1 < len(self._firsts) else self._last + 1
            start, path = self._spans[at]
            self._last_where = (self._firsts[at], high, start, path)
        return pos, start, path

    def settings(self, op: Operation) -> dict[str, tuple[str, str]]:
        """The timeouts in force at an operation of the change: {name: (value, scope)}."""
        where = self._where(op)
        if where is None:
            return {}
        points, values = self._settings[where[2]]
        at = bisect.bisect_right(points, where[0]) - 1
        return values[at] if at >= 0 else {}

    def _walk_history(self) -> None:
        pos = 0
        for mig in self.history:  # the schema before the change; nothing in it is new
            for op in mig.operations:
                pos += 1
                self._learn(op, pos, mig)
        self._close_open(pos)
        self._last, self._start = pos, pos + 1

    def add(self, mig: Migration) -> None:
        """Walk the next migration, in migration order."""
        if mig.fresh_tables:
            self._fresh_tables[mig.path] = frozenset(mig.fresh_tables)
        pos = self._last
        if self.separate:
            self._start = pos + 1
        self._firsts.append(pos + 1)
        self._spans.append((self._start, mig.path))
        for op in mig.operations:
            pos += 1
            self._pos[op] = pos
            self._learn(op, pos, mig)
            if op.txn is not None:
                self._txn_groups.setdefault(self.txn_key(mig, op), []).append(op)
        if self.separate:
            self._close_open(pos)
        self._last = pos
        self._last_where = _NOWHERE  # the last migration's end moved
        self._settings[mig.path] = self._settings_of(mig)

    def _close_open(self, pos: int) -> None:
        for table in list(self._open_new):
            self._end_new(table, pos)
        for table in list(self._open_created):
            self._end_created(table, pos)

    def _close_all(self) -> None:
        """At the end of a change: what is still new stays new to its end."""
        for spans in (*self._new_spans.values(), *self._created_at.values()):
            for span in spans:
                if span[1] < 0:
                    span[1] = self._last + 1

    def _settings_of(self, mig: Migration) -> tuple[list[int], list[dict[str, tuple[str, str]]]]:
        """Where the timeouts in force change in a migration, and what they are from there."""
        found = settings_in_force(mig.operations, self.config, mig.session_settings, mig.transaction_settings)
        points: list[int] = []
        values: list[dict[str, tuple[str, str]]] = []
        last = None
        for op in mig.operations:
            now = found.get(id(op))
            if not points or now is not last:
                points.append(self._pos[op])
                values.append(now or {})
                last = now
        return points, values

    def _learn(self, op: Operation, pos: int, mig: Migration) -> None:
        table, args = op.table, op.args
        self.schema.learn(op, pos)
        if op.kind == "create_table" and table:
            # Boot-time code runs at every start: a create under IF NOT EXISTS or a condition
            # makes its table new only for the statements of its own SQL text, unless the
            # change (in diff mode) adds the create itself.
            conditional = mig.host == "embedded" and bool(args.get("if_not_exists") or args.get("enclosing"))
            boot_time = conditional and (self.separate or not self._is_added(op))
            # Elsewhere IF NOT EXISTS makes a table new only when the change adds the statement.
            if boot_time or not args.get("if_not_exists") or self._is_added(op):
                self._end_new(table, pos)
                if not boot_time:
                    self._created_at.setdefault(table, []).append([pos, -1])
                    self._open_created.add(table)
                if not args.get("as_select"):
                    span = [pos, -1]
                    self._new_spans.setdefault(table, []).append(span)
                    self._open_new.add(table)
                    if boot_time:
                        self._new_only_in[id(span)] = (mig.path, op.anchor)
            self.created.setdefault(table, pos)
            for cols in args.get("keys") or []:
                self._add_key(table, cols, pos)
        elif op.kind in ("insert_select", "drop_table") and table:
            self._end_new(table, pos)
            if op.kind == "drop_table":
                self._end_created(table, pos)
        elif op.kind == "rename_table" and table and args.get("new_name"):
            new = args["new_name"]
            self._end_new(new, pos)
            self._end_created(table, pos)  # renamed into place, a copy is the table in use
            for span in self._new_spans.get(table, []):
                if span[1] < 0:
                    span[1] = pos
                    self._new_spans.setdefault(new, []).append([pos, -1])
                    self._open_new.add(new)
            self._open_new.discard(table)
            if new != table:  # (a rename to its own name, as Django's AlterModelTable may emit)
                for _, key in list(self.keys.get(table, ())):
                    self._add_key(new, key, pos)
        elif op.kind == "create_index" and args.get("unique") and table:
            self._add_key(table, args.get("columns") or [], pos)
        elif op.kind == "add_constraint" and table and args.get("type") in ("unique", "primary_key"):
            self._add_key(table, args.get("columns") or [], pos)

    def column_type_at(self, table: Optional[str], column: Optional[str], pos: int) -> Optional[tuple]:
        """A column's type as the operations before position `pos` leave it (None: unknown)."""
        state = self.schema.column(table, column, pos)
        return state.type if state is not None else None

    def change_start(self, op: Operation) -> int:
        """The first position of op's change: what comes before it is deployed history."""
        return self._where(op)[1]

    def _add_key(self, table: str, cols: Iterable[str], pos: int) -> None:
        key = tuple(c for c in cols if c)
        if key:
            self.keys.setdefault(table, []).append((pos, key))

    def _end_new(self, table: str, pos: int) -> None:
        if table in self._open_new:
            self._open_new.discard(table)
            for span in self._new_spans.get(table, []):
                if span[1] < 0:
                    span[1] = pos

    def _end_created(self, table: str, pos: int) -> None:
        if table in self._open_created:
            self._open_created.discard(table)
            for span in self._created_at.get(table, []):
                if span[1] < 0:
                    span[1] = pos

    def created_in_change(self, table: Optional[str], op: Operation) -> bool:
        """Created earlier in the change, even if filled since (`CREATE TABLE ... AS`): a
        table no other session uses yet."""
        if self._fresh_here(table, op):
            return True
        seq = self._pos[op]
        return any(start < seq <= end for start, end in self._created_at.get(table or "", ()))

    def _fresh_here(self, table: Optional[str], op: Operation) -> bool:
        """Whether op's migration runs only where the table is empty (a fresh install)."""
        return bool(self._fresh_tables) and (table or "") in self._fresh_tables.get(self._where(op)[2], ())

    # Questions the checks ask.

    def is_added(self, op: Operation) -> bool:
        """Whether the change adds or changes this operation (always, outside diff mode)."""
        return self._is_added(op)

    def txn_key(self, mig: Migration, op: Operation) -> tuple:
        # Revisions that share Alembic's transaction share it only when they run in one
        # upgrade: the migrations of one change, never those of a path run, each of which
        # is its own change (the ones before it are deployed history).
        if mig.shared_transaction and op.txn.kind == "migration" and not self.separate:  # not a BEGIN of its own
            return ("shared", mig.host, op.txn)
        return (mig.path, op.txn)

    def transaction_ops(self, mig: Migration, op: Operation, kinds: Optional[frozenset] = None) -> list[Operation]:
        """Every operation of op's transaction (optionally only of these kinds), across
        migrations when they share one. Filtered lists are kept: a shared transaction can
        hold a whole run."""
        if op.txn is None:
            return []
        key = (self.txn_key(mig, op), kinds)
        found = self._txn_filtered.get(key)
        if found is None:
            ops = self._txn_groups.get(key[0], [])
            found = self._txn_filtered[key] = [o for o in ops if kinds is None or o.kind in kinds]
        return found

    def position(self, op: Operation) -> int:
        return self._pos[op]

    def is_new_table(self, table: Optional[str], op: Operation) -> bool:
        """Created earlier in the change and not yet filled from an existing table."""
        if self._fresh_here(table, op):
            return True
        spans = self._new_spans.get(table) if table else None
        if not spans:
            return False
        seq = self._pos[op]
        for span in spans:
            if span[0] < seq <= span[1]:
                only = self._new_only_in.get(id(span))
                if only is None or only == (self._where(op)[2], op.anchor):
                    return True
        return False

    def table_keys(self, table: Optional[str], op: Operation, whole_migration: bool = False) -> list[tuple[str, ...]]:
        """The table's keys at op: what the operations before it show (`whole_migration`:
        and the rest of its migration), else the `keys` config, else `id`. A key a later
        migration makes does not bound op's rows."""
        pos = self._pos.get(op, self._last)
        if whole_migration:
            after = bisect.bisect_right(self._firsts, pos)
            pos = self._firsts[after] - 1 if after < len(self._firsts) else self._last
        made = self.keys.get(table or "", ())
        known = bisect.bisect_right(made, pos, key=_FIRST)
        shown = self.created.get(table or "", pos + 1) <= pos
        cached = self._keys_cache.get((table, known, shown))
        if cached is not None:
            return cached
        configured = (getattr(self.config, "keys", None) or {}).get(table or "")
        keys = sorted({key for _, key in made[:known]})
        if configured:
            keys.append(tuple(configured) if isinstance(configured, (list, tuple)) else (configured,))
        if not keys or not shown:
            # An existing table keeps its usual `id` key next to keys the change adds to it.
            keys.append(("id",))
        if getattr(self.config, "dialect", "") == "sqlite":
            keys.append(("rowid",))
        keys = list(dict.fromkeys(keys))  # a key the change shows may be the usual one
        self._keys_cache[(table, known, shown)] = keys
        return keys

    def has_validated_not_null(self, table: Optional[str], column: Optional[str], op: Operation) -> bool:
        return self.schema.validated_not_null_check(table, column, self.position(op))


def _value_off(value: str) -> bool:
    return str(value).strip().strip("'\"").lower() in _OFF


def settings_in_force(ops: list[Operation], config, runner_session: Optional[dict] = None,
                      runner_transaction: Optional[dict] = None) -> dict[int, dict[str, tuple[str, str]]]:
    """The timeouts in force at each operation of one migration, by operation identity.

    SET (session) lasts past COMMIT; SET LOCAL lasts to the end of its transaction and
    does nothing outside one; RESET and `= 0`/DEFAULT turn a setting off.
    """
    session: dict[str, tuple[str, str]] = {}
    if getattr(config, "assume_lock_timeout", None):
        session["lock_timeout"] = (str(config.assume_lock_timeout), "assumed")
        session["lock_wait_timeout"] = (str(config.assume_lock_timeout), "assumed")
    if getattr(config, "session_statement_timeout", None):
        session["statement_timeout"] = (str(config.session_statement_timeout), "session")
    session.update(runner_session or {})
    at_begin = dict(runner_transaction or {})  # SET LOCAL run at the start of every transaction
    local: dict[str, tuple[str, str]] = {}
    local_txn = None
    snapshot: dict[str, tuple[str, str]] = dict(session)
    found: dict[int, dict[str, tuple[str, str]]] = {}
    for op in ops:
        if op.txn != local_txn:
            local, local_txn = (dict(at_begin) if op.txn is not None else {}), op.txn
            snapshot = {**session, **local}
        if op.kind == "set_setting":
            name, value, scope = op.args.get("name"), op.args.get("value", ""), op.args.get("scope", "session")
            if name in TIMEOUT_SETTINGS and scope != "global":
                if scope == "local":
                    if op.txn is None:
                        found[id(op)] = snapshot
                        continue
                    local_txn = op.txn
                    target = local
                else:
                    target = session
                    local.pop(name, None)
                if _value_off(value):
                    target.pop(name, None)
                else:
                    target[name] = (str(value), scope)
                snapshot = {**session, **local}
        elif op.kind == "reset_setting":
            name = op.args.get("name")
            for store in (session, local):
                if name == "all":
                    store.clear()
                else:
                    store.pop(name, None)
            snapshot = {**session, **local}
        found[id(op)] = snapshot
    return found
