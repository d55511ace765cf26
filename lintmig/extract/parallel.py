"""Reading the statements of one large SQL file on every core.

Parsing is sqlglot's work and dominates on big files; statements are independent, so
workers read chunks of them and the parent keeps everything that depends on order
(transactions, settings, DO blocks). Inside a worker of the per-file pool this is off:
the cores are already busy.
"""
from __future__ import annotations

import os

MIN_STATEMENTS = 5000
_enabled = True


def disable() -> None:
    """Pool initializer: a worker never starts a pool of its own."""
    global _enabled
    _enabled = False


def _read_chunk(job: tuple[list[str], str]) -> list:
    from .sql_statement import statement_ops

    texts, dialect = job
    return [statement_ops(t, dialect) for t in texts]


def map_statements(texts: list[str], dialect: str):
    """Raw operations of each statement, in order; None when a pool is not worth it."""
    workers = min(os.cpu_count() or 1, 8)
    if not _enabled or workers < 2:
        return None
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    try:
        context = multiprocessing.get_context("fork")
    except ValueError:
        return None
    size = max(500, len(texts) // (workers * 4))
    chunks = [(texts[i:i + size], dialect) for i in range(0, len(texts), size)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=disable) as pool:
        return [ops for chunk in pool.map(_read_chunk, chunks) for ops in chunk]
