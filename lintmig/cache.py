"""Per-file extraction results, cached by content.

One shard per folder of migrations, holding for each file name the key of its content
(its bytes, plus what else its extraction read) and what was extracted. A shard never
outgrows its folder, and a run loads only the shards of the folders it reads. The key
also covers the lintmig version and the settings extraction depends on; findings are
never cached (they depend on the whole change). Shards live in `.lintmig_cache/` of the
working directory (a `.gitignore` inside keeps it out of git) or in the folder the
`cache` setting names. Any cache failure just means a cold run.
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
        self.prefix = f"extract-{__version__}-{extraction_key}-"
        self.shards: dict[str, dict[str, tuple[str, Migration]]] = {}
        self.dirty: set[str] = set()
        self.handed_out: set[tuple[str, str]] = set()

    @staticmethod
    def key(data: bytes) -> str:
        return hashlib.blake2b(data, digest_size=16).hexdigest()

    def _shard(self, path: str) -> tuple[str, dict[str, tuple[str, Migration]]]:
        directory = os.path.dirname(os.path.abspath(path))
        if directory not in self.shards:
            try:
                with open(self._file(directory), "rb") as fh:
                    self.shards[directory] = pickle.load(fh)
            except Exception:
                self.shards[directory] = {}
        return directory, self.shards[directory]

    def _file(self, directory: str) -> Path:
        name = hashlib.blake2b(directory.encode(), digest_size=8).hexdigest()
        return self.folder / f"{self.prefix}{name}.pickle"

    def get(self, path: str, key: str) -> Optional[Migration]:
        _, shard = self._shard(path)
        entry = shard.get(os.path.basename(path))
        if entry is None or entry[0] != key:
            return None
        if (path, key) in self.handed_out:  # the same file named twice: each needs its own operations
            return pickle.loads(pickle.dumps(entry[1], protocol=pickle.HIGHEST_PROTOCOL))
        self.handed_out.add((path, key))
        return entry[1]

    def put(self, path: str, key: str, migration: Migration) -> None:
        directory, shard = self._shard(path)
        shard[os.path.basename(path)] = (key, migration)
        self.dirty.add(directory)

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# created by lintmig\n*\n")
            for directory in self.dirty:
                fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
                with os.fdopen(fd, "wb") as fh:
                    pickle.dump(self.shards[directory], fh, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, self._file(directory))
        except OSError:
            pass


def open_cache(setting, extraction_key: str) -> Optional[ExtractCache]:
    if setting is False or setting is None:
        return None
    folder = Path(setting) if isinstance(setting, (str, os.PathLike)) else Path.cwd() / ".lintmig_cache"
    return ExtractCache(folder, extraction_key)
