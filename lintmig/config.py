"""Settings of one run: defaults, then the config file (a later issue), then flags."""
from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

DIALECTS = ("postgres", "sqlite", "mysql")
MODES = ("smart", "strict")
SQL_TRANSACTION = ("none", "per_file")
FAIL_ON = ("error", "warning")


class UsageError(Exception):
    """A bad flag, config value or path: exit code 2 with this message."""


_UNITS = {"ms": 0.001, "s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value) -> tuple[float, str]:
    """`3s`, `500ms`, `2min`, `1h`, `30d` or a number of seconds -> (seconds, text as written);
    ValueError unless it is a positive duration."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"expected a duration such as 3s, 500ms or 2min, got {value!r}")
    text = str(value).strip().lower()
    number = text.rstrip("abcdefghijklmnopqrstuvwxyz").strip()
    unit = text[len(text.rstrip("abcdefghijklmnopqrstuvwxyz")):] or "s"
    try:
        seconds = float(number) * _UNITS[unit]
    except (ValueError, KeyError):
        raise ValueError(f"expected a duration such as 3s, 500ms or 2min, got {value!r}") from None
    if not seconds > 0 or seconds == float("inf"):
        raise ValueError(f"a duration must be positive, got {value!r}")
    return seconds, str(value).strip() if isinstance(value, str) else f"{value}s"


@functools.lru_cache(maxsize=64)
def _spec(globs: tuple[str, ...]):
    """Compiled once per set of globs: a run asks about every file (exclude, dialects, ...)."""
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(globs)


@dataclass
class Config:
    dialect: str = "postgres"
    dialects: dict[str, str] = field(default_factory=dict)  # glob -> dialect of the SQL files it matches
    postgres_version: int = 15
    mysql_version: str = "8.0"
    mode: str = "smart"
    sql_transaction: str = "none"
    lint_downgrade: bool = False
    fail_on: str = "error"
    cache: Any = True  # True, False, or a folder
    select: Optional[list[str]] = None  # rule codes to run (None: all)
    ignore: list[str] = field(default_factory=list)
    keys: dict[str, Any] = field(default_factory=dict)
    small_tables: list[str] = field(default_factory=list)
    assume_lock_timeout: Optional[str] = None
    session_statement_timeout: Optional[str] = None
    runner_config: Optional[str] = None  # Alembic env.py; default: beside the versions folder
    embedded: list[str] = field(default_factory=list)  # globs of code files holding migration SQL
    embedded_calls: list[str] = field(default_factory=list)  # more names of calls that execute SQL
    include: list[str] = field(default_factory=list)  # diff mode's migration globs (later issue)
    exclude: list[str] = field(default_factory=list)
    rules: dict[str, str] = field(default_factory=dict)  # code -> off | warning | error
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)  # glob -> codes
    safe_calls: list[dict] = field(default_factory=list)
    unsafe_ack_label: Optional[str] = None
    budget_seconds: float = 30
    max_file_size: int = 32 * 1000**2  # bytes; Python and other code files get an eighth of it
    # Table sizes (a `lintmig stats` snapshot) and what lintmig makes of them.
    stats: Optional[str] = None  # the snapshot file
    small_table_rows: int = 10_000  # scale findings on smaller tables are notes
    stats_max_age: str = "30d"  # an older snapshot is a warning (LM009)
    claim_margin: float = 2.0  # a scale claim may understate the snapshot's rows this many times
    duration_margin: float = 10.0  # an estimate this many times a claimed duration is a warning
    throughput: dict[str, float] = field(default_factory=dict)  # overrides of sizes.THROUGHPUT
    base_dir: Optional[str] = None  # globs are relative to the config file's folder
    source: Optional[str] = None  # the config file these settings came from

    def matches(self, globs: list[str], path: str, base: Optional[str] = None) -> bool:
        """Whether a path matches gitignore-style globs relative to the config file (or `base`)."""
        if not globs:
            return False
        import os

        base = self.base_dir or base or os.getcwd()
        rel = os.path.relpath(os.path.abspath(path), base)
        return _spec(tuple(globs)).match_file(rel)

    def sql_transaction_for(self, path: str) -> str:
        if isinstance(self.sql_transaction, dict):
            for glob, mode in self.sql_transaction.items():
                if self.matches([glob], path):
                    return mode
            return "none"
        return self.sql_transaction

    def dialect_for(self, path: str) -> str:
        """The dialect a SQL file is read with: the first `dialects` glob it matches, else
        `dialect`; then its name may say (dialects.py)."""
        from .dialects import dialect_for

        configured = self.dialect
        for glob, dialect in self.dialects.items():
            if path.endswith(".sql") and self.matches([glob], path):
                configured = dialect
                break
        return dialect_for(path, configured)

    def validate(self) -> "Config":
        checks = (("dialect", DIALECTS), ("mode", MODES), ("fail_on", FAIL_ON))
        for key, allowed in checks:
            if getattr(self, key) not in allowed:
                raise UsageError(f"{key}: '{getattr(self, key)}' is not one of {', '.join(allowed)}")
        try:
            self.postgres_version = int(self.postgres_version)
        except (TypeError, ValueError):
            raise UsageError(f"postgres_version: '{self.postgres_version}' is not a major version number") from None
        parts = str(self.mysql_version).split(".")
        if not all(p.isdigit() for p in parts):
            raise UsageError(f"mysql_version: '{self.mysql_version}' is not a version like 8.0.32")
        return self

    def extraction_key(self) -> str:
        """What extraction depends on: part of the cache key."""
        relevant = {k: asdict(self)[k] for k in ("dialect", "sql_transaction", "lint_downgrade", "embedded_calls")}
        return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:16]

    def enabled(self, code: str) -> bool:
        if code in self.ignore or self.rules.get(code) == "off":
            return False
        return self.select is None or code in self.select
