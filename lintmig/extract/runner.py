"""Front end for the reference runner's own migrations (`NNNN_name.py` with `schema(m)`),
and the safe calls the runner and `lintmig.alembic` offer.

`schema(m)` runs in one transaction with the runner's LOCAL timeouts; each call in
`data(m)` and `background(m)` is a step with its own transaction (the same timeouts) or, for
the runner's own index build on Postgres, none. `m.execute` SQL is linted like any other
SQL in a step transaction. The safe calls (`m.backfill`, `m.create_index`, the Alembic
helpers) become operations marked `safe_call`; suppress.py silences scale findings on them.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Optional

import libcst as cst

from ..model import Migration, Span
from .alembic import AlembicReader, Ctx
from .pytext import text_or_none

# The runner's defaults (lintmig/runner/database.py Timeouts), SET LOCAL in every transaction.
RUNNER_TIMEOUTS = {"lock_timeout": ("3s", "runner"), "statement_timeout": ("30s", "runner"),
                   "idle_in_transaction_session_timeout": ("10s", "runner")}
SIGNATURES = {
    "backfill": ["table", "set", "where", "batch_size", "key"],
    "create_index": ["name", "table", "columns", "unique", "where"],
    "create_index_concurrently": ["name", "table", "columns", "unique", "where"],
    "add_foreign_key": ["table", "columns", "ref_table", "ref_columns", "name", "on_delete", "not_valid"],
    "validate_constraint": ["table", "name"],
}
_KEYWORDS = {"index_name": "name", "table_name": "table", "postgresql_where": "where"}
PHASES = ("schema", "data", "background")


def safe_call(reader: AlembicReader, method: str, label: str, call: cst.Call, ctx: Ctx, site: Span) -> None:
    """One safe call (`m.backfill(...)`, `create_index_concurrently(...)`, ...) as an operation."""
    v = {_KEYWORDS.get(k, k): value for k, value in reader._bind(call, SIGNATURES[method], ctx).items()}
    table = text_or_none(v.get("table"))
    before = len(reader.ops)
    if method == "backfill":
        reader._emit("update", table, {"where": text_or_none(v.get("where")), "batched": True}, replace(ctx, in_loop=True), site)
    elif method in ("create_index", "create_index_concurrently"):
        columns = v.get("columns")
        names = [text_or_none(c) for c in columns] if isinstance(columns, list) else [text_or_none(columns)]
        reader._emit("create_index", table, {
            "name": text_or_none(v.get("name")), "unique": v.get("unique") is True,
            "concurrently": reader.dialect == "postgres", "drops_invalid": True, "partial": v.get("where") is not None,
            "columns": [c for c in names if c]}, replace(ctx, autocommit=True), site)
    elif method == "add_foreign_key":
        reader._emit("add_constraint", table, {
            "name": text_or_none(v.get("name")), "type": "foreign_key", "references": text_or_none(v.get("ref_table")),
            "not_valid": v.get("not_valid") is not False}, ctx, site)
        if v.get("not_valid") is False:
            return  # validating while writes wait is the very thing the rules flag: not a safe call
    elif method == "validate_constraint":
        reader._emit("validate_constraint", table, {"name": text_or_none(v.get("name"))}, ctx, site)
    for op in reader.ops[before:]:
        op.safe_call = label


class RunnerReader(AlembicReader):
    txn_label = "runner-schema"

    def read(self) -> Migration:
        for stmt in self.module.body:
            self._module_statement(stmt)
        for phase in PHASES:
            fn = self.functions.get(phase)
            if fn is None:
                continue
            params = fn.params.params
            self.op_names = {params[0].name.value} if params else set()
            before = len(self.ops)
            self._walk(fn.body.body, Ctx(env=dict(self.consts)))
            for op in self.ops[before:]:
                if phase == "schema":
                    continue
                # Each call is a step: its own transaction with the runner's timeouts, committed
                # with its progress, so a retry never repeats it. Only m.create_index builds
                # outside one; SQL handed to m.execute runs inside the step's transaction,
                # in background(m) as in data(m): off the boot path, it still blocks writers.
                own_build = op.kind == "create_index" and op.safe_call and op.args.get("concurrently")
                op.txn = None if own_build else f"runner-step-{op.span.line}:{op.span.column}"
                op.deliberate_no_txn = False
        self._mysql_commits()
        return Migration(path=self.path, host="runner", dialect=self.dialect, operations=self.ops,
                         comments=self.comments, header_end=self.header_end,
                         transaction_settings=dict(RUNNER_TIMEOUTS))

    def _call(self, call: cst.Call, ctx: Ctx, anchor: Span) -> None:
        head, _, method = self._name(call).rpartition(".")
        if head in self.op_names and method in SIGNATURES and method != "create_index_concurrently":
            safe_call(self, method, f"m.{method}", call, ctx, ctx.call_site or self.span(call))
            return
        if head in self.op_names and method not in ("execute",):
            return  # m.dialect and the like: nothing done to the database
        super()._call(call, ctx, anchor)

    @staticmethod
    def _name(call: cst.Call) -> str:
        from .pytext import dotted

        return dotted(call.func)


def extract_runner(path: str, text: str, dialect: str) -> Optional[Migration]:
    return RunnerReader(path, text, dialect, lint_down=False).read()
