"""What the Python front ends share: parsing, positions, emitting operations, SQL strings."""
from __future__ import annotations

from typing import Any, Optional

import libcst as cst

from ..model import Operation, Span
from .pypos import positions
from .pytext import Evaluator, Text, text_or_none
from .sql import read_sql


class PythonReader:
    """Base of a front end over one Python file; `txn_label` names its transaction."""

    txn_label = "python"

    def __init__(self, path: str, text: str, dialect: str, skip_functions: tuple[str, ...] = (),
                 with_positions: bool = True):
        self.path, self.dialect = path, dialect
        self.module = cst.parse_module(text)
        body = list(self.module.body)
        while body and isinstance(body[-1], cst.FunctionDef) and body[-1].name.value in skip_functions:
            body.pop()  # nothing there is reported: spare it the position pass
        self._positions = positions(self.module.with_changes(body=body)) if with_positions else {}
        self.eval = Evaluator(self.pos)
        self.ops: list[Operation] = []
        self._strings = 0

    def pos(self, node: cst.CSTNode) -> Optional[tuple[int, int]]:
        found = self._positions.get(node)
        return None if found is None else (found[0][0], found[0][1] + 1)

    def span(self, node: cst.CSTNode) -> Span:
        if not self._positions:  # a reader for facts only, reporting nothing
            return Span(1, 1, 1, 1)
        (line, col), (end_line, end_col) = self._positions[node]
        return Span(line, col + 1, end_line, max(end_col, 1))

    def _emit(self, kind: str, table: Any, args: dict, ctx, site: Span) -> None:
        table = text_or_none(table)
        args = {k: v for k, v in args.items() if v is not None and v is not False and v != [] and v != {}}
        op = Operation(kind, table, site, args, anchor=site.line, in_loop=ctx.in_loop)
        op.txn = None if ctx.autocommit else self.txn_label
        op.deliberate_no_txn = ctx.autocommit
        self.ops.append(op)

    def _sql(self, text: Text, ctx, site: Span, one_query: bool = True) -> None:
        """SQL held in a string. `one_query`: sent as one query string (PostgreSQL then runs
        its statements as one implicit transaction); Django's RunSQL splits it instead."""
        read = read_sql(text.value, self.dialect, text.locator())
        self._strings += 1
        multi = one_query and len({(o.span.line, o.span.column) for o in read.operations}) > 1
        for op in read.operations:
            op.anchor = site.line
            op.in_loop = op.in_loop or ctx.in_loop
            if ctx.row_loop and op.kind in ("update", "delete"):
                op.args = {**op.args, "row_by_row": True}
            if multi and self.dialect == "postgres":
                op.args = {**op.args, "multi_statement": True}
            op.txn = None if ctx.autocommit else self.txn_label
            if multi and self.dialect == "postgres" and ctx.autocommit and op.kind != "transaction":
                op.txn = f"string{self._strings}"  # one query string: one implicit transaction
            op.deliberate_no_txn = ctx.autocommit
            self.ops.append(op)

    def _mysql_commits(self) -> None:
        if self.dialect == "mysql":  # MySQL commits around every DDL statement
            from ..facts import DDL_KINDS

            for op in self.ops:
                if op.kind in DDL_KINDS:
                    op.txn = None
