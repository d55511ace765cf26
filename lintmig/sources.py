"""Reading a file a pull request controls, without letting it take the run down.

Only regular files are read; a symbolic link is followed only while its target stays
inside the folder the run was asked to read (the named folder, or the repository); a file
over the size limit is not read. Each refusal is a reason string that becomes LM001 for
that file, so nothing is skipped in silence and nothing blocks, floods memory or leaks a
file from outside the repository into the report.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from typing import Optional, Union

# Python and Go/TS/JS/Rust files become syntax trees of about 150 bytes per byte of source:
# they get a smaller share of the limit than SQL, which is read statement by statement.
CODE_SHARE = 8
CODE_SUFFIXES = (".py", ".go", ".ts", ".tsx", ".js", ".mjs", ".cjs", ".rs")


@dataclass(frozen=True)
class Source:
    """A file to lint, and the folder its symbolic links may not leave."""

    path: str
    root: str
    # Its bytes (or why they could not be read) when choosing it meant reading it already.
    data: Union[bytes, str, None] = field(default=None, compare=False, repr=False)


def printable(text: str) -> str:
    """Text from the repository as one line of plain text: control characters (a newline, an
    escape sequence in a hostile file or table name) are shown escaped."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def git_work_tree(folder: str) -> Optional[str]:
    """The git work tree holding `folder` (found by its `.git`, without asking git)."""
    here = folder
    while True:
        if os.path.exists(os.path.join(here, ".git")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def work_tree_root(path: str) -> str:
    """The git work tree holding the file `path`, else the file's own folder."""
    folder = os.path.dirname(os.path.abspath(path))
    return git_work_tree(folder) or folder


def inside(path: str, root: str, folders: Optional[dict[str, str]] = None) -> bool:
    """Whether `path`, with every symbolic link resolved, stays inside `root`."""
    return real_path_inside(path, root, folders) is not None


def real_path_inside(path: str, root: str, folders: Optional[dict[str, str]] = None) -> Optional[str]:
    """`path` with every symbolic link resolved, or None when that leaves `root`. `folders`
    memoises resolved folders over one run (most files share a few)."""
    folders = {} if folders is None else folders

    def resolved(folder: str) -> str:
        if folder not in folders:
            folders[folder] = os.path.realpath(folder)
        return folders[folder]

    head, name = os.path.split(os.path.abspath(path))
    real = os.path.realpath(path) if os.path.islink(path) else os.path.join(resolved(head), name)
    top = resolved(os.path.abspath(root))
    return real if real == top or real.startswith(top.rstrip(os.sep) + os.sep) else None


def limit_for(path: str, max_bytes: int) -> int:
    return max_bytes // CODE_SHARE if path.endswith(CODE_SUFFIXES) else max_bytes


def read_source(path: str, root: str, max_bytes: int, folders: Optional[dict[str, str]] = None) -> Union[bytes, str]:
    """The file's bytes, or why it is not read."""
    limit = limit_for(path, max_bytes)
    real = real_path_inside(path, root, folders)
    if real is None:
        return f"not read: a symbolic link that leads outside {root}"
    try:
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        return f"cannot read: {err.strerror or err}"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return "not read: not a regular file"
        if info.st_size > limit:
            return _too_big(info.st_size, limit)
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # it grew while being read
            return _too_big(size, limit)
        return b"".join(chunks)
    except OSError as err:
        return f"cannot read: {err.strerror or err}"
    finally:
        os.close(fd)


def _too_big(size: int, limit: int) -> str:
    return (f"not read: {size:,} bytes is over the limit of {limit:,} for this kind of file "
            "(raise max_file_size in the config, or --max-file-size, if it is a real migration)")


def parse_size(value) -> int:
    """`32MB`, `500KB`, `2MiB` or a number of bytes -> bytes; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"expected a size such as 32MB, got {value!r}")
    if isinstance(value, int):
        number, unit = value, ""
    else:
        text = str(value).strip().lower().replace(" ", "")
        digits = len(text) - len(text.lstrip("0123456789"))
        number, unit = (int(text[:digits]) if digits else -1), text[digits:]
    units = {"": 1, "b": 1, "kb": 1000, "kib": 1024, "mb": 1000**2, "mib": 1024**2, "gb": 1000**3, "gib": 1024**3}
    if unit not in units or number <= 0:
        raise ValueError(f"expected a positive size such as 32MB or 500KB, got {value!r}")
    return number * units[unit]
