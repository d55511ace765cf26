"""Load a folder of runner migrations: `NNNN_name.sql` and `NNNN_name.py`, in numeric order.

A `.sql` file is one schema phase. A `.py` file defines `schema(m)` and optionally
`data(m)` and `background(m)`. Problems are found here, before anything runs: a name
without a number, two files with one number, a `.py` file without `schema`, and SQL that
cannot run inside the schema transaction.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from dataclasses import dataclass, field
from typing import Callable, Optional

from ..sql_split import SplitError, split
from .errors import RunnerError

# Statements that PostgreSQL refuses inside a transaction block, or that would end ours.
_NOT_IN_TRANSACTION = {
    ("VACUUM",): "VACUUM cannot run inside a transaction",
    ("CREATE", "DATABASE"): "CREATE DATABASE cannot run inside a transaction",
    ("DROP", "DATABASE"): "DROP DATABASE cannot run inside a transaction",
    ("ALTER", "SYSTEM"): "ALTER SYSTEM cannot run inside a transaction",
    ("CREATE", "TABLESPACE"): "CREATE TABLESPACE cannot run inside a transaction",
    ("BEGIN",): "the runner opens the schema transaction itself",
    ("START",): "the runner opens the schema transaction itself",
    ("COMMIT",): "the runner commits the schema transaction itself",
    ("END",): "the runner commits the schema transaction itself",
    ("ROLLBACK",): "the runner ends the schema transaction itself",
}
_ADVICE = ("use a NNNN_name.py migration: m.create_index(name, table, columns) in data(m) "
           "builds an index concurrently outside the transaction and survives a failed build")


@dataclass
class MigrationFile:
    version: int
    name: str
    path: str
    checksum: str
    statements: list[str] = field(default_factory=list)  # .sql: the schema phase
    schema: Optional[Callable] = None                      # .py: the three phases
    data: Optional[Callable] = None
    background: Optional[Callable] = None

    @property
    def has_work(self) -> bool:
        return self.data is not None or self.background is not None

    @property
    def label(self) -> str:
        return os.path.basename(self.path)


def load_folder(folder: str, dialect: str) -> list[MigrationFile]:
    if not os.path.isdir(folder):
        raise RunnerError(f"{folder}: no such migrations folder", 2)
    found: dict[int, MigrationFile] = {}
    for entry in sorted(os.listdir(folder)):
        stem, ext = os.path.splitext(entry)
        if ext not in (".sql", ".py") or entry.startswith((".", "_")):
            continue
        number, _, name = stem.partition("_")
        if not number.isdigit() or not name:
            raise RunnerError(f"{os.path.join(folder, entry)}: name it NNNN_name{ext} (a number, then a name)", 2)
        path = os.path.join(folder, entry)
        with open(path, "rb") as handle:
            data = handle.read()
        migration = MigrationFile(int(number), name, path, hashlib.sha256(data).hexdigest())
        if migration.version in found:
            raise RunnerError(f"{path}: version {migration.version} is also {found[migration.version].path}", 2)
        if ext == ".sql":
            migration.statements = _sql_statements(path, data, dialect)
        else:
            _load_python(migration)
        found[migration.version] = migration
    return [found[v] for v in sorted(found)]


def _sql_statements(path: str, data: bytes, dialect: str) -> list[str]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise RunnerError(f"{path}: not UTF-8 text (byte {err.start})", 2) from None
    try:
        pieces, _comments = split(text, "sqlite" if dialect == "sqlite" else "postgres")
    except SplitError as err:
        line = text.count("\n", 0, err.offset) + 1
        raise RunnerError(f"{path}:{line}: {err}", 2) from None
    statements = []
    for piece in pieces:
        sql = text[piece.start:piece.end]
        words = leading_words(sql)
        if not words:
            continue
        line = text.count("\n", 0, piece.start + len(sql) - len(sql.lstrip())) + 1
        reason = _refusal(words)
        if reason:
            raise RunnerError(f"{path}:{line}: {reason}; {_ADVICE}", 2)
        statements.append(sql)
    return statements


def _refusal(words: list[str]) -> str:
    for prefix, reason in _NOT_IN_TRANSACTION.items():
        if tuple(words[:len(prefix)]) == prefix:
            return reason
    if "CONCURRENTLY" in words:
        return "CONCURRENTLY cannot run inside the schema transaction"
    return ""


def leading_words(sql: str, limit: int = 64) -> list[str]:
    """The first bare words of a statement, upper-cased; comments, strings and quoted
    names are skipped, so `-- CONCURRENTLY` or `'VACUUM'` never counts."""
    words: list[str] = []
    i, n = 0, len(sql)
    while i < n and len(words) < limit:
        ch = sql[i]
        if sql.startswith("--", i):
            i = sql.find("\n", i)
            i = n if i < 0 else i
        elif sql.startswith("/*", i):
            i = sql.find("*/", i + 2)
            i = n if i < 0 else i + 2
        elif ch in "'\"`[":
            close = "]" if ch == "[" else ch
            i = sql.find(close, i + 1)
            i = n if i < 0 else i + 1
        elif ch == "$":
            tag_end = sql.find("$", i + 1)
            inner = sql[i + 1:tag_end] if tag_end > 0 else "-"
            if inner == "" or inner.isidentifier():  # $$ or $tag$ opens a dollar-quoted body
                tag = sql[i:tag_end + 1]
                close = sql.find(tag, tag_end + 1)
                i = n if close < 0 else close + len(tag)
            else:
                i += 1
        elif ch.isalpha() or ch == "_":
            j = i
            while j < n and (sql[j].isalnum() or sql[j] in "_$"):
                j += 1
            words.append(sql[i:j].upper())
            i = j
        else:
            i += 1
    return words


def _load_python(migration: MigrationFile) -> None:
    """Import the migration module (the runner is the one place that runs migration code)."""
    module_name = f"lintmig_migration_{migration.version}_{migration.name}"
    spec = importlib.util.spec_from_file_location(module_name, migration.path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as err:
        raise RunnerError(f"{migration.path}: cannot be imported: {type(err).__name__}: {err}", 2) from None
    sys.modules.setdefault(module_name, module)
    for phase in ("schema", "data", "background"):
        function = getattr(module, phase, None)
        if function is not None and not callable(function):
            raise RunnerError(f"{migration.path}: {phase} must be a function taking m", 2)
        setattr(migration, phase, function)
    if migration.schema is None:
        raise RunnerError(f"{migration.path}: defines no schema(m) (write `def schema(m): pass` when "
                          "the migration only moves data)", 2)
