"""A snapshot of table sizes (`lintmig stats`), read by the linter to size its findings.

The file is JSON, meant to be committed (default `.lintmig/stats.json`):

    {"lintmig_stats": 1, "captured_at": "2026-11-20T09:30:00Z", "database": "postgres",
     "server_version": "15.18",
     "tables": {"orders": {"rows": 12400000, "bytes": 3100000000, "estimated": true,
                           "indexes": {"orders_pkey": 280000000}}}}

Table names are as the database reports them; tables outside PostgreSQL's `public` schema
are `schema.table`. `rows` is null when the database has no estimate yet (a PostgreSQL
table never analysed). The file comes from the repository, so it is read as untrusted data:
JSON only, checked field by field, a bad file is a configuration error naming it.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Optional

from .config import UsageError
from .sources import printable

FORMAT = 1
DEFAULT_PATH = ".lintmig/stats.json"
_MAX_BYTES = 64 * 1000**2


@dataclass(frozen=True)
class TableStats:
    rows: Optional[int]
    bytes: Optional[int]
    estimated: bool = True
    indexes: dict[str, Optional[int]] = field(default_factory=dict)  # bytes, None when unknown (MySQL)


@dataclass
class Snapshot:
    captured_at: dt.datetime
    database: str
    tables: dict[str, TableStats]
    server_version: str = ""
    source: str = DEFAULT_PATH

    def size_of(self, table: Optional[str]) -> Optional[TableStats]:
        """The size of a table as a migration names it: unquoted names fold to lower case,
        `public.` is the default schema."""
        if not table:
            return None
        name = table.replace('"', "").replace("`", "")
        for candidate in (name, name.lower()):
            for key in (candidate, candidate[len("public."):] if candidate.startswith("public.") else None):
                if key and key in self.tables:
                    return self.tables[key]
        return None

    def captured_on(self) -> str:
        return self.captured_at.date().isoformat()

    def age_days(self, now: Optional[dt.datetime] = None) -> float:
        now = now or dt.datetime.now(dt.timezone.utc)
        return (now - self.captured_at).total_seconds() / 86400

    def to_data(self) -> dict:
        return {"lintmig_stats": FORMAT, "captured_at": self.captured_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "database": self.database, "server_version": self.server_version,
                "tables": {name: {"rows": t.rows, "bytes": t.bytes, "estimated": t.estimated,
                                  "indexes": dict(sorted(t.indexes.items()))}
                           for name, t in sorted(self.tables.items())}}


def _count(value: Any, where: str) -> Optional[int]:
    if value is None:
        return None
    if type(value) is not int or value < 0:
        raise ValueError(f"{where} must be a whole number of at least 0 or null, not {json.dumps(value)[:40]}")
    return value


def from_data(data: Any, source: str) -> Snapshot:
    """A Snapshot from the file's parsed JSON; UsageError naming the file and the field."""
    try:
        if not isinstance(data, dict) or data.get("lintmig_stats") != FORMAT:
            raise ValueError(f'not a lintmig stats snapshot (expected "lintmig_stats": {FORMAT})')
        captured = data.get("captured_at")
        if not isinstance(captured, str):
            raise ValueError("captured_at must be a UTC time such as 2026-11-20T09:30:00Z")
        try:
            when = dt.datetime.fromisoformat(captured.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"captured_at {captured[:40]!r} is not a time such as 2026-11-20T09:30:00Z") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        if when > dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1):
            raise ValueError(f"captured_at {captured[:40]} is in the future")
        tables = data.get("tables")
        if not isinstance(tables, dict):
            raise ValueError("tables must be an object of table name to size")
        out: dict[str, TableStats] = {}
        for name, entry in tables.items():
            if not isinstance(entry, dict):
                raise ValueError(f"tables.{_shown(name)} must be an object with rows and bytes")
            indexes = entry.get("indexes") or {}
            if not isinstance(indexes, dict):
                raise ValueError(f"tables.{_shown(name)}.indexes must be an object of index name to bytes")
            out[name] = TableStats(
                rows=_count(entry.get("rows"), f"tables.{_shown(name)}.rows"),
                bytes=_count(entry.get("bytes"), f"tables.{_shown(name)}.bytes"),
                estimated=entry.get("estimated") is not False,
                indexes={str(k): _count(v, f"tables.{_shown(name)}.indexes.{_shown(str(k))}") for k, v in indexes.items()})
        return Snapshot(when, str(data.get("database") or ""), out, str(data.get("server_version") or ""), source)
    except ValueError as err:
        raise UsageError(f"stats: {source}: {err}") from None


def parse(raw: bytes, source: str) -> Snapshot:
    if len(raw) > _MAX_BYTES:
        raise UsageError(f"stats: {source}: {len(raw):,} bytes is over the limit of {_MAX_BYTES:,} for a snapshot")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise UsageError(f"stats: {source}: not UTF-8 JSON") from None
    except RecursionError:
        raise UsageError(f"stats: {source}: JSON nested too deeply for a snapshot") from None
    except json.JSONDecodeError as err:
        raise UsageError(f"stats: {source}:{err.lineno}:{err.colno}: not valid JSON ({err.msg})") from None
    return from_data(data, source)


def load(path: str) -> Snapshot:
    try:
        with open(path, "rb") as fh:
            raw = fh.read(_MAX_BYTES + 1)
    except OSError as err:
        raise UsageError(f"stats: {path}: cannot read the snapshot ({err.strerror or err}); "
                         "write one with `lintmig stats --db URL`") from None
    return parse(raw, path)


def trusted(head: Snapshot, base: Optional[Snapshot], small_rows: int) -> tuple[Snapshot, list[str]]:
    """The snapshot a diff-mode run trusts when the change edits it: every table at the
    larger of its two row counts and sizes. A table the change shrinks, or adds below
    `small_rows`, would turn findings into notes or let a scale claim pass: those edits wait
    for approval and are returned as descriptions (LM006)."""
    base_tables = base.tables if base is not None else {}
    tables = dict(base_tables)
    weakened = []
    for name, now in head.tables.items():
        was = base_tables.get(name)
        if was is None:
            if now.rows is not None and now.rows < small_rows:
                weakened.append(f"the stats snapshot adds {_shown(name)} with {now.rows:,} rows (below small_table_rows)")
            else:
                tables[name] = now
            continue
        if (now.rows or 0) < (was.rows or 0) or (now.bytes or 0) < (was.bytes or 0):
            weakened.append(f"the stats snapshot lowers {_shown(name)} from {_rows(was.rows)} to {_rows(now.rows)} rows")
        tables[name] = TableStats(_larger(now.rows, was.rows), _larger(now.bytes, was.bytes),
                                 now.estimated or was.estimated, {**was.indexes, **now.indexes})
    return Snapshot(head.captured_at, head.database, tables, head.server_version, head.source), weakened


def _larger(a: Optional[int], b: Optional[int]) -> Optional[int]:
    """The larger of two counts, an unknown one counting as none (both unknown: unknown)."""
    return None if a is None and b is None else max(a or 0, b or 0)


def _shown(name: str) -> str:
    """A table name from the file as one short line of plain text (it may be hostile)."""
    text = printable(name)
    return text if len(text) <= 80 else text[:77] + "..."


def _rows(value: Optional[int]) -> str:
    return "unknown" if value is None else f"{value:,}"
