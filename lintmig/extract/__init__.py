"""Front ends: one per host format, each turning a file into a `Migration`.

`extract_file` picks the front end by path and content, and never lets a front end's
failure escape: an unreadable or unparseable file is a `parse_error` operation (LM001).
"""
from __future__ import annotations

import codecs

from ..config import Config
from ..model import Migration, Operation, Span


# Text saved as UTF-16 or UTF-32 starts with a byte order mark (Windows PowerShell's `>`
# writes UTF-16: `manage.py sqlmigrate > 0006.sql`). UTF-32's marks begin with UTF-16's.
_WIDE = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
         (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


def decode(data: bytes) -> str:
    """The text of a migration file; ValueError when it is binary or not UTF-8 (or UTF-16
    or UTF-32 with a byte order mark)."""
    for mark, codec in _WIDE:
        if data.startswith(mark):
            try:
                return data.decode(codec.lower())  # the codec reads the mark and drops it
            except UnicodeDecodeError as err:
                raise ValueError(f"not {codec} text (byte {err.start}: {err.reason})") from None
    if b"\x00" in data[:8192]:
        raise ValueError("binary file (it contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValueError(f"not UTF-8 text (byte {err.start}: {err.reason})") from None


def unreadable(path: str, dialect: str, reason: str, line: int = 1) -> Migration:
    op = Operation("parse_error", None, Span(line, 1, line, 1), {"reason": reason}, anchor=line)
    return Migration(path=path, host="unknown", dialect=dialect, operations=[op])


def extract_text(path: str, text: str, config: Config) -> Migration:
    from .registry import front_end_for, language

    kind = language(path)
    if kind == "python":
        return _extract_python(path, text, config)
    if kind == "embedded":
        from .embedded import EXTRA, available

        if not available():
            return unreadable(path, config.dialect, f"reading SQL in this code needs the embedded extra: {EXTRA}")
    front = front_end_for(path, text) if kind else None
    if front is None:  # discover hands over only files of a front end's language
        return unreadable(path, config.dialect, "not a file lintmig reads")
    return front.extract(path, text, config)


def _extract_python(path: str, text: str, config: Config) -> Migration:
    """An Alembic revision, a Django migration or a runner migration; any other Python file
    (a helper, an `__init__.py`) gives nothing to judge, unless it cannot be parsed."""
    from .pyreader import UnreadablePython, check_depth, parse_module
    from .registry import front_end_for

    empty = Migration(path=path, host="python", dialect=config.dialect)
    if not text.strip():
        return empty
    import libcst

    try:
        front = front_end_for(path, text)
        if front is not None:
            return front.extract(path, text, config)  # it parses through parse_python's depth check
        if not check_depth(text):
            parse_module(text)  # newer syntax than this Python's, or a real error
    except UnreadablePython as err:
        return unreadable(path, config.dialect, str(err), line=err.line)
    except libcst.ParserSyntaxError as err:
        return unreadable(path, config.dialect, f"Python syntax error: {err.message}", line=err.raw_line)
    return empty


def extract_file(path: str, data: bytes, config: Config) -> Migration:
    try:
        text = decode(data)
    except ValueError as err:
        return unreadable(path, config.dialect, str(err))
    try:
        return extract_text(path, text, config)
    except RecursionError:
        return unreadable(path, config.dialect, "too deeply nested to read")
    except Exception as err:  # a front end bug must not hide the other files' findings
        return unreadable(path, config.dialect, f"lintmig failed to read this file ({type(err).__name__}: {err}); please report it")
