"""The shared vocabulary of the pipeline.

Front ends produce `Migration`s holding `Operation`s; the engine learns facts about them
(positions, settings in force, new tables) in side tables of its own and never writes to
an operation; checks turn them into `Finding`s. Everything
here is plain data so that extraction results can be cached and sent between processes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple, Optional


# The closed set of operation kinds front ends produce; a rule's `applies_to` must name
# kinds from it (checked when the catalog loads), so a misspelt kind is an error, not a
# silently dead rule.
KINDS = frozenset({
    "add_column", "add_constraint", "alter_column_type", "alter_table", "alter_type_add_value",
    "attach_partition", "batch_alter", "cluster", "create_index", "create_table", "create_trigger", "delete",
    "detach_partition", "drop_column", "drop_constraint", "drop_default", "drop_index", "drop_not_null",
    "drop_table", "drop_trigger", "insert_select", "lock_table", "optimize_table", "parse_error",
    "refresh_materialized_view", "reindex", "rename_column", "rename_table", "reset_setting", "set_default",
    "set_not_null", "set_setting", "transaction", "truncate", "unanalyzable", "update", "vacuum",
    "validate_constraint",
})


# Kinds that change the schema: MySQL commits implicitly around each of them.
DDL_KINDS = frozenset({
    "create_table", "drop_table", "rename_table", "create_index", "drop_index", "add_column",
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

    def describe(self) -> str:
        return {
            "explicit": "an explicit transaction (BEGIN ... COMMIT)",
            "file": "the transaction the migration tool wraps around the file",
            "do_block": "a DO block, which is one transaction",
            "query_string": "a multi-statement query string, which is one implicit transaction",
            "migration": f"the transaction {self.label.capitalize() or 'the tool'} runs the migration in",
            "runner_schema": "the runner's schema transaction",
            "runner_step": "the transaction of one runner step",
            "callback": "the transaction of a db.transaction(...) callback",
        }.get(self.kind, "a transaction")


TXN_KINDS = frozenset({"explicit", "file", "do_block", "query_string", "migration", "runner_schema", "runner_step",
                       "callback"})


class Span(NamedTuple):
    """1-based positions; the end column is the statement's last character.

    A tuple: there is one per statement, and tuples unpickle fast from the cache."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(slots=True)
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
    by: str  # preflight | unsafe-ack | pr-scale | safe-runner | config
    reason: str


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

    def to_json(self) -> dict[str, Any]:
        return {
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
