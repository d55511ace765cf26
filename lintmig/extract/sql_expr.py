"""Facts read off sqlglot expressions: names, types, default volatility, predicate bounds.

Everything returned here is plain data (strings, tuples, lists), so rules never see a
sqlglot node.
"""
from __future__ import annotations

import re
import sys
from typing import Optional

from sqlglot import exp

# A value or name not known until run time ({{ x }}, f"{x}", %s) stands in the SQL as tpl___.
PLACEHOLDER = re.compile(r"^tpl_+$")


_TYPE_ALIASES = {
    "character varying": "varchar", "character": "char", "int4": "int", "integer": "int",
    "int8": "bigint", "int2": "smallint", "decimal": "numeric", "bool": "boolean",
    "float8": "double", "double precision": "double", "timestamptz": "timestamptz",
}
_STABLE = {
    "CurrentTimestamp", "CurrentDate", "CurrentTime", "CurrentUser", "Localtimestamp",
    "CurrentTimestampLTZ", "UnixSeconds",
}
_VOLATILE = {"Rand", "Uuid", "Random", "Randn", "GenerateSeries"}
_STABLE_NAMES = {"now", "statement_timestamp", "transaction_timestamp", "current_setting", "localtimestamp"}
_VOLATILE_NAMES = {
    "random", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4",
    "clock_timestamp", "timeofday", "nextval", "setval", "uuid", "newid", "random_uuid", "uuidv7",
    "uuid_generate_v7", "uuidv4",
}
_SERIAL_TYPES = {"serial", "bigserial", "smallserial"}


def ident(node: Optional[exp.Expression]) -> Optional[str]:
    """A lower-cased name (quoted identifiers keep their case)."""
    if node is None:
        return None
    if isinstance(node, exp.Identifier):
        return sys.intern(node.this if node.quoted else node.this.lower())
    if isinstance(node, (exp.Column, exp.Table)):
        return ident(node.this)
    name = getattr(node, "name", None)
    return name.lower() if isinstance(name, str) and name else None


def table_name(node: Optional[exp.Expression]) -> Optional[str]:
    """Table name with a schema other than `public` kept as a prefix."""
    if node is None:
        return None
    if isinstance(node, exp.Schema):
        node = node.this
    if not isinstance(node, exp.Table):
        return ident(node)
    name = ident(node.this)
    schema = ident(node.args.get("db"))
    if name is None:
        return None
    return f"{schema}.{name}" if schema and schema != "public" else name


def data_type(node: Optional[exp.Expression]) -> Optional[tuple[str, tuple]]:
    """('varchar', (20,)) for varchar(20); None when there is no type."""
    if not isinstance(node, exp.DataType):
        return None
    base = node.this.value.lower() if hasattr(node.this, "value") else str(node.this).lower()
    base = _TYPE_ALIASES.get(base, base)
    params = []
    for p in node.expressions or []:
        value = p.this if isinstance(p, exp.DataTypeParam) else p
        text = value.name if isinstance(value, exp.Expression) else str(value)
        params.append(int(text) if text.isdigit() else text.lower())
    if base == "userdefined":
        base = (node.args.get("kind") or node.sql()).lower()
    return (base, tuple(params))


def volatility(node: Optional[exp.Expression]) -> tuple[str, Optional[str]]:
    """('constant'|'stable'|'volatile'|'unknown', the deciding function name) of an expression."""
    if node is None:
        return ("constant", None)
    worst, why = "constant", None
    rank = {"constant": 0, "stable": 1, "unknown": 2, "volatile": 3}
    for sub in node.walk():
        if isinstance(sub, exp.Anonymous):
            fname = str(sub.this).lower()
            level = "stable" if fname in _STABLE_NAMES else "volatile" if fname in _VOLATILE_NAMES else "unknown"
        elif isinstance(sub, exp.Func):
            cls = type(sub).__name__
            fname = cls.lower()
            level = "volatile" if cls in _VOLATILE else "stable" if cls in _STABLE else "constant"
            if cls == "Uuid":
                fname = "gen_random_uuid"
            elif cls == "CurrentTimestamp":
                fname = "now"
        elif isinstance(sub, (exp.Column, exp.Subquery, exp.Select)):
            fname, level = sub.sql(), "unknown"
        else:
            continue
        if rank[level] > rank[worst]:
            worst, why = level, fname
    return worst, why


def is_serial(dtype: Optional[tuple[str, tuple]]) -> bool:
    return dtype is not None and dtype[0] in _SERIAL_TYPES


def _is_value(node: exp.Expression) -> bool:
    """A literal or a bound parameter (also a template placeholder standing for one)."""
    while isinstance(node, (exp.Neg, exp.Cast, exp.Paren, exp.TryCast)):
        node = node.this
    if isinstance(node, (exp.Literal, exp.Placeholder, exp.Parameter, exp.Boolean, exp.Null)):
        return True
    if isinstance(node, exp.Column) and not node.table:
        return bool(PLACEHOLDER.match(node.name or ""))
    return False


def _is_value_list(node: exp.Expression) -> bool:
    """`= ANY(ARRAY[1, 2])` or `= ANY($1)`: a list of values, given or bound."""
    if not isinstance(node, exp.Any):
        return False
    inner = node.this
    while isinstance(inner, exp.Paren):
        inner = inner.this
    if isinstance(inner, exp.Array):
        return all(_is_value(i) for i in inner.expressions)
    return _is_value(inner)


def _target_column(node: exp.Expression, names: set[str]) -> Optional[str]:
    if not isinstance(node, exp.Column):
        return None
    qualifier = ident(node.args.get("table"))
    if qualifier is not None and qualifier not in names:
        return None
    return ident(node.this)


_MAX_DISJUNCTS = 16


def bounds(where: Optional[exp.Expression], names: set[str]) -> Optional[list[list[str]]]:
    """Predicate shape: one list per OR branch of the columns of the target table bound there
    by equality with a value, IN (value list) or a range with both ends given. None: no WHERE."""
    if where is None:
        return None
    if isinstance(where, exp.Where):
        where = where.this
    return [sorted(c for c in cols if not c.startswith(("<", ">"))) for cols in _dnf(where, names)]


def _dnf(node: exp.Expression, names: set[str]) -> list[set[str]]:
    if isinstance(node, exp.Paren):
        return _dnf(node.this, names)
    if isinstance(node, exp.Or):
        out = _dnf(node.this, names) + _dnf(node.expression, names)
        return out if len(out) <= _MAX_DISJUNCTS else [set()]
    if isinstance(node, exp.And):
        left, right = _dnf(node.this, names), _dnf(node.expression, names)
        merged = [_merge_ranges(a | b) for a in left for b in right]
        return merged if len(merged) <= _MAX_DISJUNCTS else [set()]
    return [_atom(node, names)]


def _merge_ranges(cols: set[str]) -> set[str]:
    """`id >= 1 AND id < 100` bounds id: its two one-sided marks make a bound."""
    out = {c for c in cols if not c.startswith(("<", ">"))}
    for c in cols:
        if c.startswith(">") and "<" + c[1:] in cols:
            out.add(c[1:])
    return out | {c for c in cols if c.startswith(("<", ">"))}


def _atom(node: exp.Expression, names: set[str]) -> set[str]:
    if isinstance(node, exp.EQ):
        for col, val in ((node.this, node.expression), (node.expression, node.this)):
            name = _target_column(col, names)
            if name and (_is_value(val) or _is_value_list(val)):
                return {name}
        return set()
    if isinstance(node, exp.In):
        name = _target_column(node.this, names)
        items = node.expressions
        if name and items and not node.args.get("query") and all(_is_value(i) for i in items):
            return {name}
        return set()
    if isinstance(node, exp.Between):
        name = _target_column(node.this, names)
        ok = name and _is_value(node.args["low"]) and _is_value(node.args["high"])
        return {name} if ok else set()
    sides = {exp.GT: ">", exp.GTE: ">", exp.LT: "<", exp.LTE: "<"}
    mark = sides.get(type(node))
    if mark:
        name = _target_column(node.this, names)
        if name and _is_value(node.expression):
            return {mark + name}
        name = _target_column(node.expression, names)
        if name and _is_value(node.this):
            return {("<" if mark == ">" else ">") + name}
    return set()


def subquery_limit(where: Optional[exp.Expression]) -> bool:
    """`WHERE id IN (SELECT id ... LIMIT n)`: one batch of a batched backfill."""
    if where is None:
        return False
    return any(sel.args.get("limit") is not None for sel in where.find_all(exp.Select))


def source_tables(node: Optional[exp.Expression]) -> list[str]:
    if node is None:
        return []
    ctes = {ident(c.args.get("alias")) for c in node.find_all(exp.CTE)}
    names = {table_name(t) for t in node.find_all(exp.Table)}
    return sorted(n for n in names if n and n not in ctes)
