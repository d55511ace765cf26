"""Alembic revisions -> Operations, read with libcst; nothing is imported or run.

`upgrade()` is walked in order (and `downgrade()` when downgrades are linted), following
what a reader follows: `op.*` calls by Alembic's real signatures, `batch_alter_table`
blocks, `autocommit_block()`, dialect branches, loops over literal lists, helpers defined
in the same file (reported at the call site), and SQL strings handed to the SQL front end.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Optional

import libcst as cst

from ..model import Migration, Operation, Span, Txn
from .pycolumns import column_info, sa_type
from .pyreader import PythonReader
from .pytext import STRING_NODES, UNKNOWN, Call, Text, dotted, text_or_none
from .safecalls import safe_call

# Positional parameters of Alembic's operations (table first); batch_op drops the table.
SIGNATURES = {
    "create_index": ["index_name", "table_name", "columns", "schema", "unique"],
    "drop_index": ["index_name", "table_name", "schema"],
    "add_column": ["table_name", "column", "schema"],
    "drop_column": ["table_name", "column_name", "schema"],
    "alter_column": ["table_name", "column_name", "nullable", "comment", "server_default", "new_column_name",
                     "type_", "existing_type", "existing_server_default", "existing_nullable", "schema"],
    "create_foreign_key": ["constraint_name", "source_table", "referent_table", "local_cols", "remote_cols"],
    "create_check_constraint": ["constraint_name", "table_name", "condition"],
    "create_unique_constraint": ["constraint_name", "table_name", "columns"],
    "create_primary_key": ["constraint_name", "table_name", "columns"],
    "create_exclude_constraint": ["constraint_name", "table_name"],  # then the elements, *args
    "drop_constraint": ["constraint_name", "table_name", "type_"],
    "create_table": ["table_name"],
    "drop_table": ["table_name"],
    "rename_table": ["old_table_name", "new_table_name"],
    "execute": ["sqltext"],
    "bulk_insert": ["table", "rows"],
}
_TABLE_PARAMS = {"table_name", "source_table", "old_table_name"}
# Methods of Alembic's op that run no DDL of their own (a comment is SHARE UPDATE EXCLUSIVE).
_NO_DDL = {"f", "get_bind", "get_context", "inline_literal", "implementation_for", "register_operation",
           "batch_alter_table", "create_table_comment", "drop_table_comment"}
_EXECUTE = {"execute", "exec_driver_sql"}


@dataclass(frozen=True)
class Ctx:
    env: dict = field(default_factory=dict)
    autocommit: bool = False
    batch_table: Optional[str] = None
    batch_alias: Optional[str] = None
    in_loop: bool = False
    row_loop: bool = False
    call_site: Optional[Span] = None  # helper calls report here
    depth: int = 0
    blocks: tuple = ()  # first lines of the enclosing with/if/for/while blocks
    row_target: Optional[str] = None  # the name each row of a loop over query results is bound to


_ROW_WORDS = ("execute", "fetchall", "scalars", "all()", "query")


class _RowSet:
    """A variable holding the rows of a query (`rows = bind.execute(...).fetchall()`)."""


ROW_SET = _RowSet()


# SQLAlchemy constructs, by the name they are called with, that read, add rows, or create
# new objects: nothing an existing table's readers or writers wait for.
_NEW_ROWS_ONLY = frozenset({"select", "insert", "CreateTable", "CreateSequence", "CreateSchema", "Sequence"})


class AlembicReader(PythonReader):
    txn = Txn("migration", "alembic")

    def __init__(self, path: str, text: str, dialect: str, lint_down: bool):
        super().__init__(path, text, dialect, skip_functions=() if lint_down else ("downgrade",))
        self.lint_down = lint_down
        self.op_names = {"op"}
        self.functions: dict[str, cst.FunctionDef] = {}
        self.consts: dict[str, Any] = {}
        self.revision: Optional[str] = None
        self.down_revision: tuple[str, ...] = ()
        self.header_end = 0
        self._header_open = True
        self.lintmig_helpers: dict[str, str] = {}  # local name -> lintmig.alembic helper
        self.lintmig_modules: set[str] = {"lintmig.alembic"}  # names bound to the module itself
        self._blocks = 0  # autocommit blocks walked so far

    # The module: imports, constants, helpers, the header.

    def read(self) -> Migration:
        for stmt in self.module.body:
            self._module_statement(stmt)
        for name in ("upgrade",) + (("downgrade",) if self.lint_down else ()):
            fn = self.functions.get(name)
            if fn is not None:
                self._walk(fn.body.body, Ctx(env=dict(self.consts)))
        self._mysql_commits()
        return Migration(path=self.path, host="alembic", dialect=self.dialect, operations=self.ops,
                         comments=self.comments, header_end=self.header_end, revision=self.revision,
                         depends_on=self.down_revision)

    def _module_statement(self, stmt: cst.CSTNode) -> None:
        """Learn imports, constants and functions; extend the header while it lasts."""
        header_like = False
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            self._rebind(stmt.name.value)
            if isinstance(stmt, cst.FunctionDef):
                self.functions[stmt.name.value] = stmt
        elif isinstance(stmt, cst.SimpleStatementLine):
            header_like = True
            for small in stmt.body:
                header_like = self._module_small(small) and header_like
        if self._header_open and header_like:
            self.header_end = self.span(stmt).end_line
        elif self._header_open:
            # The header runs up to the first statement that is not part of it: comments
            # after the revision identifiers and before that statement belong to it.
            self._header_open = False
            self.header_end = self.span(stmt).line - 1

    def _rebind(self, name: str) -> None:
        """A module-level name bound anew (a def, a class, an assignment, another import): it
        no longer means what an earlier import made it mean."""
        self.lintmig_helpers.pop(name, None)
        self.op_names.discard(name)
        self.functions.pop(name, None)
        self.lintmig_modules.discard(name)

    def _module_small(self, small: cst.CSTNode) -> bool:
        """Read one module-level statement; True when it may stand in the file's header."""
        if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
            module = dotted(small.module or cst.Name(""))
            for alias in small.names:
                local = alias.asname.name.value if alias.asname else alias.name.value
                self._rebind(local)
                if module == "lintmig.alembic":
                    self.lintmig_helpers[local] = alias.name.value
                elif module == "alembic" and alias.name.value == "op":
                    self.op_names.add(local)
                elif module == "lintmig" and alias.name.value == "alembic":
                    self.lintmig_modules.add(local)
                elif module.split(".")[0] == "sqlalchemy" and alias.asname is not None:
                    self.eval.aliases[local] = alias.name.value
            return True
        if isinstance(small, cst.Import):
            for alias in small.names:
                name = dotted(alias.name)
                if alias.asname is not None:
                    local = dotted(alias.asname.name)
                    self._rebind(local)
                    if name == "lintmig.alembic":
                        self.lintmig_modules.add(local)
                else:
                    self._rebind(name.split(".")[0])
            return True
        if isinstance(small, (cst.Assign, cst.AnnAssign)):
            target = small.targets[0].target if isinstance(small, cst.Assign) else small.target
            if isinstance(target, cst.Name):
                self._rebind(target.value)
            if isinstance(target, cst.Name) and small.value is not None:
                value = self.eval.value(small.value, self.consts)
                self.consts[target.value] = value  # a Text keeps its positions: SQL = "..." read where written
                self._revision_ids(target.value, value.value if isinstance(value, Text) else value)
                return target.value in ("revision", "down_revision", "branch_labels", "depends_on")
            return False
        return isinstance(small, (cst.Import, cst.ImportFrom, cst.Expr))

    def _revision_ids(self, name: str, value: Any) -> None:
        if name == "revision" and isinstance(value, str):
            self.revision = value
        elif name == "down_revision":
            values = value if isinstance(value, (list, tuple)) else [value]  # a merge names several
            values = [v.value if isinstance(v, Text) else v for v in values]
            self.down_revision = tuple(v for v in values if isinstance(v, str))

    # Walking function bodies.

    def _walk(self, body, ctx: Ctx) -> None:
        for stmt in body:
            self._statement(stmt, ctx)

    def _statement(self, stmt: cst.CSTNode, ctx: Ctx) -> None:
        anchor = ctx.call_site or self.span(stmt)
        if isinstance(stmt, (cst.With, cst.If, cst.For, cst.While, cst.Try)) and ctx.call_site is None:
            ctx = replace(ctx, blocks=ctx.blocks + (anchor.line,))
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                self._small(small, ctx, anchor)
        elif isinstance(stmt, cst.With):
            self._with(stmt, ctx)
        elif isinstance(stmt, cst.If):
            self._if(stmt, ctx)
        elif isinstance(stmt, cst.For):
            self._for(stmt, ctx)
        elif isinstance(stmt, cst.While):
            self._walk(stmt.body.body, replace(ctx, in_loop=True))
        elif isinstance(stmt, cst.Try):
            self._walk(stmt.body.body, ctx)
            for handler in stmt.handlers:
                self._walk(handler.body.body, ctx)
            for extra in (stmt.orelse, stmt.finalbody):
                if extra is not None:
                    self._walk(extra.body.body, ctx)

    def _small(self, small: cst.CSTNode, ctx: Ctx, anchor: Span) -> None:
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            self._call(small.value, ctx, anchor)
        elif isinstance(small, (cst.Assign, cst.AnnAssign)):
            target = small.targets[0].target if isinstance(small, cst.Assign) else small.target
            if small.value is None:
                return
            if isinstance(small.value, cst.Call):
                self._call(small.value, ctx, anchor)
            if isinstance(target, cst.Name):
                value = self.eval.value(small.value, ctx.env)
                if isinstance(small.value, cst.Call) and _reads_rows(small.value):
                    value = ROW_SET
                ctx.env[target.value] = value
            elif isinstance(target, cst.Attribute) and ctx.row_loop and ctx.row_target \
                    and dotted(target.value) == ctx.row_target:
                # `row.col = ...` on each row of a query, flushed by the session: the ORM
                # writes the table row by row in the migration's transaction.
                self._emit("update", None, {"bounds": None, "row_by_row": True,
                                             "unknown": None}, ctx, anchor)
                ctx = replace(ctx, row_target=None)

    def _with(self, stmt: cst.With, ctx: Ctx) -> None:
        inner = ctx
        batch_at = None
        for item in stmt.items:
            call = item.item
            name = dotted(call.func) if isinstance(call, cst.Call) else ""
            if name.endswith("autocommit_block"):
                inner = replace(inner, autocommit=True)
            elif name.split(".")[0] in self.op_names and name.endswith("batch_alter_table"):
                values = self._bind(call, ["table_name", "schema"], inner)
                alias = item.asname.name.value if item.asname and isinstance(item.asname.name, cst.Name) else None
                inner = replace(inner, batch_table=text_or_none(values.get("table_name")), batch_alias=alias)
                batch_at = (len(self.ops), values)
        if inner.autocommit and not ctx.autocommit:
            self._autocommit(inner, lambda inner: self._walk(stmt.body.body, inner))
        else:
            self._walk(stmt.body.body, inner)
        if batch_at is not None:
            self._batch_op(stmt, ctx, *batch_at, table=inner.batch_table)

    def _autocommit(self, ctx: Ctx, run: Callable[[Ctx], None]) -> None:
        """An autocommit block: Alembic commits the migration's transaction (a failure later
        does not undo what ran before), runs the block outside any, and then begins a new one."""
        for op in self.ops:
            op.deliberate_no_txn = True
        run(replace(ctx, autocommit=True))
        if self.txn is not None and self.txn.kind == "migration":
            self._blocks += 1
            self.txn = Txn("migration", f"alembic:{self._blocks + 1}")

    def _batch_op(self, stmt: cst.With, ctx: Ctx, first: int, values: dict, table: Optional[str]) -> None:
        """LM117: does Alembic recreate the table for this batch? (its own rule, mirrored)"""
        recreate = text_or_none(values.get("recreate")) or "auto"
        inside = self.ops[first:]
        why = None
        if recreate == "always":
            why = 'recreate="always"'
        elif recreate == "auto" and self.dialect == "sqlite":
            for op in inside:
                if op.kind not in ("add_column", "create_index", "drop_index"):
                    why = f"SQLite cannot {op.kind.replace('_', ' ')} in place"
                    break
                if op.kind == "add_column" and op.args.get("sql_server_default"):
                    why = "SQLite cannot add a column with a SQL expression default in place"
                    break
        span = ctx.call_site or self.span(stmt)
        op = Operation("batch_alter", table, span, {"recreate": why is not None, "why": why} if why else {},
                       anchor=span.line)
        # In the migration's transaction like the operations it holds (on PostgreSQL batch
        # mode recreates nothing): settings made before it stay in force after it.
        op.txn, op.deliberate_no_txn = self.txn_here(ctx)
        self.ops.insert(first, op)

    def _if(self, stmt: cst.If, ctx: Ctx) -> None:
        verdict = self.dialect_test(stmt.test, ctx.env)
        if verdict is not False:
            self._walk(stmt.body.body, ctx)
        orelse = stmt.orelse
        if orelse is not None and verdict is not True:
            if isinstance(orelse, cst.If):
                self._if(orelse, ctx)
            else:
                self._walk(orelse.body.body, ctx)

    def _for(self, stmt: cst.For, ctx: Ctx) -> None:
        values = self.eval.value(stmt.iter, ctx.env)
        target = stmt.target.value if isinstance(stmt.target, cst.Name) else None
        if isinstance(values, list) and target and all(v is not UNKNOWN for v in values) \
                and self.spend(stmt.body.body, len(values)):
            for value in values:  # a loop over a literal list: one pass per value
                env = dict(ctx.env)
                env[target] = value
                self._walk(stmt.body.body, replace(ctx, env=env))
            return
        rows = (isinstance(stmt.iter, cst.Call) and _reads_rows(stmt.iter)) or \
            (isinstance(stmt.iter, cst.Name) and ctx.env.get(stmt.iter.value) is ROW_SET)
        env = dict(ctx.env)
        if target:
            env[target] = UNKNOWN
        inner = replace(ctx, env=env, in_loop=True, row_loop=rows or ctx.row_loop,
                        row_target=target if rows else ctx.row_target)
        before = len(self.ops)
        self._walk(stmt.body.body, inner)
        # One ORM update per loop, however many attributes it sets.
        orm = [i for i in range(before, len(self.ops)) if self.ops[i].kind == "update" and self.ops[i].table is None
               and self.ops[i].args.get("row_by_row") and "bounds" not in self.ops[i].args]
        for i in reversed(orm[1:]):
            del self.ops[i]

    # Calls.

    def _call(self, call: cst.Call, ctx: Ctx, anchor: Span) -> None:
        name = dotted(call.func)
        head, _, method = name.rpartition(".")
        site = ctx.call_site or self.span(call)
        helper = None
        if name.split(".")[0] not in ctx.env:  # a local variable shadows every module-level name
            helper = self.lintmig_helpers.get(name) or (method if head in self.lintmig_modules else None)
        if helper in ("backfill", "create_index_concurrently"):  # each runs in an autocommit block of its own
            self._autocommit(ctx, lambda inner: safe_call(self, helper, f"lintmig.alembic.{helper}", call, inner, site))
        elif not head and name in self.functions and ctx.depth < 4 and name not in ("upgrade", "downgrade"):
            if self.spend(self.functions[name].body.body):
                self._helper(self.functions[name], call, ctx, site)
            else:
                self._emit("unanalyzable", None, {"reason": f"the file calls its helpers more than lintmig reads "
                                                            f"({name}() here is not read)"}, ctx, site)
        elif head in self.op_names and method in SIGNATURES:
            self._op_call(method, call, ctx, site, table=None)
        elif ctx.batch_alias and head == ctx.batch_alias and method in SIGNATURES:
            self._op_call(method, call, ctx, site, table=ctx.batch_table)
        elif (head in self.op_names or (ctx.batch_alias and head == ctx.batch_alias)) and method not in _NO_DDL:
            # A registered operation (alembic_utils' create_entity, a project's own): it runs DDL
            # lintmig cannot see, so it is not passed in silence.
            table = ctx.batch_table if head == ctx.batch_alias else None
            self._emit("unanalyzable", table, {"reason": f"{name}() is an operation lintmig does not know (registered "
                                                         f"by the project or a library): what it runs is not checked"},
                       ctx, site)
        elif method in _EXECUTE and call.args:
            self._execute_value(self.eval.value(call.args[0].value, ctx.env), ctx, site)

    def _helper(self, fn: cst.FunctionDef, call: cst.Call, ctx: Ctx, site: Span) -> None:
        env = dict(self.consts)
        params = [p.name.value for p in fn.params.params]
        for i, arg in enumerate(a for a in call.args if a.keyword is None):
            if i < len(params):
                env[params[i]] = self.eval.value(arg.value, ctx.env)
        for arg in call.args:
            if arg.keyword is not None:
                env[arg.keyword.value] = self.eval.value(arg.value, ctx.env)
        for p in fn.params.params:
            if p.name.value not in env and p.default is not None:
                env[p.name.value] = self.eval.value(p.default, self.consts)
        self._walk(fn.body.body, replace(ctx, env=env, call_site=site, depth=ctx.depth + 1))

    def _bind(self, call: cst.Call, params: list[str], ctx: Ctx) -> dict[str, Any]:
        values: dict[str, Any] = {}
        positional = [a for a in call.args if a.keyword is None and not a.star]
        for name, arg in zip(params, positional):
            values[name] = self.eval.value(arg.value, ctx.env)
        values["*"] = [self.eval.value(a.value, ctx.env) for a in positional[len(params):]]
        for arg in call.args:
            if arg.keyword is not None:
                values[arg.keyword.value] = self.eval.value(arg.value, ctx.env)
        return values

    def _op_call(self, method: str, call: cst.Call, ctx: Ctx, site: Span, table: Optional[str]) -> None:
        params = SIGNATURES[method]
        if table is not None:  # batch_op: the table comes from the with-block
            params = [p for p in params if p not in _TABLE_PARAMS]
        v = self._bind(call, params, ctx)
        if table is not None:
            for p in _TABLE_PARAMS:
                v.setdefault(p, table)
        reader = getattr(self, f"_op_{method}", None)
        if reader is not None:
            reader(v, ctx, site)

    @staticmethod
    def _flags(v: dict, **fields: str) -> dict[str, Any]:
        """Boolean keyword arguments as fields: True only when written True; a value lintmig
        cannot evaluate (a variable, a call) is listed in `unknown`, never taken as False."""
        out: dict[str, Any] = {}
        unknown = []
        for field_name, keyword in fields.items():
            value = v.get(keyword)
            out[field_name] = value is True
            if keyword in v and value not in (True, False, None):
                unknown.append(field_name)
        if unknown:
            out["unknown"] = tuple(unknown)
        return out

    def _op_create_index(self, v, ctx, site):
        columns = v.get("columns")
        self._emit("create_index", v.get("table_name"), {
            "name": text_or_none(v.get("index_name")),
            **self._flags(v, unique="unique", concurrently="postgresql_concurrently", if_not_exists="if_not_exists"),
            "partial": v.get("postgresql_where") is not None or v.get("sqlite_where") is not None,
            "columns": [text_or_none(c) for c in columns if text_or_none(c)] if isinstance(columns, list) else [],
        }, ctx, site)

    def _op_drop_index(self, v, ctx, site):
        self._emit("drop_index", v.get("table_name"), {
            "name": text_or_none(v.get("index_name")),
            **self._flags(v, concurrently="postgresql_concurrently", if_exists="if_exists")}, ctx, site)

    def _op_add_column(self, v, ctx, site):
        table, info = v.get("table_name"), column_info(v.get("column"), self.dialect)
        if info is None:
            self._emit("add_column", table, {"column": None}, ctx, site)
            return
        self._emit("add_column", table, {**info.add_column_args(), "if_not_exists": v.get("if_not_exists") is True}, ctx, site)
        # Alembic adds a column's constraints and indexes in separate statements after it.
        for kind, args in info.implied():
            self._emit(kind, table, args, ctx, site)

    def _op_drop_column(self, v, ctx, site):
        self._emit("drop_column", v.get("table_name"), {"column": text_or_none(v.get("column_name")),
                                                          "if_exists": v.get("if_exists") is True}, ctx, site)

    def _op_alter_column(self, v, ctx, site):
        table, column = v.get("table_name"), text_or_none(v.get("column_name"))
        if v.get("type_") not in (None, UNKNOWN):
            self._emit("alter_column_type", table, {
                "column": column, "new_type": sa_type(v.get("type_")), "old_type": sa_type(v.get("existing_type")),
                "using": v.get("postgresql_using") is not None}, ctx, site)
        if v.get("nullable") is False:
            self._emit("set_not_null", table, {"column": column}, ctx, site)
        elif v.get("nullable") is True:
            self._emit("drop_not_null", table, {"column": column}, ctx, site)
        if "server_default" in v and v["server_default"] is not False:
            kind = "drop_default" if v["server_default"] is None else "set_default"
            self._emit(kind, table, {"column": column}, ctx, site)
        if v.get("new_column_name"):
            self._emit("rename_column", table, {"column": column, "new_name": text_or_none(v["new_column_name"])}, ctx, site)

    def _constraint(self, ctype: str, v: dict, ctx: Ctx, site: Span, **extra) -> None:
        table = v.get("table_name", v.get("source_table"))
        self._emit("add_constraint", table, {"name": text_or_none(v.get("constraint_name")), "type": ctype,
                                              **self._flags(v, not_valid="postgresql_not_valid"), **extra}, ctx, site)

    def _op_create_foreign_key(self, v, ctx, site):
        self._constraint("foreign_key", v, ctx, site, references=text_or_none(v.get("referent_table")))

    def _op_create_check_constraint(self, v, ctx, site):
        self._constraint("check", v, ctx, site, not_null_column=_not_null_column(v.get("condition"), self.dialect))

    def _op_create_unique_constraint(self, v, ctx, site):
        self._constraint("unique", v, ctx, site, columns=_names(v.get("columns")))

    def _op_create_exclude_constraint(self, v, ctx, site):
        self._constraint("exclude", v, ctx, site)

    def _op_create_primary_key(self, v, ctx, site):
        self._constraint("primary_key", v, ctx, site, columns=_names(v.get("columns")))

    def _op_drop_constraint(self, v, ctx, site):
        self._emit("drop_constraint", v.get("table_name"), {"name": text_or_none(v.get("constraint_name")),
                                                             "if_exists": v.get("if_exists") is True}, ctx, site)

    def _op_create_table(self, v, ctx, site):
        columns: dict[str, Any] = {}
        keys, references, not_null, defaults = [], set(), [], []
        for item in v.get("*") or []:
            info = column_info(item, self.dialect)
            if info is not None:
                columns[info.name] = info.type
                if info.name and not info.nullable:
                    not_null.append(info.name)
                if info.name and info.default_volatility is not None:
                    defaults.append(info.name)
                if info.primary_key or info.unique:
                    keys.append([info.name])
                if info.references:
                    references.add(info.references)
            elif isinstance(item, Call) and item.name in ("PrimaryKeyConstraint", "UniqueConstraint"):
                keys.append(_names(item.args))
            elif isinstance(item, Call) and item.name == "ForeignKeyConstraint" and len(item.args) > 1:
                targets = [t.rsplit(".", 1)[0] for t in _names(item.args[1]) if "." in t]
                references.update(targets[:1])
        self._emit("create_table", v.get("table_name"), {"columns": columns, "keys": keys,
                                                          "if_not_exists": v.get("if_not_exists") is True,
                                                          "references": sorted(references),
                                                          "not_null": not_null, "defaults": defaults,
                                                          "partitioned": v.get("postgresql_partition_by") is not None},
                   ctx, site)

    def _op_drop_table(self, v, ctx, site):
        self._emit("drop_table", v.get("table_name"), {"if_exists": v.get("if_exists") is True}, ctx, site)

    def _op_rename_table(self, v, ctx, site):
        self._emit("rename_table", v.get("old_table_name"), {"new_name": text_or_none(v.get("new_table_name"))}, ctx, site)

    def _op_execute(self, v, ctx, site):
        self._execute_value(v.get("sqltext"), ctx, site)

    def _execute_value(self, value: Any, ctx: Ctx, site: Span) -> None:
        if isinstance(value, Text):
            self._sql(value, ctx, site)
        elif isinstance(value, Call) and self._core(value, ctx, site):
            pass
        elif isinstance(value, Call) and value.name == "DDL" and value.args and isinstance(value.args[0], Text):
            self._sql(value.args[0], ctx, site)  # sa.DDL("..."): SQL text
        elif isinstance(value, Call) and ({dotted(c.func).rsplit(".", 1)[-1] for c in _chain(value.node)} & _NEW_ROWS_ONLY):
            pass  # SQLAlchemy constructs that add rows or objects and touch nothing existing
        else:
            self._emit("unanalyzable", None, {"reason": "SQL built from values lintmig cannot resolve"}, ctx, site)

    def _core(self, value: Call, ctx: Ctx, site: Span) -> bool:
        """SQLAlchemy Core: `table.update().where(...)`, `sa.delete(table)...`; False if not one."""
        calls = _chain(value.node)
        names = [dotted(c.func).rsplit(".", 1)[-1] for c in calls]
        kind = next((n for n in names if n in ("update", "delete")), None)
        if kind is None:
            return False
        first = calls[names.index(kind)]
        # sa.delete(flow) / delete(flow): the table is the argument; flow.delete(): the object.
        if first.args:
            target = first.args[0].value
        else:
            target = first.func.value if isinstance(first.func, cst.Attribute) else None
        table = self.eval.value(target, ctx.env) if target is not None else None
        if isinstance(table, Call) and table.args:  # sa.table("orders", ...) / sa.Table("orders", ...)
            table = table.args[0]
        where = [c for c, n in zip(calls, names) if n == "where"]
        bounds = None if not where else [sorted({c for w in where for c in self._core_bounds(w, ctx)})]
        self._emit(kind, table, {"bounds": bounds, "row_by_row": ctx.row_loop}, ctx, site)
        if self.new_values:
            self._note_values(self._strings_in(value.node, ctx), site.line)
        return True

    def _strings_in(self, node: cst.CSTNode, ctx: Ctx) -> set[str]:
        """The string values written anywhere inside a node (`.values(status="archived")`,
        `.where(t.c.status == "archived")`)."""
        found: set[str] = set()
        stack = [node]
        while stack:
            node = stack.pop()
            if type(node) in STRING_NODES:
                text = self.eval.value(node, ctx.env)
                if isinstance(text, Text):
                    found.add(text.value)
            else:
                stack.extend(node.children)
        return found

    def _core_bounds(self, where: cst.Call, ctx: Ctx) -> set[str]:
        """Columns a Core `.where(...)` bounds with values: ==, .in_([...]), .between(a, b)."""
        bound: set[str] = set()
        for arg in where.args:
            expr = arg.value
            if isinstance(expr, cst.Comparison) and len(expr.comparisons) == 1 and isinstance(expr.comparisons[0].operator, cst.Equal):
                comparator = expr.comparisons[0].comparator
                value = self.eval.value(comparator, ctx.env)
                # A value: a known one, a name or attribute holding one (a bound parameter, a
                # row's id), a call such as sa.bindparam(...). Another table's column
                # (`other.c.id`) joins and bounds nothing.
                joins = ".c." in f".{dotted(comparator)}." if isinstance(comparator, cst.Attribute) else False
                if not joins and (isinstance(comparator, (cst.Name, cst.Attribute, cst.Call)) or value not in (UNKNOWN, None)):
                    bound.add(dotted(expr.left).rsplit(".", 1)[-1])
            elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value in ("in_", "between"):
                bound.add(dotted(expr.func.value).rsplit(".", 1)[-1])
        return bound


def _reads_rows(call: cst.Call) -> bool:
    """`bind.execute(...)`, `.fetchall()`, `session.query(...).all()`, `.scalars()`."""
    return any(word in dotted(call.func) for word in _ROW_WORDS)


def _chain(node: cst.BaseExpression) -> list[cst.Call]:
    """The calls of a method chain, innermost first: a.update().where(x).values(y)."""
    calls: list[cst.Call] = []
    while True:
        if isinstance(node, cst.Call):
            calls.append(node)
            node = node.func
        elif isinstance(node, cst.Attribute):
            node = node.value
        else:
            return list(reversed(calls))


def _names(value: Any) -> list[str]:
    if isinstance(value, list):
        return [n for n in (text_or_none(v) for v in value) if n]
    return []


def _not_null_column(condition: Any, dialect: str) -> Optional[str]:
    text = text_or_none(condition)
    if not text:
        return None
    from .sql_statement import statement_ops

    ops = statement_ops(f"ALTER TABLE t ADD CONSTRAINT c CHECK ({text})", dialect)
    return ops[0][2].get("not_null_column") if ops and ops[0][0] == "add_constraint" else None


def extract_alembic(path: str, text: str, dialect: str, lint_down: bool = False) -> Migration:
    return AlembicReader(path, text, dialect, lint_down).read()
