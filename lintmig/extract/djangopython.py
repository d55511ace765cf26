"""What a Django RunPython function does to the database, read from its code: queryset
updates and deletes (bounded or not, row by row or at once), and SQL it sends through a
cursor or the schema editor. A mixin of DjangoReader, which holds the app's models."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import libcst as cst

from .pytext import UNKNOWN, Text, dotted, text_or_none

_CURSOR = object()  # in a RunPython function: a name that runs SQL (a cursor, the schema editor)


@dataclass(frozen=True)
class Ctx:
    """Where a Django operation runs: outside a transaction (atomic = False), in a loop, in a
    loop over a queryset's rows."""

    autocommit: bool = False
    in_loop: bool = False
    row_loop: bool = False


class RunPythonReading:
    """The RunPython operation of DjangoReader."""

    def _op_RunPython(self, call, node, site):
        code = node.args[0].value if node.args else None
        if isinstance(code, cst.Name) and code.value in self.functions:
            fn = self.functions[code.value]
            params = [p.name.value for p in fn.params.params]
            # (apps, schema_editor): SQL run through the schema editor or a cursor is read as SQL
            env = {params[1]: _CURSOR} if len(params) >= 2 else {}
            start = len(self.ops)
            self._python_body(fn.body.body, env, self.ctx)
            # A loop read once per string it goes through repeats what does not depend on it.
            seen, kept = set(), []
            for op in self.ops[start:]:
                key = (op.kind, op.table, op.span, repr(sorted(op.args.items())))
                if key not in seen:
                    seen.add(key)
                    kept.append(op)
            self.ops[start:] = kept

    # Inside a RunPython function: querysets, and SQL sent through a cursor.

    def _python_body(self, body, env: dict, ctx: Ctx) -> None:
        for stmt in body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Assign) and isinstance(small.targets[0].target, cst.Name):
                        name = small.targets[0].target.value
                        queryset = self._queryset_table(small.value, env)
                        env[name] = _Rows(queryset) if queryset is not None else self._model_ref(small.value, env)
                        if env[name] is UNKNOWN:
                            env[name] = self._local_value(small.value, env)
                    value = small.value if isinstance(small, (cst.Expr, cst.Assign)) else None
                    if isinstance(value, cst.Call) and not self._cursor_sql(value, env, ctx):
                        self._queryset_call(value, env, ctx)
            elif isinstance(stmt, (cst.For, cst.While)):
                table = self._queryset_table(stmt.iter, env) if isinstance(stmt, cst.For) else None
                rows = table is not None
                inner = Ctx(ctx.autocommit, True, ctx.row_loop or rows)
                if rows and _saves(stmt.body):
                    self._emit("update", table or None, {"bounds": None, "row_by_row": True},
                               Ctx(ctx.autocommit, True, True), self.span(stmt))
                statements = self._sql_list(stmt) if not rows else None
                if statements is not None:  # `for sql in SQL: schema_editor.execute(sql)`: each one, once
                    for text in statements:
                        self._python_body(stmt.body.body, {**env, stmt.target.value: text}, ctx)
                else:
                    self._python_body(stmt.body.body, env, inner)
            elif isinstance(stmt, cst.With):
                for item in stmt.items:  # `with connection.cursor() as cursor:`
                    if item.asname is not None and isinstance(item.asname.name, cst.Name) \
                            and self._is_cursor(item.item, env):
                        env[item.asname.name.value] = _CURSOR
                self._python_body(stmt.body.body, env, ctx)
            elif isinstance(stmt, cst.If):  # the branches the database in use may take
                verdict = self.dialect_test(stmt.test, env)  # `schema_editor.connection.vendor == "sqlite"`
                if verdict is not False:
                    self._python_body(stmt.body.body, env, ctx)
                if stmt.orelse is not None and verdict is not True:
                    orelse = stmt.orelse
                    self._python_body([orelse] if isinstance(orelse, cst.If) else orelse.body.body, env, ctx)
            elif isinstance(stmt, cst.Try):
                for block in (stmt.body, *(h.body for h in stmt.handlers), stmt.orelse and stmt.orelse.body,
                              stmt.finalbody and stmt.finalbody.body):
                    if block is not None:
                        self._python_body(block.body, env, ctx)

    def _sql_list(self, loop: cst.For) -> Optional[list]:
        """The strings a `for name in [...]` loop goes through, when they are all known."""
        if not isinstance(loop, cst.For) or not isinstance(loop.target, cst.Name):
            return None
        items = self.eval.value(loop.iter, self.consts)
        if isinstance(items, list) and items and all(isinstance(i, Text) for i in items) \
                and self.spend(loop.body.body, len(items)):
            return items
        return None

    def _is_cursor(self, node: cst.BaseExpression, env: dict) -> bool:
        """`connection.cursor()`, `schema_editor.connection.cursor()`, or a name holding one."""
        if isinstance(node, cst.Call):
            return dotted(node.func).rsplit(".", 1)[-1] == "cursor"
        return isinstance(node, cst.Name) and env.get(node.value) is _CURSOR

    def _local_value(self, node: cst.BaseExpression, env: dict) -> Any:
        if self._is_cursor(node, env):
            return _CURSOR
        value = self.eval.value(node, self._known(env))
        return value if isinstance(value, Text) else UNKNOWN

    def _known(self, env: dict) -> dict:
        """The names whose values the evaluator can use: module constants, local strings."""
        return {**self.consts, **{k: v for k, v in env.items() if isinstance(v, Text)}}

    def _cursor_sql(self, call: cst.Call, env: dict, ctx: Ctx) -> bool:
        """`cursor.execute(sql)` or `schema_editor.execute(sql)`: the SQL read as SQL, one
        query string each. True when the call was one."""
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "execute") or not call.args:
            return False
        if not self._is_cursor(func.value, env):
            return False
        sql = self._local_value(call.args[0].value, env)
        if isinstance(sql, Text):
            self._sql(sql, ctx, self.span(call))
        else:
            self._emit("unanalyzable", None, {"reason": "SQL run through a cursor that lintmig cannot resolve"},
                       ctx, self.span(call))
        return True

    def _model_ref(self, node: cst.BaseExpression, env: dict) -> Any:
        """`apps.get_model("app", "Model")` -> the model's table."""
        if isinstance(node, cst.Call) and dotted(node.func).endswith("get_model"):
            args = [text_or_none(self.eval.value(a.value, self._known(env))) for a in node.args]
            if len(args) == 1 and args[0] and "." in args[0]:
                args = args[0].split(".", 1)
            if len(args) == 2 and all(args):
                app, model = args[0], args[1].lower()
                if app == self.app and model in self.models:  # its db_table, as the state has it
                    return self.models[model].table
                return f"{app}_{model}"
        return UNKNOWN

    def _table_of(self, chain: str, env: dict) -> Optional[str]:
        head = chain.split(".", 1)[0]
        table = env.get(head)
        if isinstance(table, str):
            return table
        return self.models[head.lower()].table if head.lower() in self.models else None

    def _queryset_table(self, node: cst.BaseExpression, env: dict) -> Optional[str]:
        """The table a queryset expression reads rows of: `Order.objects.filter(...)`,
        `....iterator()`, `list(...)` of one, or a variable holding one; None otherwise."""
        if isinstance(node, cst.Call) and dotted(node.func) in ("list", "tuple") and node.args:
            return self._queryset_table(node.args[0].value, env)
        chain = dotted(_innermost(node))
        held = env.get(chain.split(".", 1)[0])
        if isinstance(held, _Rows):  # `pending`, `pending.iterator()`, `pending.exclude(...)`
            return held.table
        if ".objects" not in chain:
            return None
        return self._table_of(chain, env) or ""  # rows of a table lintmig cannot name

    def _queryset_call(self, call: cst.Call, env: dict, ctx: Ctx) -> None:
        chain = dotted(call.func)
        method = chain.rsplit(".", 1)[-1]
        if ".objects" in chain and method == "bulk_update":
            # Every object handed over is rewritten by one statement in the migration's
            # transaction: as unbounded as the query that collected them.
            self._emit("update", self._table_of(chain, env), {"bounds": None, "row_by_row": True},
                       Ctx(ctx.autocommit, True, True), self.span(call))
            return
        if ".objects" not in chain or method not in ("update", "delete"):
            return
        bounds = None
        for part in _calls(call):
            name = dotted(part.func).rsplit(".", 1)[-1]
            if name == "filter":
                lookups = [a.keyword.value for a in part.args if a.keyword is not None]
                bounds = [sorted(_bound_columns(lookups))]
        self._emit(method, self._table_of(chain, env), {"bounds": bounds, "row_by_row": False}, ctx, self.span(call))


def _bound_columns(lookups: list[str]) -> set[str]:
    """Columns a filter() bounds with values: `pk=`, `id__in=`, `id__range=`, or both
    `id__gte=` / `id__gt=` and `id__lt=` / `id__lte=`."""
    bound, low, high = set(), set(), set()
    for lookup in lookups:
        column, _, op = lookup.partition("__")
        column = "id" if column == "pk" else column
        if op in ("", "in", "range", "exact"):
            bound.add(column)
        elif op in ("gt", "gte"):
            low.add(column)
        elif op in ("lt", "lte"):
            high.add(column)
    return bound | (low & high)


@dataclass(frozen=True)
class _Rows:
    """A variable holding the rows of a queryset (a table's)."""

    table: str


def _calls(node: cst.BaseExpression) -> list[cst.Call]:
    out = []
    while isinstance(node, (cst.Call, cst.Attribute)):
        if isinstance(node, cst.Call):
            out.append(node)
            node = node.func
        else:
            node = node.value
    return out


def _innermost(node: cst.BaseExpression) -> cst.BaseExpression:
    return node.func if isinstance(node, cst.Call) else node


def _saves(body: cst.BaseSuite) -> bool:
    found = []

    class Visitor(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            if dotted(node.func).endswith(".save"):
                found.append(node)

    body.visit(Visitor())
    return bool(found)
