"""Extraction of many files at once: read them, serve what the cache holds, parse the rest
on every core, and store what was parsed.

The engine hands over the files of a run; each comes back as a Migration, or as LM001 when
it could not be read or its parser crashed (one file never takes the run down).
"""
from __future__ import annotations

import os
from typing import Optional, Union

from ..cache import ExtractCache, open_cache
from ..collector import keep_to_the_end
from ..config import Config
from ..model import Migration
from ..order import natural_key
from ..sources import Source, read_source
from . import extract_file, unreadable

# Below this many files to parse, a process pool costs more than it saves.
POOL_MIN_FILES = 24


class ContextKeys:
    """What else a file's extraction reads: a Django migration replays the earlier
    migrations of its folder, so their names and contents join its cache key."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.folders: dict[str, list[tuple[tuple, bytes]]] = {}

    def __call__(self, path: str) -> bytes:
        folder, name = os.path.split(path)
        if not name.endswith(".py") or os.path.basename(folder) != "migrations":
            return b""
        if folder not in self.folders:
            import hashlib

            entries = []
            for entry in os.scandir(folder or "."):
                if entry.name.endswith(".py"):
                    data = read_source(entry.path, folder or ".", self.max_bytes)
                    digest = hashlib.blake2b(data if isinstance(data, bytes) else b"?", digest_size=16).digest()
                    entries.append((natural_key(entry.name), entry.name.encode("utf-8", "surrogateescape") + digest))
            self.folders[folder] = sorted(entries)
        mine = natural_key(name)
        return b"\0".join(item for key, item in self.folders[folder] if key < mine)


def _extract_job(job: tuple[str, bytes, Config]) -> Migration:
    path, data, config = job
    return extract_file(path, data, config)


def read_all(files: list[Source], config: Config) -> list[tuple[str, Union[bytes, str]]]:
    """(path, bytes or why it was not read) of each file, in order."""
    folders: dict[str, str] = {}
    return [(src.path, src.data if src.data is not None else read_source(src.path, src.root, config.max_file_size, folders))
            for src in files]


def extract_all(files: list[Source], config: Config, datas: Optional[list[tuple[str, Union[bytes, str]]]] = None,
                context: Optional[ContextKeys] = None, progress=None, each=None) -> list[Migration]:
    """The files' migrations, in order. `each(migration)`, when given, gets them in that
    order as soon as each and all before it are read (the checks of a path run start while
    the workers still parse)."""
    cache: Optional[ExtractCache] = open_cache(config.cache, config.extraction_key())
    context = context or ContextKeys(config.max_file_size)
    results = _InOrder([src.path for src in files], each)
    todo: list[tuple[str, bytes, str]] = []
    for path, data in datas if datas is not None else read_all(files, config):
        if isinstance(data, str):
            results.put(path, unreadable(path, config.dialect, data))
            continue
        # The dialect too: the same SQL in `x.mysql.up.sql` and `x.postgres.up.sql` reads apart.
        key = cache.key(data + b"\0" + context(path) + b"\0" + config.dialect_for(path).encode()) if cache else ""
        hit = cache.get(path, key) if cache else None
        if hit is not None:
            results.put(path, hit)
        else:
            todo.append((path, data, key))
    arriving = iter(todo)
    parsed = _extract_many(todo, config, progress, lambda mig: results.put(next(arriving)[0], mig))
    for (_, _, key), migration in zip(todo, parsed):
        if cache and migration.host != "unknown":
            cache.put(key, migration)
    if cache:
        cache.save()
    keep_to_the_end()  # the migrations
    return [results.done[src.path] for src in files]


class _InOrder:
    """Migrations by path, handed on in the files' order as soon as the next one is in."""

    def __init__(self, paths: list[str], each):
        self.paths, self.each, self.next = paths, each, 0
        self.done: dict[str, Migration] = {}

    def put(self, path: str, migration: Migration) -> None:
        self.done[path] = migration
        if self.each is None:
            return
        while self.next < len(self.paths) and self.paths[self.next] in self.done:
            self.each(self.done[self.paths[self.next]])
            self.next += 1


def _extract_many(todo: list[tuple[str, bytes, str]], config: Config, progress, each) -> list[Migration]:
    jobs = [(path, data, config) for path, data, _ in todo]
    if progress is not None:
        progress.start(len(jobs))
    try:
        return _extract_jobs(jobs, progress.advance if progress is not None else None, each)
    finally:
        if progress is not None:
            progress.finish()


def _extract_jobs(jobs: list, advance, each) -> list[Migration]:
    if len(jobs) >= POOL_MIN_FILES:
        _import_readers(jobs)
        keep_to_the_end()  # their modules: not copied into the workers by the collector's writes

        from .parallel import pool_map

        results = pool_map(_extract_job, jobs, chunksize=max(1, len(jobs) // 32), on_crash=_crashed,
                           progress=advance, each=each)
        if results is not None:
            return results
    out = []
    for job in jobs:
        out.append(_extract_job(job))
        each(out[-1])
        if advance is not None:
            advance()
    return out


def _import_readers(jobs: list) -> None:
    """The parsers and front ends the jobs need, imported once here and inherited by the
    forked workers: each worker importing them for its first file cost it 0.26 s for the
    Python ones (libcst among them), and the checks import libcst here anyway for env.py."""
    import sqlglot  # noqa: F401

    from . import sql, sql_statement  # noqa: F401

    if any(path.endswith(".py") for path, _, _ in jobs):
        from . import alembic, django, runner  # noqa: F401


def _crashed(job: tuple[str, bytes, Config], why: str) -> Migration:
    path, _, config = job
    return unreadable(path, config.dialect, f"lintmig's parser crashed on this file ({why}); the other files were still read")
