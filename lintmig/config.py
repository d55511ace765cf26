"""Settings of one run: defaults, then the config file (a later issue), then flags."""
from __future__ import annotations

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


@dataclass
class Config:
    dialect: str = "postgres"
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

    def validate(self) -> "Config":
        checks = (("dialect", DIALECTS), ("mode", MODES), ("sql_transaction", SQL_TRANSACTION), ("fail_on", FAIL_ON))
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
        relevant = {k: asdict(self)[k] for k in ("dialect", "sql_transaction", "lint_downgrade")}
        return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:16]

    def enabled(self, code: str) -> bool:
        if code in self.ignore:
            return False
        return self.select is None or code in self.select
