"""Per-file extraction results, cached by content hash.

The key is the file's bytes, the lintmig version and the settings extraction depends on;
findings are never cached (they depend on the whole change). The cache lives in
`.lintmig_cache/` of the working directory (a `.gitignore` inside keeps it out of git)
or in the folder the `cache` setting names. Any cache failure just means a cold run.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Optional

from . import __version__
from .model import Migration


class ExtractCache:
    def __init__(self, folder: Path, extraction_key: str):
        self.folder = folder
        self.file = folder / f"extract-{__version__}-{extraction_key}.pickle"
        self.entries: dict[str, Migration] = {}
        self.used: dict[str, Migration] = {}
        self.dirty = False
        try:
            with open(self.file, "rb") as fh:
                self.entries = pickle.load(fh)
        except Exception:
            self.entries = {}

    @staticmethod
    def key(data: bytes) -> str:
        return hashlib.blake2b(data, digest_size=16).hexdigest()

    def get(self, key: str) -> Optional[Migration]:
        found = self.entries.get(key)
        if found is None:
            return None
        if key in self.used:  # two files with the same bytes: each needs its own operations
            return pickle.loads(pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL))
        self.used[key] = found
        return found

    def put(self, key: str, migration: Migration) -> None:
        self.used[key] = migration
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# created by lintmig\n*\n")
            # Keep what this run used plus older entries, newest last, bounded in size.
            merged = {**self.entries, **self.used}
            if len(merged) > 50000:
                merged = dict(list(merged.items())[-50000:])
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(merged, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.file)
        except OSError:
            pass


def open_cache(setting, extraction_key: str) -> Optional[ExtractCache]:
    if setting is False or setting is None:
        return None
    folder = Path(setting) if isinstance(setting, (str, os.PathLike)) else Path.cwd() / ".lintmig_cache"
    return ExtractCache(folder, extraction_key)
