"""The shared vocabulary of the pipeline.

Front ends produce `Migration`s holding `Operation`s; the engine learns facts about them
(positions, settings in force, new tables) in side tables of its own and never writes to
an operation; checks turn them into `Finding`s. Everything
here is plain data so that extraction results can be cached and sent between processes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple, Optional

# The closed set of operation kinds front ends produce, each with the fields (`args`) it
# may carry and their types. A rule's `applies_to` must name kinds from it (checked when
# the catalog loads: a misspelt kind is an error, not a silently dead rule), and the tests
# check that every front end produces only declared fields of the declared types.
# A field that is absent says nothing ("not concurrent" is the absence of `concurrently`);
# a field the front end could not evaluate is listed in `unknown` instead, and a check
# that reads it assumes the unsafe value and says so.
_STR, _BOOL, _INT, _LIST, _TUPLE, _DICT = (str,), (bool,), (int,), (list,), (tuple,), (dict,)
HOST_FIELDS: dict[str, tuple] = {
    "enclosing": _TUPLE, "calls": _TUPLE, "scope": _INT, "in_do_block": _BOOL, "multi_statement": _BOOL,
    "row_by_row": _BOOL, "txn_callback": _STR, "unknown": _TUPLE,
}
FIELDS: dict[str, dict[str, tuple]] = {
    "add_column": {"column": _STR, "type": _TUPLE, "not_null": _BOOL, "has_default": _BOOL, "default_volatility": _STR,
                   "default_func": _STR, "sql_server_default": _BOOL, "if_not_exists": _BOOL, "algorithm": _STR,
                   "position": _STR, "lock": _STR, "default_once": _STR, "default_dropped": _BOOL,
                   # a generated column, "stored" or "virtual": the database computes every value
                   "generated": _STR},
    "add_constraint": {"name": _STR, "type": _STR, "columns": _LIST, "references": _STR, "not_valid": _BOOL,
                       "on_new_column": _BOOL, "column_has_default": _BOOL, "not_null_column": _STR, "using_index": _BOOL,
                       "domain": _STR,  # ALTER DOMAIN d ADD CHECK: on every column of type d, no table named
                       "index": _STR},  # ADD ... USING INDEX: the index made into the constraint
    "alter_column_type": {"column": _STR, "new_type": _TUPLE, "old_type": _TUPLE, "using": _BOOL, "algorithm": _STR,
                          "lock": _STR},
    # statement: a statement of its own that locks the table as ALTER TABLE does (CREATE POLICY, DROP RULE)
    # lock_mode: "SHARE UPDATE EXCLUSIVE" where the whole statement takes no more (SET (fillfactor = 70))
    "alter_table": {"action": _STR, "action_sql": _STR, "statement": _STR, "lock_mode": _STR, "algorithm": _STR,
                    "lock": _STR},
    # value_used_on_line: a later statement of the same SQL text uses the new value as a literal
    "alter_type_add_value": {"if_not_exists": _BOOL, "value": _STR, "value_used_on_line": _INT},
    "attach_partition": {"partition": _STR},
    "batch_alter": {"recreate": _BOOL, "why": _STR},
    "cluster": {},
    "create_index": {"name": _STR, "columns": _LIST, "unique": _BOOL, "concurrently": _BOOL, "if_not_exists": _BOOL,
                     "partial": _BOOL, "only": _BOOL, "method": _STR, "index_type": _STR, "algorithm": _STR, "lock": _STR,
                     "drops_invalid": _BOOL},
    "create_table": {"columns": _DICT, "keys": _LIST, "if_not_exists": _BOOL, "as_select": _BOOL,
                     "sources": _LIST, "temporary": _BOOL, "references": _LIST, "not_null": _LIST, "defaults": _LIST,
                     "partitioned": _BOOL},  # PARTITION BY: a parent whose rows live in its partitions
    "create_trigger": {},
    "delete": {"bounds": _LIST, "joined": _BOOL, "limit": _BOOL, "batch_subquery": _BOOL},
    "detach_partition": {"partition": _STR, "concurrently": _BOOL},
    "drop_column": {"column": _STR, "if_exists": _BOOL, "retired": _BOOL},
    "drop_constraint": {"name": _STR, "if_exists": _BOOL},
    "drop_default": {"column": _STR},
    # only_if_invalid: a block that drops the index only when a failed build left it INVALID
    "drop_index": {"name": _STR, "concurrently": _BOOL, "if_exists": _BOOL, "only_if_invalid": _BOOL,
                   "several": _BOOL, "cascade": _BOOL},  # one DROP INDEX of several indexes; with CASCADE
    # restated: a MySQL MODIFY/CHANGE repeats the column's whole definition, NULL-ness included,
    # so it changes NULL-ness only if the column was otherwise before.
    "drop_not_null": {"column": _STR, "restated": _BOOL},
    "drop_table": {"if_exists": _BOOL},
    "drop_schema": {"name": _STR, "what": _STR, "cascade": _BOOL, "if_exists": _BOOL},
    "drop_trigger": {},
    "insert_select": {"sources": _LIST},
    "lock_table": {},
    "optimize_table": {},
    "parse_error": {"reason": _STR},
    "refresh_materialized_view": {"concurrently": _BOOL},
    "reindex": {"name": _STR, "target": _STR, "concurrently": _BOOL},
    "rename_column": {"column": _STR, "new_name": _STR},
    "rename_table": {"new_name": _STR},
    "reset_setting": {"name": _STR},
    # The code stops using a column the database keeps (Django: a state-only RemoveField).
    "retire_column": {"column": _STR, "not_null": _BOOL, "has_default": _BOOL},
    "set_default": {"column": _STR},
    "set_not_null": {"column": _STR, "restated": _BOOL},
    "set_setting": {"name": _STR, "value": _STR, "scope": _STR},
    "transaction": {"action": _STR, "mode": _STR},
    "truncate": {},
    "unanalyzable": {"reason": _STR},
    "update": {"where": _STR, "bounds": _LIST, "joined": _BOOL, "limit": _BOOL, "batch_subquery": _BOOL, "batched": _BOOL},
    "vacuum": {"full": _BOOL},
    "validate_constraint": {"name": _STR},
}
KINDS = frozenset(FIELDS)
# alter_table's lock_mode: the lock that lets reads and writes go on while it is waited for.
SHARE_UPDATE_EXCLUSIVE = "SHARE UPDATE EXCLUSIVE"


def field_problems(kind: str, args: dict) -> list[str]:
    """What is wrong with an operation's fields: an unknown kind, an undeclared field, a
    value of the wrong type (empty when it follows the declaration)."""
    if kind not in FIELDS:
        return [f"unknown kind {kind!r}"]
    declared = {**HOST_FIELDS, **FIELDS[kind]}
    problems = []
    for name, value in args.items():
        if name not in declared:
            problems.append(f"{kind}: undeclared field {name!r}")
        elif value is not None and not isinstance(value, declared[name]):
            problems.append(f"{kind}.{name}: {type(value).__name__} is not {declared[name][0].__name__}")
    for name in args.get("unknown") or ():
        if name not in FIELDS[kind]:
            problems.append(f"{kind}: unknown names undeclared field {name!r}")
    return problems


# Kinds that change the schema: MySQL commits implicitly around each of them.
DDL_KINDS = frozenset({
    "create_table", "drop_table", "drop_schema", "rename_table", "create_index", "drop_index", "add_column",
    "drop_column", "rename_column", "alter_column_type", "set_not_null", "drop_not_null",
    "set_default", "drop_default", "add_constraint", "drop_constraint", "validate_constraint",
    "alter_table", "attach_partition", "detach_partition", "create_trigger", "drop_trigger",
    "truncate", "reindex", "cluster", "vacuum", "lock_table", "optimize_table",
    "alter_type_add_value", "batch_alter",
})


class Txn(NamedTuple):
    """The transaction an operation runs in (an operation outside any has `txn` None).

    `kind` says who opened it; `label` tells transactions of one kind in a file apart (the
    second explicit BEGIN, the runner step at line 12) and, for `migration`, names the tool.
    """

    kind: str  # one of TXN_KINDS
    label: str = ""

    @property
    def tool(self) -> str:
        """The tool a `migration` transaction belongs to ("alembic:2", its second after an
        autocommit block, is Alembic's)."""
        return self.label.split(":", 1)[0]

    def describe(self) -> str:
        return {
            "explicit": "an explicit transaction (BEGIN ... COMMIT)",
            "file": "the transaction the migration tool wraps around the file",
            "do_block": "a DO block, which is one transaction",
            "query_string": "a multi-statement query string, which is one implicit transaction",
            "migration": f"the transaction {self.tool.capitalize() or 'the tool'} runs the migration in",
            "runner_schema": "the runner's schema transaction",
            "runner_step": "the transaction of one runner step",
            "callback": "the transaction of a db.transaction(...) callback",
            "after_commit": "the transaction the driver opens after the code's own COMMIT (psycopg 3 does; "
                            "psycopg2 runs each statement alone, a quirk that breaks when the driver changes)",
        }.get(self.kind, "a transaction")


TXN_KINDS = frozenset({"explicit", "file", "do_block", "query_string", "migration", "runner_schema", "runner_step",
                       "callback", "after_commit"})


class Span(NamedTuple):
    """1-based positions; the end column is the statement's last character.

    A tuple: there is one per statement, and tuples unpickle fast from the cache."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(slots=True, eq=False)  # compared and hashed by identity: each is one thing a migration does
class Operation:
    """One normalised thing a migration does to a database.

    `kind` is host-independent (`create_index`, `add_column`, `update`, ...). `args` holds
    normalised facts about it (`concurrently`, `not_valid`, `if_not_exists`, ...). `anchor`
    is the first line of the statement or block it belongs to: comment blocks directly
    above that line (fixture annotations, PREFLIGHT lines) are about this operation.
    """

    kind: str
    table: Optional[str]
    span: Span
    args: dict[str, Any] = field(default_factory=dict)
    anchor: int = 0
    # Transaction the operation runs in: None when it runs on its own (autocommit).
    txn: Optional[Txn] = None
    # True where the author left the transaction on purpose (goose NO TRANSACTION, ...).
    deliberate_no_txn: bool = False
    # True when the operation runs in a loop or a batched helper (Python, embedded SQL).
    in_loop: bool = False
    # Name of an enclosing safe call (the runner's helpers or configured ones).
    safe_call: Optional[str] = None

    def __reduce__(self):
        # Workers send their migrations back pickled: the fields in order, not a dict of
        # them per operation, are a quarter smaller and unpickle in half the time.
        return Operation, (self.kind, self.table, self.span, self.args, self.anchor, self.txn,
                           self.deliberate_no_txn, self.in_loop, self.safe_call)


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment of the host language (or a SQL comment inside a SQL string)."""

    line: int
    end_line: int
    text: str


@dataclass(slots=True)
class Migration:
    """What a front end read from one file."""

    path: str
    host: str  # sql | alembic | django | runner | embedded
    dialect: str
    operations: list[Operation] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    # Last line of the file's header (for file-wide directives), 0 when there is none.
    header_end: int = 0
    # Identity and ordering inside a change (Alembic revisions, Django dependencies).
    revision: Optional[str] = None
    depends_on: tuple[str, ...] = ()
    # Tables that are empty whenever this migration runs, though it did not create them: a
    # Django squashed or initial migration runs only where its app is new (or is faked), so
    # its app's tables are empty there; other apps' tables may hold rows.
    fresh_tables: tuple[str, ...] = ()
    # Set per run by the engine, never cached: what the runner configuration (Alembic's
    # env.py) sets for the session and at the start of every transaction.
    session_settings: dict[str, tuple[str, str]] = field(default_factory=dict)
    transaction_settings: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Set per run: the front end's transaction is shared by every migration of one run
    # (Alembic's default transaction_per_migration=False).
    shared_transaction: bool = False
    # Set per run in diff mode: the lines the change added or changed (None: all of them),
    # and whether the file already existed at the base.
    changed_lines: Optional[frozenset] = None
    existed_at_base: bool = False


@dataclass(slots=True)
class Suppression:
    by: str  # preflight | unsafe-ack | pr-scale | safe-runner | config | small-table
    reason: str


@dataclass(frozen=True, slots=True)
class TableSize:
    """The size of the table a scale finding is about, from a stats snapshot, and how long
    its lock or rewrite would last there (`seconds`, estimated for the rule's `cost`)."""

    table: str
    rows: Optional[int]
    bytes: Optional[int]
    captured: str  # the snapshot's date, 2026-11-20
    seconds: Optional[float] = None
    cost: Optional[str] = None

    def to_json(self) -> dict[str, Any]:
        return {"table": self.table, "rows": self.rows, "bytes": self.bytes, "captured": self.captured,
                "estimate_seconds": None if self.seconds is None else round(self.seconds, 1), "cost": self.cost}


@dataclass(slots=True)
class Finding:
    code: str
    name: str
    severity: str  # error | warning
    path: str
    span: Span
    message: str
    help: str
    table: Optional[str] = None
    anchor: int = 0
    suppressed: Optional[Suppression] = None
    # The operation judged: its index in its migration's operations (None: a finding about
    # an opt-out, the configuration or the pull request). Opt-outs match on it, never on
    # positions, which helper calls share.
    op: Optional[int] = None
    size: Optional[TableSize] = None  # with a stats snapshot: the table's size (scale rules)

    def to_json(self) -> dict[str, Any]:
        out = {
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "path": self.path,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "table": self.table,
            "message": self.message,
            "help": self.help,
            "suppressed": (
                None
                if self.suppressed is None
                else {"by": self.suppressed.by, "reason": self.suppressed.reason}
            ),
        }
        if self.size is not None:  # optional in JSON v1: present only with a stats snapshot
            out["table_size"] = self.size.to_json()
        return out
