"""Which files a run reads.

A named file is read when it is in a language lintmig reads (SQL, Python, or Go/TS/JS/Rust
as embedded code); any other named file (pre-commit hands over whatever its pattern
matches) is skipped and counted, never an error. A named folder means every migration under
it. In diff mode, the files the change adds or modifies are chosen by the `include` and
`embedded` globs, less `exclude`. Down migrations are skipped (and counted) unless
downgrades are linted, and so are the versions of a migration written for a database lintmig
does not lint (dialects.py).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional

from .config import Config, UsageError
from .extract.registry import front_end_for, language
from .order import natural_key
from .sources import Source, inside, read_source, work_tree_root

_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".lintmig_cache"}
_SNIFF_BYTES = 65536


@dataclass
class Selection:
    files: list[Source] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # files lintmig was handed but does not read


def is_down_file(path: str) -> bool:
    """Files that undo a migration: `*.down.sql`, `*_down.sql`, diesel's `down.sql` beside an
    `up.sql`, Flyway's undo files `U<version>__*.sql`."""
    name = os.path.basename(path)
    if name.endswith((".down.sql", "_down.sql")):
        return True
    if name == "down.sql":
        return os.path.exists(os.path.join(os.path.dirname(path), "up.sql"))
    return name[:1] == "U" and name[1:2].isdigit() and "__" in name and name.endswith(".sql")


def _not_read(path: str, config: Config) -> bool:
    """A SQL file left out: a down migration, or the version of a migration for a database
    lintmig does not lint (its version for the configured database is read)."""
    from .dialects import NOT_LINTED

    return (is_down_file(path) and not config.lint_downgrade) or config.dialect_for(path) == NOT_LINTED


def _require_embedded(path: str) -> None:
    from .extract.embedded import EXTRA, available

    if not available():
        raise UsageError(f"{path}: reading SQL in Go/TS/JS/Rust code needs the embedded extra: {EXTRA}")


def _python_migration(path: str, root: str, config: Config, folders: dict[str, str]) -> Optional[Source]:
    """A Python file under a named folder counts when a Python front end recognises it (a
    file that cannot be read is kept, so that it is reported)."""
    if os.path.basename(path).startswith("__"):
        return None
    data = read_source(path, root, config.max_file_size, folders)
    if isinstance(data, bytes) and front_end_for(path, data[:_SNIFF_BYTES].decode("utf-8", "replace")) is None:
        return None
    return Source(path, root, data)


def _walk(folder: str, config: Config, out: Selection) -> None:
    """Every migration under a named folder; symbolic links are followed only inside it."""
    seen: set[str] = set()
    folders: dict[str, str] = {}
    embedded = lambda p: config.matches(config.embedded, p)  # noqa: E731
    for here, dirs, names in os.walk(folder, followlinks=True):
        real = os.path.realpath(here)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        kept = []
        for d in sorted(dirs):
            full = os.path.join(here, d)
            if d in _SKIP_DIRS or d.startswith("."):
                continue
            if not inside(full, folder):
                out.skipped.append(full)
                continue
            kept.append(d)
        dirs[:] = kept
        for name in sorted(names):
            full = os.path.join(here, name)
            kind = language(full)
            if kind == "sql":
                if _not_read(full, config):
                    out.skipped.append(full)
                else:
                    out.files.append(Source(full, folder))
            elif kind == "python":
                found = _python_migration(full, folder, config, folders)
                if found is not None:
                    out.files.append(found)
            elif kind == "embedded" and embedded(full):
                _require_embedded(full)
                out.files.append(Source(full, folder))


def _named_file(path: str, root: str, config: Config, out: Selection) -> bool:
    """A file handed over by name (or by the change): read, or skipped and counted."""
    kind = language(path)
    if kind is None or (kind == "sql" and _not_read(path, config)):
        out.skipped.append(path)
        return False
    if kind == "embedded":
        _require_embedded(path)
    out.files.append(Source(path, root))
    return True


def _finish(out: Selection, config: Config, base: Optional[str] = None) -> Selection:
    seen: set[str] = set()
    files = []
    for src in out.files:
        if src.path in seen:
            continue
        seen.add(src.path)
        if config.matches(config.exclude, src.path, base):
            continue
        files.append(src)
    out.files = sorted(files, key=lambda s: natural_key(s.path))
    return out


def paths_to_files(paths: list[str], config: Config) -> Selection:
    out = Selection()
    for raw in paths:
        if os.path.isdir(raw):
            _walk(raw, config, out)
        elif os.path.lexists(raw):
            _named_file(raw, work_tree_root(raw), config, out)
        else:
            raise UsageError(f"{raw}: no such file or directory")
    return _finish(out, config)


def changed_files(config: Config, base, staged: bool, named_paths: list[str]) -> tuple[Selection, dict]:
    """Diff mode: the migrations the change adds or modifies, chosen by `include` (or the
    named paths) and `embedded`, less `exclude`, in migration order; and each one's change."""
    from .gitdiff import DEFAULT_INCLUDE, changes, repo_root

    root = repo_root()
    named = [os.path.abspath(p) for p in named_paths]
    out, by_path = Selection(), {}
    for change in changes(base, staged, named_paths):
        path = change.path
        if named and not any(path == n or path.startswith(n.rstrip(os.sep) + os.sep) for n in named):
            continue
        embedded = config.matches(config.embedded, path, root)
        if not (named or embedded or config.matches(config.include or DEFAULT_INCLUDE, path, root)):
            continue
        if config.matches(config.exclude, path, root):
            continue
        rel = os.path.relpath(path)
        if language(path) == "embedded" and not (embedded or path in named):
            continue  # code beside the migrations, not configured as holding any
        if _named_file(rel, root, config, out):
            by_path[rel] = change
    return _finish(out, config, root), by_path
