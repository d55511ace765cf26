"""The table of front ends: which files each one reads, how it recognises them, how it
extracts them, and which changed words alter a whole file's verdict.

File selection (`discover`), extraction (`extract_file`) and diff mode's context test
(`gitdiff`) all read this table; adding a front end (Rails, Prisma, Flyway Java) is its
module and one entry here. Front ends are imported only when a file needs them, so a run
over SQL files never imports libcst.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from ..config import Config
from ..model import Migration
from .sniff import is_alembic, is_django, is_runner


@dataclass(frozen=True)
class FrontEnd:
    name: str  # the Migration.host it produces
    language: str  # sql | python | embedded: how a file is chosen by its name
    suffixes: tuple[str, ...]
    recognises: Callable[[str], bool]  # on the text: is this file one of mine?
    extract: Callable[[str, str, Config], Migration]  # (path, text, config)
    # Words whose appearance in an added or removed line can change verdicts on lines the
    # change does not touch (a transaction boundary, an opt-out, a timeout).
    context_words: tuple[str, ...] = ()


def _sql(path: str, text: str, config: Config) -> Migration:
    from .sql import extract_sql_file

    return extract_sql_file(path, text, config.dialect_for(path), config.sql_transaction_for(path),
                            config.lint_downgrade)


def _alembic(path: str, text: str, config: Config) -> Migration:
    from .alembic import extract_alembic

    return extract_alembic(path, text, config.dialect, config.lint_downgrade)


def _django(path: str, text: str, config: Config) -> Migration:
    from .django import extract_django

    return extract_django(path, text, config.dialect)


def _runner(path: str, text: str, config: Config) -> Migration:
    from .runner import extract_runner

    return extract_runner(path, text, config.dialect)


def _embedded(path: str, text: str, config: Config) -> Migration:
    from .embedded import extract_embedded

    return extract_embedded(path, text, config.dialect, tuple(config.embedded_calls))


_ALWAYS = ("preflight", "unsafe-ack", "lock_timeout", "statement_timeout")
_SQL_WORDS = ("begin", "commit", "transaction", "+goose", "migrate:", "morph:", "lock_wait_timeout")
EMBEDDED_SUFFIXES = (".go", ".ts", ".tsx", ".js", ".mjs", ".cjs", ".rs")

FRONT_ENDS: tuple[FrontEnd, ...] = (
    FrontEnd("sql", "sql", (".sql",), lambda text: True, _sql, _ALWAYS + _SQL_WORDS),
    # Python: the first that recognises a file reads it; any other Python file gives nothing.
    FrontEnd("alembic", "python", (".py",), is_alembic, _alembic, _ALWAYS + _SQL_WORDS + ("autocommit",)),
    FrontEnd("django", "python", (".py",), is_django, _django, _ALWAYS + _SQL_WORDS + ("atomic",)),
    FrontEnd("runner", "python", (".py",), is_runner, _runner, _ALWAYS + _SQL_WORDS),
    FrontEnd("embedded", "embedded", EMBEDDED_SUFFIXES, lambda text: True, _embedded, _ALWAYS + _SQL_WORDS),
)


def language(path: str) -> Optional[str]:
    """sql, python or embedded: the language a file is in, by its name (None: no front end)."""
    for front in FRONT_ENDS:
        if path.endswith(front.suffixes):
            return front.language
    return None


def front_end_for(path: str, text: str) -> Optional[FrontEnd]:
    """The front end that reads this file (None: a file of a known language that none of
    them recognises, such as a Python helper module)."""
    for front in FRONT_ENDS:
        if path.endswith(front.suffixes) and front.recognises(text):
            return front
    return None


def context_words() -> tuple[str, ...]:
    return tuple(sorted({word for front in FRONT_ENDS for word in front.context_words}))
