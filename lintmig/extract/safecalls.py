"""The safe calls of lintmig's runner (`m.backfill`, `m.create_index`, ...) and of
`lintmig.alembic` (`backfill`, `create_index_concurrently`), as operations marked
`safe_call`: the runner does them in batches or concurrently, so suppress.py silences the
scale findings on them. Shared by the Alembic and runner front ends."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..model import Span
from .pytext import text_or_none

SIGNATURES = {
    "backfill": ["table", "set", "where", "batch_size", "key"],
    "create_index": ["name", "table", "columns", "unique", "where"],
    "create_index_concurrently": ["name", "table", "columns", "unique", "where"],
    "add_foreign_key": ["table", "columns", "ref_table", "ref_columns", "name", "on_delete", "not_valid"],
    "validate_constraint": ["table", "name"],
}
_KEYWORDS = {"index_name": "name", "table_name": "table", "postgresql_where": "where"}


def safe_call(reader: Any, method: str, label: str, call: Any, ctx: Any, site: Span) -> None:
    """One safe call (`m.backfill(...)`, `create_index_concurrently(...)`, ...) as an operation.
    `reader` is the Alembic or runner front end reading the file, `call` the libcst call."""
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
