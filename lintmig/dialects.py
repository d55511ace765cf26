"""The database a SQL file is written for, when its name says so.

Projects that run on several databases keep one file per database for each migration and
name it for its database: `20220210_nid.mysql.up.sql`, `20220210_nid.sqlite3.up.sql`,
`20220210_nid.cockroach.up.sql` beside `20220210_nid.postgres.up.sql` (gobuffalo/pop, the
Ory projects). Their tool runs each file only on its own database, so lintmig reads each
with its own dialect, and leaves out (counted as skipped) the files of a database it does
not lint, whose version for the configured database it reads instead.

A name is believed only when the migration also exists for the configured database (the
same name for it, or with no database in it, which pop runs everywhere): renaming a
PostgreSQL migration `x.sqlite.sql` must not take it out of the PostgreSQL rules.
"""
from __future__ import annotations

import os

_LINTED = {"postgres": "postgres", "postgresql": "postgres", "pg": "postgres",
           "mysql": "mysql", "mariadb": "mysql", "sqlite": "sqlite", "sqlite3": "sqlite"}
_OTHERS = frozenset({"cockroach", "cockroachdb", "crdb", "mssql", "sqlserver", "oracle", "clickhouse", "spanner"})
NOT_LINTED = ""  # the file's database is one lintmig does not lint


def _aliases(dialect: str) -> list[str]:
    return [name for name, d in _LINTED.items() if d == dialect]


def _has_version_for(folder: str, parts: list[str], at: int, dialect: str) -> bool:
    """Whether the folder holds this migration written for `dialect`, or for every database."""
    names = [".".join(parts[:at] + [alias] + parts[at + 1:]) for alias in _aliases(dialect)]
    names.append(".".join(parts[:at] + parts[at + 1:]))
    return any(os.path.isfile(os.path.join(folder, name)) for name in names)


def dialect_for(path: str, configured: str) -> str:
    """The dialect to read a SQL file with: the database its name gives, when the migration
    also exists for the configured one; NOT_LINTED for a database lintmig does not lint."""
    folder, name = os.path.split(path)
    parts = name.split(".")
    if parts[-1].lower() != "sql":
        return configured
    # The first part is the migration's own name and the last the extension: only the
    # parts between them name a database (`x.mysql.up.sql`, `x.pg.sql`).
    for at in range(1, len(parts) - 1):
        word = parts[at].lower()
        named = _LINTED.get(word, NOT_LINTED if word in _OTHERS else None)
        if named is None:
            continue
        if named == configured or not _has_version_for(folder, parts, at, configured):
            return configured
        return named
    return configured
