"""Configuration changed by the change under review (LM006).

In diff mode the configuration file comes from the change itself, so a pull request could
switch the gate off (`rules: {LM101: off}`, an `exclude` over the migrations, a larger
`assume_lock_timeout`, a new safe call). Every setting that weakens the gate is taken from
the base's configuration instead, and each weakening is an LM006 finding. The unsafe-ack
label (named by the base's configuration) approves the change: then the new settings apply.
"""
from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any, Callable, Optional

from .config import Config, UsageError, parse_duration
from .model import Finding, Span

_LEVEL = {"off": 0, "warning": 1, "error": 2}


def _rules(head: Config, base: Config, defaults: dict[str, str]) -> list[tuple[str, str]]:
    out = []
    for code in sorted(set(head.rules) | set(base.rules)):
        was, now = base.rules.get(code, defaults.get(code, "error")), head.rules.get(code, defaults.get(code, "error"))
        if _LEVEL[now] < _LEVEL[was]:
            out.append((f"rules.{code}", f"rules: {code} from {was} to {now}"))
    return out


def _added(key: str) -> Callable[[Config, Config], list[tuple[str, str]]]:
    def compare(head: Config, base: Config) -> list[tuple[str, str]]:
        new = [item for item in getattr(head, key) if item not in getattr(base, key)]
        return [(key, f"{key} adds {_show(item)}") for item in new]
    return compare


def _mapping_added(key: str) -> Callable[[Config, Config], list[tuple[str, str]]]:
    def compare(head: Config, base: Config) -> list[tuple[str, str]]:
        was, now = getattr(base, key), getattr(head, key)
        return [(f"{key}.{k}", f"{key} adds {k}: {_show(v)}") for k, v in now.items()
                if k not in was or (isinstance(v, list) and set(v) - set(was[k])) or (not isinstance(v, list) and v != was[k])]
    return compare


def _narrowed(key: str, default: list[str]) -> Callable[[Config, Config], list[tuple[str, str]]]:
    def compare(head: Config, base: Config) -> list[tuple[str, str]]:
        was, now = getattr(base, key) or default, getattr(head, key) or default
        return [(key, f"{key} no longer covers {_show(glob)}") for glob in was if glob not in now]
    return compare


def _seconds(value: Optional[str]) -> float:
    return 0.0 if value is None else parse_duration(value)[0]


def _raised(key: str) -> Callable[[Config, Config], list[tuple[str, str]]]:
    def compare(head: Config, base: Config) -> list[tuple[str, str]]:
        was, now = getattr(base, key), getattr(head, key)
        if now is not None and (was is None or _seconds(now) > _seconds(was)):
            return [(key, f"{key} from {was or 'unset'} to {now}")]
        return []
    return compare


def _changed(key: str, worse: Callable[[Any, Any], bool]) -> Callable[[Config, Config], list[tuple[str, str]]]:
    def compare(head: Config, base: Config) -> list[tuple[str, str]]:
        was, now = getattr(base, key), getattr(head, key)
        return [(key, f"{key} from {_show(was)} to {_show(now)}")] if was != now and worse(was, now) else []
    return compare


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _version(value: Any) -> tuple:
    return tuple(int(p) for p in str(value).split(".") if p.isdigit())


def _comparisons() -> dict[str, Callable[[Config, Config], list[tuple[str, str]]]]:
    from .gitdiff import DEFAULT_INCLUDE

    always = lambda was, now: True  # noqa: E731
    return {
        "exclude": _added("exclude"), "safe_calls": _added("safe_calls"), "small_tables": _added("small_tables"),
        "per_file_ignores": _mapping_added("per_file_ignores"), "keys": _mapping_added("keys"),
        "include": _narrowed("include", DEFAULT_INCLUDE), "embedded": _narrowed("embedded", []),
        "assume_lock_timeout": _raised("assume_lock_timeout"),
        "session_statement_timeout": _changed("session_statement_timeout", lambda was, now: was is not None),
        "budget_seconds": _changed("budget_seconds", lambda was, now: now > was),
        "mode": _changed("mode", lambda was, now: was == "strict"),
        "lint_downgrade": _changed("lint_downgrade", lambda was, now: was and not now),
        "fail_on": _changed("fail_on", lambda was, now: was == "warning"),
        "postgres_version": _changed("postgres_version", lambda was, now: now > was),
        "mysql_version": _changed("mysql_version", lambda was, now: _version(now) > _version(was)),
        "dialect": _changed("dialect", always), "dialects": _changed("dialects", always),
        "runner_config": _changed("runner_config", always),
        "unsafe_ack_label": _changed("unsafe_ack_label", always),
        "small_table_rows": _changed("small_table_rows", lambda was, now: now > was),
        "claim_margin": _changed("claim_margin", lambda was, now: now > was),
        "duration_margin": _changed("duration_margin", lambda was, now: now > was),
        "stats_max_age": _changed("stats_max_age", lambda was, now: _seconds(now) > _seconds(was)),
        "throughput": _changed("throughput", _faster),
    }


def _faster(was: dict, now: dict) -> bool:
    """Higher throughput means shorter estimates: fewer claimed durations questioned."""
    from .sizes import THROUGHPUT

    return any(now.get(k, THROUGHPUT[k]) > was.get(k, THROUGHPUT[k]) for k in THROUGHPUT)


def weakenings(head: Config, base: Config) -> list[tuple[str, str]]:
    """(setting, what changed) for every way `head` weakens the gate `base` sets."""
    from . import catalog

    defaults = {code: rule.severity for code, rule in catalog.load().items()}
    found = _rules(head, base, defaults)
    for compare in _comparisons().values():
        found += compare(head, base)
    return found


def merged(head: Config, base: Config, weakened: list[tuple[str, str]]) -> Config:
    """The head's settings, with the base's wherever the head weakens them."""
    from .gitdiff import DEFAULT_INCLUDE

    out = copy.deepcopy(head)
    for key in {setting.split(".")[0] for setting, _ in weakened}:
        if key == "rules":
            out.rules = {**head.rules}
            for setting, _ in weakened:
                if setting.startswith("rules."):
                    code = setting.split(".", 1)[1]
                    if code in base.rules:
                        out.rules[code] = base.rules[code]
                    else:
                        out.rules.pop(code, None)
        elif key in ("include", "embedded"):
            default = DEFAULT_INCLUDE if key == "include" else []
            now, was = getattr(head, key) or default, getattr(base, key) or default
            setattr(out, key, now + [g for g in was if g not in now])
        else:
            setattr(out, key, copy.deepcopy(getattr(base, key)))
    return out


def base_config(head: Config, named: Optional[str], commit: str, root: str) -> tuple[Config, Optional[str]]:
    """The configuration at the base commit, found as lintmig finds it in the work tree (or
    at the path --config names), and the file it came from (relative to the repository)."""
    from . import configfile
    from .gitdiff import file_at

    if named:
        full = os.path.realpath(named)
        if not full.startswith(os.path.realpath(root) + os.sep):
            return head, None  # outside the repository: not part of the change
        candidates = [os.path.relpath(full, os.path.realpath(root))]
    else:
        here = os.path.relpath(os.path.realpath(os.getcwd()), os.path.realpath(root))
        folders = []
        while True:
            folders.append("" if here == "." else here)
            if here in (".", ""):
                break
            here = os.path.dirname(here) or "."
        candidates = [os.path.join(f, name) for f in folders for name in (".lintmig.yaml", "pyproject.toml")]
    for rel in candidates:
        raw = file_at(commit, rel)
        if raw is None:
            continue
        path = Path(rel)
        try:
            if configfile.is_pyproject(path) and not named and configfile.section(path, raw) is None:
                continue
            return configfile.from_bytes(path, raw, os.path.join(root, os.path.dirname(rel))), rel
        except UsageError:
            return Config(), rel  # a base configuration that does not load: the defaults
    return Config(), None


def guard(head: Config, named: Optional[str], explicit_base: Optional[str], staged: bool,
          pr) -> tuple[Config, list[Finding]]:
    """The settings that apply to a diff-mode run, and an LM006 finding per weakening."""
    from .gitdiff import base_commit, repo_root
    from .suppress import config_change_approval

    root = repo_root()
    base, base_file = base_config(head, named, base_commit(explicit_base, staged), root)
    weakened = weakenings(head, base)
    if not weakened or base.rules.get("LM006") == "off":
        return head, []
    approval = config_change_approval(base.unsafe_ack_label, pr)
    source = head.source or base_file or ".lintmig.yaml"
    lines = _lines(head.source)
    shown = os.path.relpath(os.path.join(root, source)) if not os.path.isabs(source) else os.path.relpath(source)
    findings = [_weakening(base, shown, lines.get(setting) or lines.get(setting.split(".")[0]) or 1, what, approval,
                           "the base's setting applies") for setting, what in weakened]
    return (head if approval else merged(head, base, weakened)), findings


def _weakening(config: Config, path: str, line: int, what: str, approval: Optional[str], standing: str) -> Finding:
    """The LM006 finding for one weakening: suppressed when the label approves it, else
    saying what applies meanwhile (`standing`)."""
    from . import catalog
    from .model import Suppression

    rule = catalog.load()["LM006"]
    message = f"the change weakens the gate: {what}; " + (
        "the label approves it" if approval else f"{standing} until it is approved")
    return Finding(code=rule.code, name=rule.name, severity=config.rules.get("LM006", rule.severity), path=path,
                   span=Span(line, 1, line, 1), message=message, help=rule.use_instead, anchor=line,
                   suppressed=Suppression("unsafe-ack", approval) if approval else None)


def guard_stats(config: Config, snapshot, explicit_base: Optional[str], staged: bool, pr):
    """The stats snapshot a diff-mode run trusts, and an LM006 finding per edit of it that
    would weaken the gate (a table shrunk, or added below small_table_rows): until the
    unsafe-ack label approves them, the base's figures stand for those tables."""
    from . import stats
    from .gitdiff import base_commit, file_at, repo_root
    from .suppress import config_change_approval

    root = os.path.realpath(repo_root())
    full = os.path.realpath(snapshot.source)
    if not full.startswith(root + os.sep):
        return snapshot, []  # outside the repository: not part of the change
    rel = os.path.relpath(full, root)
    raw = file_at(base_commit(explicit_base, staged), rel)
    try:
        base = stats.parse(raw, rel) if raw is not None else None
    except UsageError:
        base = None  # the base's snapshot does not load: the change's tables count as added
    trusted, weakened = stats.trusted(snapshot, base, config.small_table_rows)
    if not weakened or config.rules.get("LM006") == "off":
        return snapshot, []
    approval = config_change_approval(config.unsafe_ack_label, pr)
    findings = [_weakening(config, os.path.relpath(full), 1, what, approval, "the base's figures apply")
                for what in weakened]
    return (snapshot if approval else trusted), findings


def _lines(source: Optional[str]) -> dict[str, int]:
    if not source or not os.path.isfile(source):
        return {}
    from . import configfile

    try:
        with open(source, "rb") as fh:
            return configfile.key_lines(Path(source), fh.read(1 << 20))
    except OSError:
        return {}
