"""What an Alembic `env.py` sets for every migration it runs (read with libcst, never run).

- `SET ...` statements it executes (`connection.execute(text("SET lock_timeout = '3s'"))`,
  `exec_driver_sql(...)`): `SET` lasts for the session; `SET LOCAL` runs at the start of a
  transaction (a `begin` listener) and holds inside transactions only.
- libpq options in `connect_args={"options": "-c lock_timeout=3s"}` or a DSN's
  `options=-c ...`: session settings.
- `transaction_per_migration=True` in `context.configure(...)`.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from urllib.parse import unquote

import libcst as cst

from .pytext import Evaluator, Text, dotted
from .sql import read_sql

_OPTION = re.compile(r"-c\s*([a-z_]+)\s*=\s*([^\s&'\"]+)")


@dataclass
class EnvSettings:
    session: dict[str, tuple[str, str]] = field(default_factory=dict)
    transaction: dict[str, tuple[str, str]] = field(default_factory=dict)
    transaction_per_migration: bool = False


_EXECUTE = ("execute", "exec_driver_sql")
# lintmig.alembic.configure(...)'s keyword arguments and defaults: SET LOCAL in every transaction.
_CONFIGURE = {"lock_timeout": 3.0, "statement_timeout": 30.0,
              "idle_in_transaction_timeout": 10.0}
_CONFIGURE_SETTING = {"idle_in_transaction_timeout": "idle_in_transaction_session_timeout"}


class _Collector(cst.CSTVisitor):
    """Reads what env.py does through its syntax: SQL it executes, libpq options it passes,
    context.configure's flags, and lintmig.alembic.configure. A string that is not handed
    to any of those is not a setting."""

    def __init__(self, dialect: str):
        self.dialect = dialect
        self.found = EnvSettings()
        self.eval = Evaluator(lambda node: None)
        self.configure_names: set[str] = set()
        self.modules: set[str] = {"lintmig.alembic"}

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        module = dotted(node.module) if node.module else ""
        for alias in node.names:
            local = alias.asname.name.value if alias.asname else alias.name.value
            if module == "lintmig.alembic" and alias.name.value == "configure":
                self.configure_names.add(local)
            elif module == "lintmig" and alias.name.value == "alembic":
                self.modules.add(local)

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            if dotted(alias.name) == "lintmig.alembic" and alias.asname is not None:
                self.modules.add(dotted(alias.asname.name))

    def visit_Call(self, node: cst.Call) -> None:
        name = dotted(node.func)
        head, _, last = name.rpartition(".")
        kwargs = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        if "transaction_per_migration" in kwargs:
            self.found.transaction_per_migration = self.eval.value(kwargs["transaction_per_migration"], {}) is True
        if name in self.configure_names or (last == "configure" and head in self.modules):
            self._lintmig_configure(kwargs)
        if last in _EXECUTE and node.args:
            self._sql(self.eval.value(node.args[0].value, {}))
        if "options" in kwargs:
            self._options(self.eval.value(kwargs["options"], {}))
        for arg in node.args:  # a database URL: postgresql://...?options=-c%20lock_timeout%3D3s
            value = self.eval.value(arg.value, {})
            if isinstance(value, Text) and "://" in value.value:
                self._options(value)

    def visit_DictElement(self, node: cst.DictElement) -> None:
        if self.eval.value(node.key, {}) == "options" or _text(self.eval.value(node.key, {})) == "options":
            self._options(self.eval.value(node.value, {}))

    def _lintmig_configure(self, kwargs: dict) -> None:
        self.found.transaction_per_migration = True
        if "transaction_per_migration" in kwargs:
            self.found.transaction_per_migration = self.eval.value(kwargs["transaction_per_migration"], {}) is not False
        for keyword, default in _CONFIGURE.items():
            value = self.eval.value(kwargs[keyword], {}) if keyword in kwargs else default
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                setting = _CONFIGURE_SETTING.get(keyword, keyword)
                self.found.transaction[setting] = (f"{value:g}s", "local")

    def _options(self, value) -> None:
        text = _text(value)
        if text is None:
            return
        for name, setting in _OPTION.findall(unquote(text)):
            self.found.session[name.lower()] = (setting, "session")

    def _sql(self, value) -> None:
        text = _text(value)
        if text is None or text.lstrip()[:3].upper() != "SET":
            return
        for op in read_sql(text, self.dialect, lambda offset: (1, 1)).operations:
            if op.kind == "set_setting" and op.args.get("value") not in (None, "0", "0s"):
                target = self.found.transaction if op.args.get("scope") == "local" else self.found.session
                target[op.args["name"]] = (str(op.args["value"]), "local" if target is self.found.transaction else "session")


def _text(value):
    if isinstance(value, Text):
        return value.value
    return value if isinstance(value, str) else None


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


class EnvSettingsOf:
    """Gives each Alembic revision what its project's env.py sets (read once per env.py, every
    run: never cached with the revisions). Without an env.py, Alembic's defaults."""

    def __init__(self, config):
        self.config = config
        self.by_folder: dict[str, EnvSettings] = {}
        self.read: dict[str, EnvSettings] = {}

    def __call__(self, mig) -> None:
        if mig.host != "alembic":
            return
        here = os.path.dirname(os.path.abspath(mig.path))
        if here not in self.by_folder:
            configured = getattr(self.config, "runner_config", None)
            candidates = [configured] if configured else [os.path.join(os.path.dirname(here), "env.py"),
                                                          os.path.join(here, "env.py")]
            env = next((c for c in candidates if os.path.isfile(c)), None)
            if env is not None and env not in self.read:
                self.read[env] = read_env(env, mig.dialect, self.config.max_file_size)
            self.by_folder[here] = self.read[env] if env is not None else EnvSettings()
        settings = self.by_folder[here]
        mig.shared_transaction = not settings.transaction_per_migration
        mig.session_settings = dict(settings.session)
        mig.transaction_settings = dict(settings.transaction)


def attach(migrations, config) -> None:
    """Each Alembic revision's env.py settings (EnvSettingsOf)."""
    give = EnvSettingsOf(config)
    for mig in migrations:
        give(mig)
