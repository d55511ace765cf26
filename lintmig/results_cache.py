"""A path run's findings, cached whole, so that a repeated run is read, load and render.

Each migration of a path run is judged against the schema the migrations before it leave,
so its findings depend on every file of the run; the cache therefore keys one entry on
all of them: each file's path and bytes (and, for a Django migration, its folder's earlier
migrations), the Alembic env.py files the run reads, every setting, the pull request
description and labels, the working directory, lintmig's own code and rule catalog. Any
edit is a miss; the extraction cache then still spares the parsing of the files that did
not change. Entries are data-only JSON, checked field by field on load: a damaged or
foreign entry is a miss, never an error. It lives beside the extraction cache, outside the
repository being linted (see cache.py).
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Optional, Union

from .model import Finding, Span, Suppression, TableSize

FORMAT = 3
_NONE = -1  # an absent optional string in a stored finding
_INT = {int}


def run_key(datas: list[tuple[str, Union[bytes, str]]], config, pr, context: Callable[[str], bytes],
            snapshot=None) -> str:
    """Everything a path run's findings depend on, as one digest."""
    from . import catalog
    from .cache import code_fingerprint

    digest = hashlib.blake2b(digest_size=20)

    def add(*parts: Union[str, bytes]) -> None:
        for part in parts:
            raw = part if isinstance(part, bytes) else part.encode("utf-8", "surrogateescape")
            digest.update(len(raw).to_bytes(8, "little") + raw)

    add(f"results-v{FORMAT}", code_fingerprint(), catalog.source_fingerprint(), os.getcwd(),
        json.dumps(asdict(config), sort_keys=True, default=repr), "CI" if os.environ.get("CI") else "")
    add(json.dumps(None if pr is None else [pr.body, pr.labels, pr.truncated]))
    add(json.dumps(None if snapshot is None else snapshot.to_data(), sort_keys=True))
    folders: set[str] = set()
    for path, data in datas:
        add(path, data if isinstance(data, bytes) else "unreadable: " + data, context(path))
        if path.endswith(".py"):
            folders.add(os.path.dirname(os.path.abspath(path)))
    for env in _env_files(folders, config):
        try:
            with open(env, "rb") as fh:
                add(env, fh.read())
        except OSError as err:
            add(env, f"unreadable: {err}")
    return digest.hexdigest()


def _env_files(folders: set[str], config) -> list[str]:
    """The Alembic env.py files a run of these folders would read (see extract.alembic_env)."""
    if config.runner_config:
        return [config.runner_config]
    found = set()
    for folder in folders:
        for candidate in (os.path.join(os.path.dirname(folder), "env.py"), os.path.join(folder, "env.py")):
            if os.path.isfile(candidate):
                found.add(candidate)
    return sorted(found)


class ResultCache:
    """One JSON file per run, in one folder. Each edit of a run's files makes a new entry of
    up to a few megabytes, so only the KEEP most recently used are kept."""

    KEEP = 32

    def __init__(self, folder: Path):
        self.folder = folder / f"results-v{FORMAT}"

    def _file(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str) -> Optional[list[Finding]]:
        try:
            with open(self._file(key), encoding="utf-8") as fh:
                entry = json.load(fh)
            if not isinstance(entry, dict) or entry.get("key") != key:
                return None
            found = _findings_from_data(entry["strings"], entry["findings"])
        except (OSError, ValueError, TypeError, KeyError, IndexError, RecursionError):
            return None
        try:
            os.utime(self._file(key))  # recently used: kept when older entries go
        except OSError:
            pass
        return found

    def put(self, key: str, findings: list[Finding]) -> None:
        import tempfile

        strings, rows = _findings_to_data(findings)
        target = self._file(key)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"key": key, "strings": strings, "findings": rows}, fh, separators=(",", ":"))
            os.replace(tmp, target)
            self._prune()
        except (OSError, ValueError, TypeError):
            pass

    def _prune(self) -> None:
        entries = []
        for entry in os.scandir(self.folder):
            if entry.name.endswith(".json"):
                try:
                    entries.append((entry.stat().st_mtime_ns, entry.path))
                except OSError:
                    continue  # removed by a concurrent run
        for _, path in sorted(entries, reverse=True)[self.KEEP:]:
            try:
                os.unlink(path)
            except OSError:
                pass


def _findings_to_data(findings: list[Finding]) -> tuple[list[str], list[list[int]]]:
    """Rows of integers: the strings (paths, names, help texts repeat thousands of times)
    are stored once and named by their index."""
    index: dict[str, int] = {}

    def ref(text: Optional[str]) -> int:
        if text is None:
            return _NONE
        if text not in index:
            index[text] = len(index)
        return index[text]

    rows = []
    for f in findings:
        s = f.suppressed
        z = f.size
        rows.append([ref(f.code), ref(f.name), ref(f.severity), ref(f.path), *f.span, ref(f.message), ref(f.help),
                     ref(f.table), f.anchor, _NONE if f.op is None else f.op,
                     ref(s.by if s else None), ref(s.reason if s else None),
                     None if z is None else [ref(z.table), z.rows, z.bytes, ref(z.captured), z.seconds, ref(z.cost)]])
    return list(index), rows


def _findings_from_data(strings: Any, rows: Any) -> list[Finding]:
    """The findings of a stored entry; ValueError (or IndexError) when it is not one.
    Every field is checked, in one pass a warm run can afford for tens of thousands."""
    if not isinstance(strings, list) or not isinstance(rows, list) or not all(type(s) is str for s in strings):
        raise ValueError("bad entry")
    texts = strings + [None]  # index -1: an absent optional string
    out = []
    for row in rows:
        if type(row) is not list or len(row) != 16 or {*map(type, row[:15])} != _INT:
            raise ValueError("bad finding")
        code, name, severity, path, line, column, end_line, end_column, message, help_, table, anchor, op, by, why, \
            size = row
        if min(code, name, severity, path, message, help_) < 0 or min(table, op, by, why) < _NONE \
                or max(code, name, severity, path, message, help_, table, by, why) >= len(strings) \
                or (by < 0) != (why < 0):
            raise ValueError("bad string reference")
        out.append(Finding(texts[code], texts[name], texts[severity], texts[path], Span(line, column, end_line, end_column),
                           texts[message], texts[help_], texts[table], anchor,
                           None if by < 0 else Suppression(texts[by], texts[why]), None if op < 0 else op,
                           None if size is None else _size(size, texts, len(strings))))
    return out


def _size(data: Any, texts: list, count: int) -> TableSize:
    table, rows, size, captured, seconds, cost = data
    if not all(type(i) is int and 0 <= i < count for i in (table, captured)) or type(cost) is not int \
            or not -1 <= cost < count or any(v is not None and type(v) is not int for v in (rows, size)) \
            or (seconds is not None and type(seconds) not in (int, float)):
        raise ValueError("bad table size")
    return TableSize(texts[table], rows, size, texts[captured], seconds, texts[cost])
