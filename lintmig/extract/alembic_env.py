"""What an Alembic `env.py` sets for every migration it runs (read with libcst, never run).

- `SET ...` statements it executes (`connection.execute(text("SET lock_timeout = '3s'"))`,
  `exec_driver_sql(...)`): `SET` lasts for the session; `SET LOCAL` runs at the start of a
  transaction (a `begin` listener) and holds inside transactions only.
- libpq options in `connect_args={"options": "-c lock_timeout=3s"}` or a DSN's
  `options=-c ...`: session settings.
- `transaction_per_migration=True` in `context.configure(...)`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

import libcst as cst

from .pytext import Evaluator, Text
from .sql import read_sql

_OPTION = re.compile(r"-c\s*([a-z_]+)\s*=\s*([^\s&'\"]+)")


@dataclass
class EnvSettings:
    session: dict[str, tuple[str, str]] = field(default_factory=dict)
    transaction: dict[str, tuple[str, str]] = field(default_factory=dict)
    transaction_per_migration: bool = False


class _Collector(cst.CSTVisitor):
    def __init__(self, dialect: str):
        self.dialect = dialect
        self.found = EnvSettings()
        self.eval = Evaluator(lambda node: None)

    def visit_Call(self, node: cst.Call) -> None:
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "transaction_per_migration":
                self.found.transaction_per_migration = self.eval.value(arg.value, {}) is True

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        self._text(self.eval.value(node, {}))

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
        self._text(self.eval.value(node, {}))

    def _text(self, value) -> None:
        if not isinstance(value, Text):
            return
        text = value.value
        for name, setting in _OPTION.findall(unquote(text)):
            self.found.session[name.lower()] = (setting, "session")
        if text.lstrip()[:3].upper() != "SET":
            return
        for op in read_sql(text, self.dialect, lambda offset: (1, 1)).operations:
            if op.kind == "set_setting" and op.args.get("value") not in (None, "0", "0s"):
                target = self.found.transaction if op.args.get("scope") == "local" else self.found.session
                target[op.args["name"]] = (str(op.args["value"]), "local" if target is self.found.transaction else "session")


def read_env(path: str, dialect: str, max_bytes: int) -> EnvSettings:
    """Settings an env.py establishes; empty when it cannot be read."""
    from ..sources import read_source, work_tree_root
    from .pyreader import UnreadablePython, parse_python

    data = read_source(path, work_tree_root(path), max_bytes)
    try:
        if isinstance(data, str):
            return EnvSettings()
        module = parse_python(data.decode("utf-8"))
        collector = _Collector(dialect)
        module.visit(collector)
    except (UnicodeDecodeError, cst.ParserSyntaxError, UnreadablePython, RecursionError):
        return EnvSettings()
    return collector.found


def attach(migrations, config) -> None:
    """Give each Alembic revision what its project's env.py sets (read once per env.py, every
    run: never cached with the revisions). Without an env.py, Alembic's defaults."""
    import os

    by_folder: dict[str, EnvSettings] = {}
    read: dict[str, EnvSettings] = {}
    configured = getattr(config, "runner_config", None)
    for mig in migrations:
        if mig.host != "alembic":
            continue
        here = os.path.dirname(os.path.abspath(mig.path))
        if here not in by_folder:
            candidates = [configured] if configured else [os.path.join(os.path.dirname(here), "env.py"),
                                                          os.path.join(here, "env.py")]
            env = next((c for c in candidates if os.path.isfile(c)), None)
            if env is not None and env not in read:
                read[env] = read_env(env, mig.dialect, config.max_file_size)
            by_folder[here] = read[env] if env is not None else EnvSettings()
        settings = by_folder[here]
        mig.shared_transaction = not settings.transaction_per_migration
        mig.session_settings = dict(settings.session)
        mig.transaction_settings = dict(settings.transaction)
