"""Which files a run reads.

Paths named on the command line are always read: a named file whatever its name, a
named folder every recognisable migration under it. (Diff mode, through git, is a later
issue.)
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from .config import Config, UsageError

_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".lintmig_cache"}
_DIGITS = re.compile(r"(\d+)")


def natural_key(path: str) -> tuple:
    """Order migration files as their tools do: 2_x before 10_x."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in _DIGITS.split(path))


def is_down_file(path: str) -> bool:
    return path.endswith((".down.sql", "_down.sql"))


EMBEDDED_SUFFIXES = (".go", ".ts", ".tsx", ".js", ".mjs", ".cjs", ".rs")


def embedded_matcher(config: Config):
    """path -> whether an `embedded` glob (relative to the config file) matches it."""
    return lambda path: config.matches(config.embedded, path)


def recognised(path: str, config: Config) -> bool:
    """A file under a named folder counts when its front end exists and it is not a down file."""
    if path.endswith(".sql"):
        return config.lint_downgrade or not is_down_file(path)
    if path.endswith(".py") and not os.path.basename(path).startswith("__"):
        from .extract.alembic import looks_like_alembic
        from .extract.django import looks_like_django
        from .extract.runner import looks_like_runner

        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                head = fh.read(65536)
            return looks_like_alembic(head) or looks_like_django(head) or looks_like_runner(head)
        except OSError:
            return False
    return False


def paths_to_files(paths: list[str], config: Config) -> list[str]:
    files: list[str] = []
    embedded = embedded_matcher(config)
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
                for name in names:
                    full = os.path.join(root, name)
                    if recognised(full, config) or (full.endswith(EMBEDDED_SUFFIXES) and embedded(full)):
                        files.append(full)
        elif path.exists():
            files.append(raw)
        else:
            raise UsageError(f"{raw}: no such file or directory")
    seen: set[str] = set()
    unique = [f for f in files if not (f in seen or seen.add(f)) and not config.matches(config.exclude, f)]
    return sorted(unique, key=natural_key)


def changed_files(config: Config, base, staged: bool, named_paths: list[str]) -> list[tuple[str, object]]:
    """Diff mode: (path, FileChange) of each migration the change adds or modifies, chosen
    by `include` (or the named paths) and `embedded`, less `exclude`, in migration order."""
    from .gitdiff import DEFAULT_INCLUDE, changes, repo_root

    root = repo_root()
    named = [os.path.abspath(p) for p in named_paths]
    picked = []
    for change in changes(base, staged, named_paths):
        path = change.path
        if named and not any(path == n or path.startswith(n.rstrip(os.sep) + os.sep) for n in named):
            continue
        embedded = config.matches(config.embedded, path, root)
        if not (named or embedded or config.matches(config.include or DEFAULT_INCLUDE, path, root)):
            continue
        if config.matches(config.exclude, path, root):
            continue
        if recognised(path, config) or embedded or path in named:
            picked.append((os.path.relpath(path), change))
    return sorted(picked, key=lambda item: natural_key(item[0]))
