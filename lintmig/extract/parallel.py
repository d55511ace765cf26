"""Reading the statements of one large SQL file on every core.

Parsing is sqlglot's work and dominates on big files; statements are independent, so
workers read chunks of them and the parent keeps everything that depends on order
(transactions, settings, DO blocks). Inside a worker of the per-file pool this is off:
the cores are already busy.
"""
from __future__ import annotations

import os
from typing import Optional

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


def pool_map(fn, jobs: list, chunksize: int = 1) -> Optional[list]:
    """fn over jobs on every core (forked workers that start no pools of their own), in
    order; None when there is one core, no fork, or this is already a worker."""
    workers = min(os.cpu_count() or 1, 8)
    if not _enabled or workers < 2:
        return None
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    try:
        context = multiprocessing.get_context("fork")
    except ValueError:
        return None
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=disable) as pool:
        return list(pool.map(fn, jobs, chunksize=chunksize))


def map_statements(texts: list[str], dialect: str) -> Optional[list]:
    """Raw operations of each statement, in order; None when no pool can be used."""
    size = max(500, len(texts) // ((os.cpu_count() or 1) * 4))
    chunks = [(texts[i:i + size], dialect) for i in range(0, len(texts), size)]
    results = pool_map(_read_chunk, chunks)
    return None if results is None else [ops for chunk in results for ops in chunk]
