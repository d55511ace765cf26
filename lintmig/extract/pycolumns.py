"""SQLAlchemy columns, types and server defaults read as data (for the Python front ends)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from .pytext import UNKNOWN, Call, Text, text_or_none

_TYPES = {
    "string": "varchar", "unicode": "varchar", "varchar": "varchar", "text": "text", "unicodetext": "text",
    "integer": "int", "int": "int", "biginteger": "bigint", "bigint": "bigint", "smallinteger": "smallint",
    "numeric": "numeric", "decimal": "numeric", "float": "double", "boolean": "boolean", "datetime": "timestamp",
    "timestamp": "timestamp", "date": "date", "time": "time", "uuid": "uuid", "json": "json", "jsonb": "jsonb",
    "enum": "enum", "largebinary": "bytea", "interval": "interval", "array": "array", "char": "char",
}


def sa_type(value: Any) -> Optional[tuple[str, tuple]]:
    """('varchar', (50,)) for sa.String(50); None when unknown."""
    if isinstance(value, Call):
        base = _TYPES.get(value.name.lower(), value.name.lower())
        if base == "timestamp" and value.kwargs.get("timezone") is True:
            base = "timestamptz"
        params = tuple(a for a in value.args if isinstance(a, int))
        if base == "varchar" and not params and isinstance(value.kwargs.get("length"), int):
            params = (value.kwargs["length"],)
        return (base, params)
    if isinstance(value, Text) or value is UNKNOWN or value is None:
        return None
    return None


def _type_from_name(dotted: str) -> Optional[tuple[str, tuple]]:
    last = dotted.rsplit(".", 1)[-1].lower()
    return (_TYPES[last], ()) if last in _TYPES else None


# Calls whose result is a Python string (json.dumps({}), repr(x)): a constant once rendered.
_PYTHON_STRINGS = frozenset({"dumps", "repr", "format", "isoformat", "hex"})


def server_default_info(value: Any, dialect: str) -> tuple[Optional[str], Optional[str], bool]:
    """(volatility, function, is a SQL expression) of a server_default."""
    if value is None or value is False:
        return (None, None, False)
    if isinstance(value, Text) and value.is_sql:
        return (*_sql_volatility(value.value, dialect), True)
    if isinstance(value, (Text, str, int)):
        return ("constant", None, False)
    if isinstance(value, Call):
        if value.name in ("false", "true", "null", "literal", "False_", "True_", "Null"):
            return ("constant", None, True)
        if value.name in _PYTHON_STRINGS:  # a str made in Python: SQLAlchemy quotes it as a literal
            return ("constant", None, False)
        if value.name in ("text", "literal_column") and value.args:
            return (*_sql_volatility(text_or_none(value.args[0]) or "", dialect), True)
        if ".func." in f".{value.dotted}" or value.dotted.startswith("func."):
            return (*_sql_volatility(f"{value.name}()", dialect), True)
        if value.name == "Computed":
            return ("volatile", "generated column", True)
        if value.name == "Identity":
            return ("volatile", "identity column", True)
    return ("unknown", "an expression lintmig cannot read", True)


def _sql_volatility(expr: str, dialect: str) -> tuple[str, Optional[str]]:
    import sqlglot

    from .sql_classify import get_dialect
    from .sql_expr import volatility

    try:
        return volatility(sqlglot.parse_one(expr, read=get_dialect(dialect)))
    except Exception:
        return ("unknown", expr)


@dataclass
class ColumnInfo:
    name: Optional[str]
    type: Optional[tuple[str, tuple]]
    nullable: bool
    primary_key: bool
    unique: bool
    index: bool
    references: Optional[str]
    default_volatility: Optional[str]
    default_func: Optional[str]
    sql_server_default: bool
    generated: Optional[str] = None  # sa.Computed: "stored", or "virtual" with persisted=False

    def add_column_args(self) -> dict[str, Any]:
        return {
            "column": self.name, "type": self.type, "not_null": not self.nullable,
            "has_default": self.default_volatility is not None, "default_volatility": self.default_volatility,
            "default_func": self.default_func, "sql_server_default": self.sql_server_default,
            "generated": self.generated,
        }

    def implied(self) -> list[tuple[str, dict[str, Any]]]:
        out: list[tuple[str, dict[str, Any]]] = []
        if self.references:
            out.append(("add_constraint", {"type": "foreign_key", "columns": [self.name], "references": self.references}))
        if self.unique or self.primary_key:
            out.append(("add_constraint", {"type": "primary_key" if self.primary_key else "unique", "columns": [self.name]}))
        if self.index:
            out.append(("create_index", {"columns": [self.name]}))
        return out


def column_info(value: Any, dialect: str) -> Optional[ColumnInfo]:
    """sa.Column("name", sa.Type(), sa.ForeignKey("t.id"), nullable=..., server_default=...)."""
    if not isinstance(value, Call) or value.name != "Column":
        return None
    name = text_or_none(value.args[0]) if value.args else text_or_none(value.kwargs.get("name"))
    ctype, references, computed = None, None, None
    for arg in value.args[1:] if name is not None else value.args:
        if isinstance(arg, Call) and arg.name == "ForeignKey" and arg.args:
            target = text_or_none(arg.args[0]) or ""
            references = target.rsplit(".", 1)[0] if "." in target else target or None
        elif isinstance(arg, Call) and arg.name in ("Computed", "Identity"):
            computed = arg
        elif isinstance(arg, Call) and ctype is None:
            ctype = sa_type(arg)
        elif arg is UNKNOWN and ctype is None:
            ctype = None
    if ctype is None:
        node_args = [a for a in value.node.args if a.keyword is None]
        if len(node_args) > 1:
            from .pytext import dotted

            ctype = _type_from_name(dotted(node_args[1].value))
    primary_key = value.kwargs.get("primary_key") is True
    nullable = value.kwargs.get("nullable")
    vol, func, is_sql = server_default_info(value.kwargs.get("server_default"), dialect)
    generated = None
    if computed is not None:
        # persisted=None leaves it to the database: STORED is all PostgreSQL before 18 has,
        # MySQL and SQLite make the column VIRTUAL (SQLAlchemy renders neither word then).
        persisted = computed.kwargs.get("persisted")
        persisted = dialect not in ("mysql", "sqlite") if persisted is None else persisted is not False
        if computed.name == "Computed":
            generated = "stored" if persisted else "virtual"
        if computed.name == "Identity" or persisted:
            vol, func, is_sql = "volatile", "identity column" if computed.name == "Identity" else "generated column", True
    return ColumnInfo(
        name=name, type=ctype, nullable=(nullable is not False) and not primary_key, primary_key=primary_key,
        unique=value.kwargs.get("unique") is True, index=value.kwargs.get("index") is True,
        references=references, default_volatility=vol, default_func=func, sql_server_default=is_sql,
        generated=generated,
    )
