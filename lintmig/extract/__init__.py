"""Front ends: one per host format, each turning a file into a `Migration`.

`extract_file` picks the front end by path and content, and never lets a front end's
failure escape: an unreadable or unparseable file is a `parse_error` operation (LM001).
"""
from __future__ import annotations

from ..config import Config
from ..model import Migration, Operation, Span


def decode(data: bytes) -> str:
    """The text of a migration file; ValueError when it is binary or not UTF-8."""
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
    if path.endswith(".py"):
        return _extract_python(path, text, config)
    from ..discover import EMBEDDED_SUFFIXES

    if path.endswith(EMBEDDED_SUFFIXES):
        from .embedded import EXTRA, available, extract_embedded

        if not available():
            return unreadable(path, config.dialect, f"reading SQL in this code needs the embedded extra: {EXTRA}")
        return extract_embedded(path, text, config.dialect, tuple(config.embedded_calls))
    from .sql import extract_sql_file

    return extract_sql_file(path, text, config.dialect, config.sql_transaction_for(path), config.lint_downgrade)


def _extract_python(path: str, text: str, config: Config) -> Migration:
    """An Alembic revision, a Django migration or a runner migration; any other Python file
    (a helper, an `__init__.py`) gives nothing to judge, unless it cannot be parsed."""
    from .pyreader import UnreadablePython, check_depth

    empty = Migration(path=path, host="python", dialect=config.dialect)
    if not text.strip():
        return empty
    import libcst

    try:
        readable = check_depth(text)
        from .alembic import extract_alembic, looks_like_alembic
        from .django import extract_django, looks_like_django
        from .runner import extract_runner, looks_like_runner

        if looks_like_alembic(text):
            return extract_alembic(path, text, config.dialect, config.lint_downgrade)
        if looks_like_django(text):
            return extract_django(path, text, config.dialect)
        if looks_like_runner(text):
            return extract_runner(path, text, config.dialect)
        if not readable:
            libcst.parse_module(text)  # newer syntax than this Python's, or a real error
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
