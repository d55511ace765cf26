"""Front end for the reference runner's own migrations (`NNNN_name.py` with `schema(m)`),
and the safe calls the runner and `lintmig.alembic` offer.

`schema(m)` runs in one transaction with the runner's LOCAL timeouts; each call in
`data(m)` and `background(m)` is a step with its own transaction (the same timeouts) or, for
the runner's own index build on Postgres, none. `m.execute` SQL is linted like any other
SQL in a step transaction. The safe calls (`m.backfill`, `m.create_index`, the Alembic
helpers) become operations marked `safe_call`; suppress.py silences scale findings on them.
"""
from __future__ import annotations

from typing import Optional

import libcst as cst

from ..model import Migration, Span, Txn
from .alembic import AlembicReader, Ctx
from .safecalls import SIGNATURES, safe_call

# The runner's defaults (lintmig/runner/database.py Timeouts), SET LOCAL in every transaction.
RUNNER_TIMEOUTS = {"lock_timeout": ("3s", "runner"), "statement_timeout": ("30s", "runner"),
                   "idle_in_transaction_session_timeout": ("10s", "runner")}
PHASES = ("schema", "data", "background")


class RunnerReader(AlembicReader):
    txn = Txn("runner_schema")

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
                op.txn = None if own_build else Txn("runner_step", f"{op.span.line}:{op.span.column}")
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
