"""Per-file extraction results, cached by content, in a place a pull request cannot write.

The cache lives in the user's cache directory (`$XDG_CACHE_HOME/lintmig`, else
`~/.cache/lintmig`), or in the folder `cache:` / `--cache-dir` names, never inside the
repository being linted: a folder there could be committed by the change under review.
Entries are JSON (data only: nothing in them can build objects or run code), one file per
entry, named by its key. An entry's key covers the file's bytes, whatever else its extraction
read, the settings extraction depends on and a fingerprint of lintmig's own code and
parsers, so an edited front end never serves stale results. A damaged, foreign or
unreadable entry is a miss; any cache failure means a cold run, never an error.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Optional

from .config import UsageError
from .model import TXN_KINDS, Comment, Migration, Operation, Span, Txn
from .sources import git_work_tree

FORMAT = 2
_PARSERS = ("sqlglot", "libcst", "tree_sitter")  # module names, and the prefixes of their dist-info folders


def default_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "lintmig"


def code_fingerprint() -> str:
    """lintmig's own source files and the installed parsers' versions: editing a front end,
    upgrading lintmig or a parser starts a new cache. Cheap (file sizes and times, and the
    names of the parsers' dist-info folders), since a warm run pays it every time."""
    import importlib.util

    from . import __version__

    digest = hashlib.blake2b(__version__.encode(), digest_size=16)
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        info = path.stat()
        digest.update(f"{path.relative_to(package)}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    sites = set()
    for module in _PARSERS:
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.origin:
            sites.add(os.path.dirname(os.path.dirname(spec.origin)))
    for site in sorted(sites):
        try:
            names = sorted(n for n in os.listdir(site) if n.endswith(".dist-info") and n.lower().startswith(_PARSERS))
        except OSError:
            names = []
        digest.update("\0".join(names).encode())
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
    line, column, end_line, end_column = value
    if type(line) is not int or type(column) is not int or type(end_line) is not int or type(end_column) is not int:
        raise ValueError("bad span")
    return Span(line, column, end_line, end_column)


def _txn(value: Any) -> Optional[Txn]:
    if value is None:
        return None
    kind, label = value
    if kind not in TXN_KINDS or not isinstance(label, str):
        raise ValueError("bad transaction")
    return Txn(kind, label)


def _optional_str(value: Any) -> Optional[str]:
    if value is not None and not isinstance(value, str):
        raise ValueError("bad string")
    return value


def migration_to_data(mig: Migration) -> dict:
    return {
        "host": mig.host, "dialect": mig.dialect, "header_end": mig.header_end, "revision": mig.revision,
        "depends_on": list(mig.depends_on),
        "fresh_tables": list(mig.fresh_tables),
        "comments": [[c.line, c.end_line, c.text] for c in mig.comments],
        "operations": [[op.kind, op.table, list(op.span), _encode(op.args), op.anchor,
                        list(op.txn) if op.txn else None,
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
        ops.append(Operation(kind, _optional_str(table), _span(span), args, anchor=anchor, txn=_txn(txn),
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
    fresh = data.get("fresh_tables", [])
    if not isinstance(fresh, list) or not all(isinstance(t, str) for t in fresh):
        raise ValueError("bad fresh tables")
    if not isinstance(data["host"], str) or not isinstance(data["dialect"], str) or type(data["header_end"]) is not int:
        raise ValueError("bad migration")
    return Migration(path=path, host=data["host"], dialect=data["dialect"], operations=ops, comments=comments,
                     header_end=data["header_end"], revision=_optional_str(data["revision"]),
                     depends_on=tuple(depends), fresh_tables=tuple(fresh))


class ExtractCache:
    """One JSON file per entry, named by its key: a run reads only the entries of the files
    it lints, and concurrent runs never rewrite each other's entries."""

    def __init__(self, folder: Path, extraction_key: str):
        self.folder = folder / f"extract-v{FORMAT}"
        self.salt = (code_fingerprint() + extraction_key).encode()
        self.pending: dict[str, dict] = {}

    def key(self, data: bytes) -> str:
        return hashlib.blake2b(self.salt + b"\0" + data, digest_size=20).hexdigest()

    def _file(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, path: str, key: str) -> Optional[Migration]:
        try:
            with open(self._file(key), encoding="utf-8") as fh:
                entry = json.load(fh, object_hook=_tuples)
            if not isinstance(entry, dict) or entry.get("key") != key:
                return None
            return migration_from_data(path, entry["migration"])
        except (OSError, ValueError, TypeError, KeyError, RecursionError):
            return None

    def put(self, key: str, migration: Migration) -> None:
        self.pending[key] = {"key": key, "migration": migration_to_data(migration)}

    def save(self) -> None:
        if not self.pending:
            return
        import tempfile

        try:
            for key, entry in self.pending.items():
                target = self._file(key)
                target.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(entry, fh, separators=(",", ":"))
                os.replace(tmp, target)
        except (OSError, ValueError, TypeError):
            pass
        self.pending.clear()


def open_cache(setting, extraction_key: str) -> Optional[ExtractCache]:
    folder = cache_folder(setting)
    return ExtractCache(folder, extraction_key) if folder is not None else None


def cache_folder(setting) -> Optional[Path]:
    """The folder a run's caches live in: None when caching is off. A folder inside the
    repository being linted is refused: the change under review could have written it."""
    if setting is False or setting is None:
        return None
    named = isinstance(setting, (str, os.PathLike))
    folder = Path(setting) if named else default_folder()
    resolved = Path(os.path.realpath(folder))
    found = git_work_tree(os.path.realpath(os.getcwd()))
    tree = Path(found) if found else None
    if tree is not None and (resolved == tree or tree in resolved.parents):
        if not named:  # $XDG_CACHE_HOME points into the checkout: run cold rather than trust it
            return None
        raise UsageError(f"cache: {folder} is inside the repository {tree}; a change could write it there. "
                         "Name a folder outside the checkout (the default is the user's cache directory)")
    return folder
