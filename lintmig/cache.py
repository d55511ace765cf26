"""Per-file extraction results, cached by content, in a place a pull request cannot write.

The cache lives in the user's cache directory (`$XDG_CACHE_HOME/lintmig`, else
`~/.cache/lintmig`), or in the folder `cache:` / `--cache-dir` names, never inside the
repository being linted: a folder there could be committed by the change under review.
Entries are JSON (data only: nothing in them can build objects or run code), one shard per
folder of migrations. An entry's key covers the file's bytes, whatever else its extraction
read, the settings extraction depends on and a fingerprint of lintmig's own code and
parsers, so an edited front end never serves stale results. A damaged, foreign or
unreadable entry is a miss; any cache failure means a cold run, never an error.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Optional

from .config import UsageError
from .model import Comment, Migration, Operation, Span

FORMAT = 2
_PARSERS = ("sqlglot", "sqlglotc", "libcst", "tree-sitter", "tree-sitter-go", "tree-sitter-typescript",
            "tree-sitter-javascript", "tree-sitter-rust")


def default_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "lintmig"


def code_fingerprint() -> str:
    """lintmig's own source and the parsers' versions: a change to either is a new cache."""
    import importlib.metadata

    digest = hashlib.blake2b(digest_size=16)
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0")
        digest.update(path.read_bytes())
    for name in _PARSERS:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{name}={version}\0".encode())
    return digest.hexdigest()


def _encode(value: Any) -> Any:
    """JSON has no tuples; operations' facts use them, so they are tagged."""
    if isinstance(value, tuple):
        return {"__t": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return {"__t": [_encode(v) for v in sorted(value, key=repr)]}
    return value


def _tuples(obj: dict) -> Any:
    return tuple(obj["__t"]) if len(obj) == 1 and "__t" in obj and isinstance(obj["__t"], list) else obj


def _span(value: Any) -> Span:
    if not (isinstance(value, list) and len(value) == 4 and all(type(v) is int for v in value)):
        raise ValueError("bad span")
    return Span(*value)


def _optional_str(value: Any) -> Optional[str]:
    if value is not None and not isinstance(value, str):
        raise ValueError("bad string")
    return value


def migration_to_data(mig: Migration) -> dict:
    return {
        "host": mig.host, "dialect": mig.dialect, "header_end": mig.header_end, "revision": mig.revision,
        "depends_on": list(mig.depends_on),
        "comments": [[c.line, c.end_line, c.text] for c in mig.comments],
        "operations": [[op.kind, op.table, list(op.span), _encode(op.args), op.anchor, op.txn,
                        op.deliberate_no_txn, op.in_loop, op.safe_call] for op in mig.operations],
    }


def migration_from_data(path: str, data: Any) -> Migration:
    """A Migration from its cached form; ValueError (or a TypeError) when it is not one."""
    if not isinstance(data, dict):
        raise ValueError("bad entry")
    ops = []
    for kind, table, span, args, anchor, txn, no_txn, in_loop, safe_call in data["operations"]:
        if not isinstance(kind, str) or not isinstance(args, dict) or type(anchor) is not int:
            raise ValueError("bad operation")
        ops.append(Operation(kind, _optional_str(table), _span(span), args, anchor=anchor, txn=_optional_str(txn),
                             deliberate_no_txn=no_txn is True, in_loop=in_loop is True,
                             safe_call=_optional_str(safe_call)))
    comments = []
    for line, end_line, text in data["comments"]:
        if type(line) is not int or type(end_line) is not int or not isinstance(text, str):
            raise ValueError("bad comment")
        comments.append(Comment(line, end_line, text))
    depends = data["depends_on"]
    if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
        raise ValueError("bad dependencies")
    if not isinstance(data["host"], str) or not isinstance(data["dialect"], str) or type(data["header_end"]) is not int:
        raise ValueError("bad migration")
    return Migration(path=path, host=data["host"], dialect=data["dialect"], operations=ops, comments=comments,
                     header_end=data["header_end"], revision=_optional_str(data["revision"]),
                     depends_on=tuple(depends))


class ExtractCache:
    def __init__(self, folder: Path, extraction_key: str):
        self.folder = folder
        self.prefix = f"extract-v{FORMAT}-{extraction_key}-"
        self.salt = (code_fingerprint() + extraction_key).encode()
        self.shards: dict[str, dict[str, Any]] = {}
        self.dirty: set[str] = set()

    def key(self, data: bytes) -> str:
        return hashlib.blake2b(self.salt + b"\0" + data, digest_size=16).hexdigest()

    def _shard(self, path: str) -> tuple[str, dict[str, Any]]:
        directory = os.path.dirname(os.path.abspath(path))
        if directory not in self.shards:
            shard: Any = {}
            try:
                with open(self._file(directory), encoding="utf-8") as fh:
                    shard = json.load(fh, object_hook=_tuples)
            except (OSError, ValueError, RecursionError):
                pass
            self.shards[directory] = shard if isinstance(shard, dict) else {}
        return directory, self.shards[directory]

    def _file(self, directory: str) -> Path:
        name = hashlib.blake2b(directory.encode("utf-8", "surrogateescape"), digest_size=8).hexdigest()
        return self.folder / f"{self.prefix}{name}.json"

    def get(self, path: str, key: str) -> Optional[Migration]:
        _, shard = self._shard(path)
        entry = shard.get(os.path.basename(path))
        if not isinstance(entry, list) or len(entry) != 2 or entry[0] != key:
            return None
        try:
            return migration_from_data(path, entry[1])
        except (ValueError, TypeError, KeyError):
            return None

    def put(self, path: str, key: str, migration: Migration) -> None:
        directory, shard = self._shard(path)
        shard[os.path.basename(path)] = [key, migration_to_data(migration)]
        self.dirty.add(directory)

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for directory in self.dirty:
                fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(self.shards[directory], fh, separators=(",", ":"), default=_encode)
                os.replace(tmp, self._file(directory))
        except (OSError, ValueError, TypeError):
            pass


def work_tree_of(path: Path) -> Optional[Path]:
    """The git work tree holding `path` (by its `.git`), without asking git."""
    for folder in (path, *path.parents):
        if (folder / ".git").exists():
            return folder
    return None


def open_cache(setting, extraction_key: str) -> Optional[ExtractCache]:
    """The cache a run uses: None when it is off. A folder inside the repository being
    linted is refused: the change under review could have written it."""
    if setting is False or setting is None:
        return None
    named = isinstance(setting, (str, os.PathLike))
    folder = Path(setting) if named else default_folder()
    resolved = Path(os.path.realpath(folder))
    tree = work_tree_of(Path(os.path.realpath(os.getcwd())))
    if tree is not None and (resolved == tree or tree in resolved.parents):
        if not named:  # $XDG_CACHE_HOME points into the checkout: run cold rather than trust it
            return None
        raise UsageError(f"cache: {folder} is inside the repository {tree}; a change could write it there. "
                         "Name a folder outside the checkout (the default is the user's cache directory)")
    return ExtractCache(folder, extraction_key)
