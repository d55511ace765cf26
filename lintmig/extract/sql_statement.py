"""One SQL statement -> raw operations (kind, table, args).

sqlglot reads what it structures well; the token classifier reads the rest. A statement
neither understands becomes an `unanalyzable` operation (LM004) when it looks like a
schema or data change, or a `parse_error` (LM001) when it does not parse at all.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Optional

from sqlglot import exp
from sqlglot.errors import SqlglotError

from ..model import SHARE_UPDATE_EXCLUSIVE
from . import sql_classify as classify_mod
from . import sql_objects
from .sql_classify import RawOp
from .sql_expr import bounds, data_type, ident, is_serial, source_tables, subquery_limit, table_name, volatility

logging.getLogger("sqlglot").setLevel(logging.CRITICAL)

_FIRST = re.compile(r"\s*\(*\s*([A-Za-z_]+)(?:\s+(?:OR\s+REPLACE\s+)?(?:UNIQUE\s+)?([A-Za-z_]+))?", re.I)
_ROUTINES = {"FUNCTION", "PROCEDURE", "TRIGGER", "CONSTRAINT", "EVENT", "RULE"}


def statement_ops(sql: str, dialect: str) -> list[RawOp]:
    return _one_lock(_statement_ops(sql, dialect))


def _one_lock(ops: list[RawOp]) -> list[RawOp]:
    """A statement takes the strongest lock of its actions: SHARE UPDATE EXCLUSIVE only
    when no action of it takes more (`SET (fillfactor = 70), ADD COLUMN x int` does)."""
    weak = [args for _, _, args in ops if args.get("lock_mode")]
    if weak and len(weak) < len(ops):
        for args in weak:
            del args["lock_mode"]
    return ops


def _statement_ops(sql: str, dialect: str) -> list[RawOp]:
    sql = sql.rstrip().rstrip(";")
    m = _FIRST.match(sql)
    if not m:
        return [] if not sql.strip() else _unknown(sql, dialect, parsed=False)
    first, second = m.group(1).upper(), (m.group(2) or "").upper()
    if first in ("INSERT", "REPLACE", "WITH", "SELECT", "VALUES"):
        lowered = sql.lower()
        wanted = "select" in lowered if first in ("INSERT", "REPLACE") else (
            "set_config" in lowered if first in ("SELECT", "VALUES") else True)
        if not wanted:
            return []
    elif first in classify_mod.FIRST_WORDS or (first == "CREATE" and second in _ROUTINES):
        ops = classify_mod.classify(sql, dialect)
        return ops if ops is not None else _unknown(sql, dialect, parsed=True)
    try:
        tree = classify_mod.parse_one(sql, dialect)
    except (SqlglotError, RecursionError, ValueError, KeyError, TypeError):
        tree = None
    if tree is None or isinstance(tree, exp.Command):
        ops = classify_mod.classify(sql, dialect)
        if ops is not None:
            return _reparse_actions(ops, dialect)
        return _unknown(sql, dialect, parsed=tree is not None)
    mapper = _MAPPERS.get(type(tree))
    ops = _cte_changes(tree, dialect) + (mapper(tree, dialect) if mapper else [])
    if isinstance(tree, exp.Alter) and tree.args.get("not_valid") and len(tree.args.get("actions") or []) > 1:
        ops = _not_valid_per_action(ops, sql, dialect)
    return ops


def _cte_changes(tree: exp.Expression, dialect: str) -> list[RawOp]:
    """`WITH moved AS (DELETE ... RETURNING *) INSERT ...`: the CTE's data change runs too."""
    with_ = tree.args.get("with_") or tree.args.get("with")
    if not with_:
        return []
    ops: list[RawOp] = []
    for cte in with_.expressions:
        inner = cte.this
        if isinstance(inner, (exp.Update, exp.Delete)):
            ops.extend(_data_change(inner, "update" if isinstance(inner, exp.Update) else "delete"))
    return ops


def _not_valid_per_action(ops: list[RawOp], sql: str, dialect: str) -> list[RawOp]:
    """sqlglot marks a whole ALTER TABLE NOT VALID; each constraint action has its own."""
    per_action = [args.get("not_valid") for kind, _, args in classify_mod.classify(sql, dialect) or []
                  if kind == "add_constraint"]
    constraints = [op for op in ops if op[0] == "add_constraint" and not op[2].get("on_new_column")]
    if len(per_action) != len(constraints):
        return ops
    for (_, _, args), flag in zip(constraints, per_action):
        args["not_valid"] = bool(flag)
    return ops


def _unknown(sql: str, dialect: str, parsed: bool) -> list[RawOp]:
    unbalanced = sql.count("(") != sql.count(")")
    if not unbalanced and classify_mod.mentions_change(sql, dialect):
        return [("unanalyzable", None, {"reason": "neither the SQL parser nor lintmig's classifier understands this statement"})]
    if not parsed:
        return [("parse_error", None, {"reason": "this statement does not parse"})]
    return []


def _reparse_actions(ops: list[RawOp], dialect: str) -> list[RawOp]:
    """ALTER TABLE actions the classifier only knows as 'alter_table': ask sqlglot about each."""
    out: list[RawOp] = []
    for kind, table, args in ops:
        if kind == "alter_table" and args.get("action_sql") and table:
            try:
                tree = classify_mod.parse_one(f"ALTER TABLE {table} {args['action_sql']}", dialect)
            except (SqlglotError, ValueError, KeyError, TypeError):
                tree = None
            if isinstance(tree, exp.Alter):
                out.extend(_alter(tree, dialect))
                continue
        out.append((kind, table, args))
    return out


def _create(node: exp.Create, dialect: str) -> list[RawOp]:
    kind = (node.args.get("kind") or "").upper()
    if kind == "INDEX":
        return [_create_index(node, dialect)]
    props = node.args.get("properties")
    if kind == "VIEW" and props and props.find(exp.MaterializedProperty):
        # a relation of its own, filled from its query: new to the running release, as a copy is
        return [("create_table", table_name(node.this), {"if_not_exists": bool(node.args.get("exists")),
                                                         "as_select": True,
                                                         "sources": source_tables(node.args.get("expression"))})]
    if kind != "TABLE":
        if kind == "TRIGGER":
            props = node.args.get("properties")
            trig = props.find(exp.TriggerProperties) if props else None
            return [("create_trigger", table_name(trig.args.get("table")) if trig else None, {})]
        return []
    target = node.this
    table = table_name(target)
    columns: dict[str, Any] = {}
    keys: list[list[str]] = []
    not_null, defaults = set(), set()
    if isinstance(target, exp.Schema):
        for item in target.expressions:
            if isinstance(item, exp.ColumnDef):
                name = ident(item.this)
                columns[name] = data_type(item.args.get("kind"))
                for c in item.args.get("constraints") or []:
                    kind = c.args.get("kind")
                    if isinstance(kind, (exp.PrimaryKeyColumnConstraint, exp.UniqueColumnConstraint)):
                        keys.append([name])
                    if isinstance(kind, exp.PrimaryKeyColumnConstraint) or (
                            isinstance(kind, exp.NotNullColumnConstraint) and not kind.args.get("allow_null")):
                        not_null.add(name)
                    elif isinstance(kind, (exp.DefaultColumnConstraint, exp.GeneratedAsIdentityColumnConstraint)):
                        defaults.add(name)
            else:
                for key in item.find_all(exp.PrimaryKey, exp.UniqueColumnConstraint):
                    cols = [c for c in (ident(c) for c in (key.expressions or (key.this.expressions if key.this else []))) if c]
                    keys.append(cols)
                    if isinstance(key, exp.PrimaryKey):
                        not_null.update(cols)
    query = node.args.get("expression")
    temporary = bool(props and props.find(exp.TemporaryProperty))
    partitioned = bool(props and props.find(exp.PartitionedByProperty))
    references = sorted({table_name(ref.this.this if isinstance(ref.this, exp.Schema) else ref.this)
                         for ref in target.find_all(exp.Reference)} - {None}) if isinstance(target, exp.Schema) else []
    args = {
        "if_not_exists": bool(node.args.get("exists")), "columns": columns, "keys": keys,
        "as_select": query is not None, "sources": source_tables(query), "temporary": temporary,
        "references": references, "not_null": sorted(not_null & set(columns)), "defaults": sorted(defaults),
        "partitioned": partitioned,
    }
    if query is not None:  # a copy's columns and their constraints are not written out
        del args["not_null"], args["defaults"]
    return [("create_table", table, args)]


def _column_sql(node: exp.Expression, dialect: str) -> str:
    """An index column as SQL text; a plain unquoted column is its name (what .sql() gives,
    without running the generator: an index build is the commonest statement)."""
    if type(node) is exp.Column and len(node.args) == 1 and isinstance(node.this, exp.Identifier) \
            and not node.this.args.get("quoted") and node.this.args.keys() <= {"this", "quoted"} \
            and isinstance(node.this.this, str):
        return node.this.this
    return node.sql(dialect=classify_mod.get_dialect(dialect))  # as the migration's engine writes it


def _create_index(node: exp.Create, dialect: str) -> RawOp:
    index = node.this
    params = index.args.get("params") if isinstance(index, exp.Index) else None
    using = params.args.get("using") if params else None
    columns = [_column_sql(c.this if isinstance(c, exp.Ordered) else c, dialect) for c in (params.args.get("columns") or [])] \
        if params else []
    args = {
        "name": ident(index.this) if isinstance(index, exp.Index) else None,
        "concurrently": bool(node.args.get("concurrently")), "if_not_exists": bool(node.args.get("exists")),
        "unique": bool(node.args.get("unique")), "only": False, "columns": columns,
        "method": using.name.lower() if using is not None else None,
        "partial": bool(params and params.args.get("where")), "index_type": None,
    }
    return ("create_index", table_name(index.args.get("table")) if isinstance(index, exp.Index) else None, args)


def _drop(node: exp.Drop, dialect: str) -> list[RawOp]:
    kind = (node.args.get("kind") or "").upper()
    names = [table_name(t) for t in node.args.get("tables") or [node.this] if t is not None]
    flags = {"if_exists": bool(node.args.get("exists")), "concurrently": bool(node.args.get("concurrently"))}
    if kind == "INDEX":
        several = {"several": len(names) > 1, "cascade": bool(node.args.get("cascade"))}
        return [("drop_index", None, {**flags, **several, "name": n}) for n in names]
    if kind == "TABLE":
        return [("drop_table", n, flags) for n in names]
    if kind in ("SCHEMA", "DATABASE"):  # every table in it goes
        schemas = [ident(t.args.get("db") or t.this) for t in node.args.get("tables") or [] if isinstance(t, exp.Table)]
        return [("drop_schema", None, {"name": n, "what": kind.lower(), "cascade": bool(node.args.get("cascade")),
                                       "if_exists": flags["if_exists"]}) for n in schemas if n]
    if node.args.get("cascade") and kind != "VIEW" and kind not in sql_objects.NOTHING_DEPENDS:
        return [sql_objects.cascading_drop(kind)]  # DROP TYPE ... CASCADE drops the columns of that type
    return []


def _alter(node: exp.Alter, dialect: str) -> list[RawOp]:
    if (node.args.get("kind") or "").upper() != "TABLE":
        return []
    table = table_name(node.this)
    common: dict[str, Any] = {"not_valid": bool(node.args.get("not_valid"))}
    for opt in node.args.get("options") or []:
        if isinstance(opt, exp.AlgorithmProperty):
            common["algorithm"] = opt.name.lower()
        elif isinstance(opt, exp.LockProperty):
            common["lock"] = opt.name.lower()
    ops: list[RawOp] = []
    actions = node.args.get("actions") or []
    moved = next((o for o in node.args.get("options") or [] if isinstance(o, exp.ToTableProperty)), None)
    if len(actions) == 1 and isinstance(actions[0], exp.AlterRename) and moved is not None:
        # PostgreSQL's ALTER TABLE t RENAME a TO b (COLUMN left out), which sqlglot reads as a table rename
        return [("rename_column", table, {"column": table_name(actions[0].this), "new_name": table_name(moved.this)})]
    for action in actions:
        ops.extend(_alter_action(action, table, common))
    ops.extend(_table_options(node.args.get("options") or [], table, common))
    if any(kind == "add_constraint" and args.get("type") == "primary_key" for kind, _, args in ops):
        # MySQL: DROP PRIMARY KEY alone copies the table; with a new one it rebuilds in place
        ops = [(k, t, {**a, "action": "DropPrimaryKey, AddPrimaryKey"} if a.get("action") == "DropPrimaryKey" else a)
               for k, t, a in ops]
    return ops


# MySQL table options that rebuild the table (measured on MariaDB 10.11: ALGORITHM=INPLACE
# with LOCK=NONE, not NOCOPY; the MySQL manual says the same of 8.0). Changing the engine
# copies the table (INPLACE refused).
_REBUILDING_OPTIONS = {"ROW_FORMAT", "KEY_BLOCK_SIZE", "TABLESPACE"}
_PLACEMENT = (exp.AlgorithmProperty, exp.LockProperty, exp.ToTableProperty)


def _table_options(options: list, table: Optional[str], common: dict[str, Any]) -> list[RawOp]:
    """`ALTER TABLE t ENGINE=InnoDB`, `ROW_FORMAT=...`, `AUTO_INCREMENT=...`: one operation
    for the table options of a statement (ALGORITHM and LOCK say how, not what)."""
    named = [o for o in options if not isinstance(o, _PLACEMENT)]
    if not named:
        return []
    mysql_opts = {k: v for k, v in common.items() if k in ("algorithm", "lock")}
    for o in named:
        if isinstance(o, exp.EngineProperty):
            return [("alter_table", table, {"action": f"ENGINE={o.name.lower()}", **mysql_opts})]
    for o in named:
        key = "ROW_FORMAT" if isinstance(o, exp.RowFormatProperty) else o.name.upper() if type(o) is exp.Property else ""
        if key in _REBUILDING_OPTIONS:
            return [("alter_table", table, {"action": key, **mysql_opts})]
    return [("alter_table", table, {"action": "TABLE OPTIONS", **mysql_opts})]  # metadata: AUTO_INCREMENT, COMMENT, ...


def _alter_action(action: exp.Expression, table: Optional[str], common: dict[str, Any]) -> list[RawOp]:
    mysql_opts = {k: v for k, v in common.items() if k in ("algorithm", "lock")}
    if isinstance(action, exp.ColumnDef):
        return _add_column(action, table, mysql_opts)
    if isinstance(action, exp.AlterColumn):
        column = ident(action.this)
        if action.args.get("dtype") is not None:
            args = {"column": column, "new_type": data_type(action.args["dtype"]), "old_type": None,
                    "using": bool(action.args.get("using")), **mysql_opts}
            return [("alter_column_type", table, args)]
        if action.args.get("allow_null") is False:
            return [("set_not_null", table, {"column": column})]
        if action.args.get("allow_null") is True:
            return [("drop_not_null", table, {"column": column})]
        if action.args.get("default") is not None:
            return [("set_default", table, {"column": column})]
        if action.args.get("drop"):
            return [("drop_default", table, {"column": column})]
        return [("alter_table", table, {"action": "ALTER COLUMN"})]
    if isinstance(action, exp.ModifyColumn):  # MySQL MODIFY / CHANGE COLUMN
        coldef = action.this
        old, new = ident(action.args.get("rename_from")) or ident(coldef.this), ident(coldef.this)
        args = {"column": old, "new_type": data_type(coldef.args.get("kind")), "old_type": None, "using": False,
                **mysql_opts}
        ops: list[RawOp] = [("alter_column_type", table, args)]
        if new and old and new.lower() != old.lower():
            ops.append(("rename_column", table, {"column": old, "new_name": new}))
        for c in coldef.args.get("constraints") or []:
            if isinstance(c.args.get("kind"), exp.NotNullColumnConstraint):  # the definition restates NULL-ness
                kind = "drop_not_null" if c.args["kind"].args.get("allow_null") else "set_not_null"
                ops.append((kind, table, {"column": new or old, "restated": True}))
        return ops
    if isinstance(action, exp.AddConstraint):
        return [_constraint(c, table, common) for c in action.expressions]
    if isinstance(action, exp.Drop):
        kind = (action.args.get("kind") or "").upper()
        names = [ident(t) for t in action.args.get("tables") or []]
        if_exists = bool(action.args.get("exists"))
        mapped = {"COLUMN": "drop_column", "CONSTRAINT": "drop_constraint", "INDEX": "drop_index"}.get(kind)
        if mapped:
            key = "column" if kind == "COLUMN" else "name"
            return [(mapped, table, {key: n, "if_exists": if_exists, **mysql_opts}) for n in names]
        return [("alter_table", table, {"action": f"DROP {kind}"})]
    if isinstance(action, exp.RenameColumn):
        return [("rename_column", table, {"column": ident(action.this), "new_name": ident(action.args.get("to"))})]
    if isinstance(action, exp.AlterRename):
        return [("rename_table", table, {"new_name": table_name(action.this)})]
    if isinstance(action, exp.AlterSet) and action.args.get("tablespace") is not None:
        return [("alter_table", table, {"action": "SET TABLESPACE"})]
    if isinstance(action, exp.AlterSet) and str(action.args.get("option") or "").upper() in ("LOGGED", "UNLOGGED"):
        return [("alter_table", table, {"action": f"SET {str(action.args['option']).upper()}"})]
    if type(action).__name__ == "ForceProperty":  # MySQL ALTER TABLE t FORCE: a null rebuild
        return [("alter_table", table, {"action": "FORCE", **mysql_opts})]
    if isinstance(action, exp.AlterSet) and _light_set(action):
        return [("alter_table", table, {"action": "SET", "lock_mode": SHARE_UPDATE_EXCLUSIVE})]
    return [("alter_table", table, {"action": type(action).__name__})]


def _light_set(action: exp.AlterSet) -> bool:
    """SET (storage parameters) or SET WITHOUT CLUSTER, taking SHARE UPDATE EXCLUSIVE only."""
    params = action.expressions
    if params:
        return all(isinstance(p, exp.EQ) and sql_objects.light_parameter(p.this.sql()) for p in params)
    others = {k for k, v in action.args.items() if v and k != "option"}
    return not others and str(action.args.get("option") or "").upper() == "WITHOUT CLUSTER"


def _add_column(coldef: exp.ColumnDef, table: Optional[str], mysql_opts: dict[str, Any]) -> list[RawOp]:
    column = ident(coldef.this)
    dtype = data_type(coldef.args.get("kind"))
    not_null, default, generated, identity = False, None, None, False
    implied: list[RawOp] = []
    for c in coldef.args.get("constraints") or []:
        kind = c.args.get("kind")
        if isinstance(kind, exp.NotNullColumnConstraint):
            not_null = not kind.args.get("allow_null")
        elif isinstance(kind, exp.DefaultColumnConstraint):
            default = kind.this
        elif isinstance(kind, exp.ComputedColumnConstraint):
            # STORED computes every row; VIRTUAL (MySQL's default, `AS (expr)`) computes none.
            # sqlglot marks MySQL's VIRTUAL persisted=False and leaves PostgreSQL's STORED unmarked.
            generated = "virtual" if kind.args.get("persisted") is False else "stored"
        elif isinstance(kind, exp.GeneratedAsIdentityColumnConstraint) and kind.args.get("expression") is not None:
            generated = "virtual"  # GENERATED ALWAYS AS (expr) with neither STORED nor VIRTUAL (MySQL, PostgreSQL 18)
        elif isinstance(kind, (exp.GeneratedAsIdentityColumnConstraint, exp.AutoIncrementColumnConstraint)):
            identity = True
        elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
            not_null = True
            implied.append(("primary_key", [column]))
        elif isinstance(kind, exp.UniqueColumnConstraint):
            implied.append(("unique", [column]))
        elif isinstance(kind, exp.Reference):
            implied.append(("foreign_key", [column], table_name(kind.this)))
        elif isinstance(kind, exp.CheckColumnConstraint):
            implied.append(("check", [column]))
    vol, func = volatility(default)
    if is_serial(dtype) or identity or generated == "stored":
        vol, func = "volatile", ("identity column" if identity else "generated column" if generated else dtype[0])
    position = coldef.args.get("position")
    args = {
        "column": column, "type": dtype, "not_null": not_null, "has_default": default is not None,
        "default_volatility": vol if (default is not None or vol == "volatile") else None,
        "default_func": func, "if_not_exists": bool(coldef.args.get("exists")), "generated": generated,
        "position": (position.args.get("position") or "").lower() if position else None,
        **mysql_opts,
    }
    ops: list[RawOp] = [("add_column", table, args)]
    for ctype, cols, *ref in implied:
        ops.append(("add_constraint", table, {
            "name": None, "type": ctype, "columns": cols, "not_valid": False, "using_index": False,
            "on_new_column": True, "column_has_default": args["has_default"] or vol == "volatile",
            "references": ref[0] if ref else None,
        }))
    return ops


def _constraint(node: exp.Expression, table: Optional[str], common: dict[str, Any]) -> RawOp:
    name = None
    if isinstance(node, exp.Constraint):
        name = ident(node.this)
        node = node.expressions[0] if node.expressions else node
    args: dict[str, Any] = {"name": name, "not_valid": common.get("not_valid", False), "using_index": False,
                            "on_new_column": False, "references": None, "not_null_column": None}
    if isinstance(node, exp.IndexColumnConstraint):  # MySQL ADD INDEX / KEY / FULLTEXT / SPATIAL
        kind = (node.args.get("kind") or "").lower() or None
        idx = {"name": ident(node.this), "concurrently": False, "if_not_exists": False, "unique": False,
               "only": False, "index_type": kind, "method": None, "partial": False}
        return ("create_index", table, {**idx, **{k: v for k, v in common.items() if k in ("algorithm", "lock")}})
    if isinstance(node, exp.ForeignKey):
        ref = node.args.get("reference")
        args.update(type="foreign_key", references=table_name(ref.this) if ref else None)
    elif isinstance(node, exp.CheckColumnConstraint):
        args["type"] = "check"
        cond = node.this
        if isinstance(cond, exp.Paren):
            cond = cond.this
        if isinstance(cond, exp.Is) and cond.args.get("negate") is not None and isinstance(cond.expression, exp.Null):
            negated = bool(cond.args.get("negate"))
            if negated:
                args["not_null_column"] = ident(cond.this)
        elif isinstance(cond, exp.Not) and isinstance(cond.this, exp.Is) and isinstance(cond.this.expression, exp.Null):
            args["not_null_column"] = ident(cond.this.this)
    elif isinstance(node, (exp.PrimaryKey, exp.PrimaryKeyColumnConstraint)):
        args["type"] = "primary_key"
    elif isinstance(node, exp.UniqueColumnConstraint):
        args["type"] = "unique"
        if common.get("algorithm") or common.get("lock") or (isinstance(node.this, exp.Schema) and node.this.this):
            # MySQL ADD UNIQUE INDEX name (...): an index build
            idx = {"name": ident(node.this.this) if isinstance(node.this, exp.Schema) else None,
                   "concurrently": False, "if_not_exists": False, "unique": True, "only": False,
                   "index_type": None, "method": None, "partial": False}
            return ("create_index", table, {**idx, **{k: v for k, v in common.items() if k in ("algorithm", "lock")}})
    elif isinstance(node, exp.ExcludeColumnConstraint):
        args["type"] = "exclude"
    else:
        args["type"] = type(node).__name__.lower()
    cols_node = node.this if isinstance(node, exp.UniqueColumnConstraint) else node
    args["columns"] = [ident(c) for c in (getattr(cols_node, "expressions", None) or []) if ident(c)]
    return ("add_constraint", table, args)


def _data_change(node: exp.Expression, kind: str) -> list[RawOp]:
    target = node.this
    table = table_name(target)
    names = {n for n in (table, ident(target.this) if isinstance(target, exp.Table) else None,
                         ident(target.args.get("alias")) if isinstance(target, exp.Table) else None) if n}
    where = node.args.get("where")
    limit = node.args.get("limit")
    joined = bool(node.args.get("from_") or node.args.get("from") or node.args.get("using") or node.args.get("joins"))
    args = {
        "bounds": bounds(where, names), "limit": limit is not None,
        "batch_subquery": subquery_limit(where), "joined": joined,
    }
    return [(kind, table, args)]


def _update(node: exp.Update, dialect: str) -> list[RawOp]:
    return _data_change(node, "update")


def _delete(node: exp.Delete, dialect: str) -> list[RawOp]:
    return _data_change(node, "delete")


def _insert(node: exp.Insert, dialect: str) -> list[RawOp]:
    query = node.args.get("expression")
    if not isinstance(query, (exp.Select, exp.Union, exp.Subquery)) and not (query and query.find(exp.Select)):
        return []
    # VALUES ((SELECT max(id) FROM t)) and SELECT max(id) FROM t insert one row: no copy of t.
    if isinstance(query, exp.Values) or _one_row(query):
        return []
    target = node.this.this if isinstance(node.this, exp.Schema) else node.this
    return [("insert_select", table_name(target), {"sources": source_tables(query)})]


def _one_row(query: exp.Expression) -> bool:
    """A SELECT that aggregates without GROUP BY: one row, whatever its FROM holds."""
    if not isinstance(query, exp.Select) or query.args.get("group") or not query.expressions:
        return False
    return all(e.find(exp.AggFunc) is not None or e.find(exp.Column) is None for e in query.expressions) \
        and any(e.find(exp.AggFunc) is not None for e in query.expressions)


def _set(node: exp.Set, dialect: str) -> list[RawOp]:
    ops: list[RawOp] = []
    for item in node.expressions:
        eq = item.this
        if not isinstance(eq, exp.EQ):
            continue
        scope = (item.args.get("kind") or "session").lower()
        name = ident(eq.this)
        value = eq.expression
        text = value.name if isinstance(value, (exp.Literal, exp.Var)) else value.sql()
        if isinstance(value, exp.Var) and text.upper() == "DEFAULT":
            ops.append(("reset_setting", None, {"name": name}))
        else:
            ops.append(("set_setting", None, {"name": name, "value": text, "scope": scope}))
    return ops


def _select(node: exp.Expression, dialect: str) -> list[RawOp]:
    """`SELECT set_config('lock_timeout', '3s', is_local)` sets a setting."""
    ops: list[RawOp] = []
    for call in node.find_all(exp.Anonymous):
        if str(call.this).lower() == "set_config" and len(call.expressions) == 3:
            name, value, local = call.expressions
            if isinstance(name, exp.Literal) and isinstance(value, exp.Literal):
                is_local = isinstance(local, exp.Boolean) and local.this
                ops.append(("set_setting", None, {"name": name.name.lower(), "value": value.name,
                                                  "scope": "local" if is_local else "session"}))
    return ops


def _transaction(node: exp.Expression, dialect: str) -> list[RawOp]:
    if isinstance(node, exp.Transaction):
        mode = node.name.upper() if node.name else None
        return [("transaction", None, {"action": "begin", "mode": mode})]
    if isinstance(node, exp.Rollback) and node.args.get("savepoint"):
        return []
    return [("transaction", None, {"action": "commit" if isinstance(node, exp.Commit) else "rollback"})]


def _truncate(node: exp.TruncateTable, dialect: str) -> list[RawOp]:
    return [("truncate", table_name(t), {}) for t in node.expressions]


_MAPPERS = {
    exp.Create: _create, exp.Drop: _drop, exp.Alter: _alter, exp.Update: _update, exp.Delete: _delete,
    exp.Insert: _insert, exp.Set: _set, exp.Select: _select, exp.Transaction: _transaction,
    exp.Commit: _transaction, exp.Rollback: _transaction, exp.TruncateTable: _truncate,
}
