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
        if pyproject.is_file() and section(pyproject, _read_bytes(pyproject)) is not None:
            return pyproject
        if (folder / ".git").exists():
            return None
    return None


_MAX_BYTES = 1 << 20


def _read_bytes(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            raw = fh.read(_MAX_BYTES + 1)
    except OSError as err:
        raise UsageError(f"{path}: cannot read: {err.strerror}") from None
    if len(raw) > _MAX_BYTES:
        raise UsageError(f"{path}: a config file of over 1 MiB is not read")
    return raw


def is_pyproject(path: Path) -> bool:
    return path.name == "pyproject.toml" or path.suffix == ".toml"


def section(path: Path, raw: bytes) -> Optional[dict]:
    """`[tool.lintmig]` of a pyproject.toml (None when it has none)."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise UsageError(f"{path}:{_line_of(raw, err.start)}: not UTF-8 text (byte {err.start}: {err.reason})") from None
    except (ValueError, RecursionError) as err:
        raise UsageError(f"{path}: cannot read TOML: {err}") from None
    section = data.get("tool", {}).get("lintmig")
    if section is not None and not isinstance(section, dict):
        raise UsageError(f"{path}: [tool.lintmig] must be a table")
    return section


def _line_of(raw: bytes, offset: int) -> int:
    return raw[:offset].count(b"\n") + 1


def parse(path: Path, raw: bytes) -> dict:
    """The settings a config file's bytes hold."""
    if is_pyproject(path):
        return section(path, raw) or {}
    import yaml

    try:
        data = yaml.safe_load(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as err:
        raise UsageError(f"{path}:{_line_of(raw, err.start)}: not UTF-8 text (byte {err.start}: {err.reason})") from None
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


def key_lines(path: Path, raw: bytes) -> dict[str, int]:
    """Line of each setting (`rules`, and `rules.LM101` one level down), for messages."""
    lines: dict[str, int] = {}
    text = raw.decode("utf-8", "replace")
    if is_pyproject(path):
        section = None
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if stripped.startswith("["):
                name = stripped.strip("[]").strip()
                section = name[len("tool.lintmig"):].lstrip(".") if name.startswith("tool.lintmig") else None
                if section:
                    lines.setdefault(section, number)
            elif section is not None and "=" in stripped and not stripped.startswith("#"):
                key = stripped.split("=", 1)[0].strip().strip("\"'")
                lines.setdefault(f"{section}.{key}" if section else key, number)
        return lines
    import yaml

    try:
        root = yaml.compose(text)
    except (yaml.YAMLError, RecursionError):
        return lines
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            lines.setdefault(str(key.value), key.start_mark.line + 1)
            if isinstance(value, yaml.MappingNode):
                for sub, _ in value.value:
                    lines.setdefault(f"{key.value}.{sub.value}", sub.start_mark.line + 1)
    return lines


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
        if level is False:  # YAML 1.1 reads an unquoted `off` as false
            level = "off"
        if level not in ("off", "warning", "error"):
            raise ValueError(f"{name}: '{level}' is not one of off, warning, error")
        for code in _codes(name):  # a class name (compat) sets each of its rules
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


def _dialects(value):
    if not isinstance(value, dict):
        raise ValueError(f"expected a mapping of glob to one of {', '.join(DIALECTS)}")
    return {str(glob): _choice(DIALECTS)(dialect) for glob, dialect in value.items()}


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


def _row_count(value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"expected a whole number of rows, got {value!r}")
    return value


def _margin(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 1:
        raise ValueError(f"expected a number of at least 1, got {value!r}")
    return float(value)


def _throughput(value):
    from .sizes import THROUGHPUT

    if not isinstance(value, dict):
        raise ValueError(f"expected a mapping of {', '.join(THROUGHPUT)} to a rate")
    out = {}
    for name, rate in value.items():
        if name not in THROUGHPUT:
            raise ValueError(f"'{name}' is not one of {', '.join(THROUGHPUT)}")
        if name == "table_rewrite" and isinstance(rate, str):
            rate = _size(rate)  # bytes per second: 60MB
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0 or rate == float("inf"):
            raise ValueError(f"{name}: expected a positive rate, got {rate!r}")
        out[str(name)] = float(rate)
    return out


KEYS: dict[str, Callable[[Any], Any]] = {
    "dialect": _choice(DIALECTS), "dialects": _dialects, "postgres_version": _kind(int), "mysql_version": lambda v: str(_kind(str, int, float)(v)),
    "mode": _choice(MODES), "include": _globs, "exclude": _globs, "embedded": _globs, "keys": _keys,
    "embedded_calls": _strings,
    "sql_transaction": _sql_transaction, "lint_downgrade": _kind(bool), "budget_seconds": _positive,
    "unsafe_ack_label": _kind(str), "safe_calls": _safe_calls, "small_tables": _strings,
    "assume_lock_timeout": _duration, "session_statement_timeout": _duration, "runner_config": _kind(str),
    "rules": _rules, "per_file_ignores": _per_file_ignores, "fail_on": _choice(FAIL_ON),
    "cache": _kind(bool, str), "max_file_size": _size,
    "stats": _kind(str), "small_table_rows": _row_count, "stats_max_age": _duration, "claim_margin": _margin,
    "duration_margin": _margin, "throughput": _throughput,
}


def load(path: Optional[str] = None) -> Config:
    """The Config from a named or discovered file (defaults when there is none)."""
    source = Path(path) if path else find_config()
    if source is None:
        return Config()
    if not source.is_file():
        raise UsageError(f"{source}: no such config file")
    return from_bytes(source, _read_bytes(source), str(source.resolve().parent))


def from_bytes(source: Path, raw: bytes, base: str) -> Config:
    """The Config a file's bytes hold; globs and paths relative to `base`."""
    config = Config()
    data = parse(source, raw)
    for key, value in data.items():
        check = KEYS.get(key)
        if check is None:
            line = key_lines(source, raw).get(str(key))
            raise UsageError(f"{source}{f':{line}' if line else ''}: unknown key '{key}' "
                             f"(known: {', '.join(sorted(KEYS))})")
        try:
            setattr(config, key, check(value))
        except ValueError as err:
            line = key_lines(source, raw).get(str(key))
            raise UsageError(f"{source}{f':{line}' if line else ''}: {key}: {err}") from None
    config.base_dir = base
    config.source = str(source)
    if isinstance(config.runner_config, str) and not os.path.isabs(config.runner_config):
        config.runner_config = os.path.join(base, config.runner_config)
    if isinstance(config.cache, str) and not os.path.isabs(config.cache):
        config.cache = os.path.join(base, config.cache)
    if isinstance(config.stats, str) and not os.path.isabs(config.stats):
        config.stats = os.path.join(base, config.stats)
    return config
