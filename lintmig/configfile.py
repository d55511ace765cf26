"""The config file: `.lintmig.yaml`, or `[tool.lintmig]` in `pyproject.toml`.

Found by walking up from the working directory to the repository root (`.lintmig.yaml`
wins when both exist), or named with `--config`. Every key is checked: an unknown key, a
bad value or an unknown rule is a usage error naming the key and the file. Globs are kept
with the folder they are relative to.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Optional

from .config import DIALECTS, FAIL_ON, MODES, SQL_TRANSACTION, Config, UsageError


def find_config(start: Optional[Path] = None) -> Optional[Path]:
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        yaml_file, pyproject = folder / ".lintmig.yaml", folder / "pyproject.toml"
        if yaml_file.is_file():
            return yaml_file
        if pyproject.is_file() and _pyproject_section(pyproject) is not None:
            return pyproject
        if (folder / ".git").exists():
            return None
    return None


def _pyproject_section(path: Path) -> Optional[dict]:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, ValueError) as err:
        raise UsageError(f"{path}: cannot read TOML: {err}") from None
    return data.get("tool", {}).get("lintmig")


def _read(path: Path) -> dict:
    if path.name == "pyproject.toml" or path.suffix == ".toml":
        section = _pyproject_section(path)
        return section or {}
    import yaml

    try:
        with open(path, "rb") as fh:
            raw = fh.read((1 << 20) + 1)
        if len(raw) > 1 << 20:
            raise UsageError(f"{path}: a config file of over 1 MiB is not read")
        data = yaml.safe_load(raw.decode("utf-8-sig"))
    except OSError as err:
        raise UsageError(f"{path}: cannot read: {err.strerror}") from None
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b"\n") + 1
        raise UsageError(f"{path}:{line}: not UTF-8 text (byte {err.start}: {err.reason})") from None
    except RecursionError:
        raise UsageError(f"{path}: nested too deeply to read") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise UsageError(f"{path}{where}: not valid YAML: {getattr(err, 'problem', err)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"{path}: the config is a mapping of keys to values")
    return data


def _choice(allowed) -> Callable[[Any], Any]:
    def check(value):
        if value not in allowed:
            raise ValueError(f"'{value}' is not one of {', '.join(allowed)}")
        return value
    return check


def _kind(*types) -> Callable[[Any], Any]:
    def check(value):
        if not isinstance(value, types) or isinstance(value, bool) and bool not in types:
            raise ValueError(f"expected {' or '.join(t.__name__ for t in types)}, got {value!r}")
        return value
    return check


def _globs(value):
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a glob or a list of globs")
    return value


def _codes(value):
    from . import catalog

    items = value if isinstance(value, list) else [value]
    try:
        return catalog.resolve([str(v) for v in items])
    except ValueError as err:
        raise ValueError(str(err)) from None


def _rules(value):
    if not isinstance(value, dict):
        raise ValueError("expected a mapping of rule code or name to off, warning or error")
    out = {}
    for name, level in value.items():
        code = _codes(name)[0]
        if level is False:  # YAML 1.1 reads an unquoted `off` as false
            level = "off"
        if level not in ("off", "warning", "error"):
            raise ValueError(f"{name}: '{level}' is not one of off, warning, error")
        out[code] = level
    return out


def _per_file_ignores(value):
    if not isinstance(value, dict):
        raise ValueError("expected a mapping of glob to rule codes or names")
    return {str(glob): _codes(codes) for glob, codes in value.items()}


def _sql_transaction(value):
    if isinstance(value, str):
        return _choice(SQL_TRANSACTION)(value)
    if isinstance(value, dict):
        return {str(g): _choice(SQL_TRANSACTION)(v) for g, v in value.items()}
    raise ValueError("expected none, per_file, or a mapping of glob to one of them")


def _safe_calls(value):
    if not isinstance(value, list):
        raise ValueError("expected a list of {name: ..., rules: [...]}")
    out = []
    for item in value:
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or set(item) - {"name", "rules"}:
            raise ValueError(f"{item!r}: each safe call is {{name: ..., rules: [...]}}")
        out.append({"name": item["name"], "rules": _codes(item["rules"]) if "rules" in item else None})
    return out


def _keys(value):
    if not isinstance(value, dict):
        raise ValueError("expected a mapping of table to key column(s)")
    return {str(t): ([c] if isinstance(c, str) else list(c)) for t, c in value.items()}


def _duration(value):
    """`3s`, `500ms`, `2min` (or a number of seconds) -> the same text; it must be positive."""
    from .config import parse_duration

    return parse_duration(value)[1]


def _positive(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"expected a positive number, got {value!r}")
    return value


def _size(value):
    from .sources import parse_size

    return parse_size(value)


def _strings(value):
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of names")
    return value


KEYS: dict[str, Callable[[Any], Any]] = {
    "dialect": _choice(DIALECTS), "postgres_version": _kind(int), "mysql_version": lambda v: str(_kind(str, int, float)(v)),
    "mode": _choice(MODES), "include": _globs, "exclude": _globs, "embedded": _globs, "keys": _keys,
    "embedded_calls": _strings,
    "sql_transaction": _sql_transaction, "lint_downgrade": _kind(bool), "budget_seconds": _positive,
    "unsafe_ack_label": _kind(str), "safe_calls": _safe_calls, "small_tables": _strings,
    "assume_lock_timeout": _duration, "session_statement_timeout": _duration, "runner_config": _kind(str),
    "rules": _rules, "per_file_ignores": _per_file_ignores, "fail_on": _choice(FAIL_ON),
    "cache": _kind(bool, str), "max_file_size": _size,
}


def load(path: Optional[str] = None) -> Config:
    """The Config from a named or discovered file (defaults when there is none)."""
    config = Config()
    source = Path(path) if path else find_config()
    if source is None:
        return config
    if not source.is_file():
        raise UsageError(f"{source}: no such config file")
    data = _read(source)
    base = str(source.resolve().parent)
    for key, value in data.items():
        check = KEYS.get(key)
        if check is None:
            raise UsageError(f"{source}: unknown key '{key}' (known: {', '.join(sorted(KEYS))})")
        try:
            setattr(config, key, check(value))
        except ValueError as err:
            raise UsageError(f"{source}: {key}: {err}") from None
    config.base_dir = base
    if isinstance(config.runner_config, str) and not os.path.isabs(config.runner_config):
        config.runner_config = os.path.join(base, config.runner_config)
    if isinstance(config.cache, str) and not os.path.isabs(config.cache):
        config.cache = os.path.join(base, config.cache)
    return config
