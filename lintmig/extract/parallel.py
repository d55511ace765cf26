"""Reading the statements of one large SQL file on every core.

Parsing is sqlglot's work and dominates on big files; statements are independent, so
workers read chunks of them and the parent keeps everything that depends on order
(transactions, settings, DO blocks). Inside a worker of the per-file pool this is off:
the cores are already busy.
"""
from __future__ import annotations

import gc
import os
from typing import Optional

from ..collector import keep_to_the_end

MIN_STATEMENTS = 5000
WINDOW = 40000  # statements handed to the pool at once
_enabled = True
# The jobs of the pool running now. The workers are forked after it is set and read their
# jobs from their copy: only chunk bounds cross the pipe, not the files' bytes (sending
# 8 MB of SQL was 6% of the parent's samples on 2,000 files; about 1% of the wall time).
_jobs: list = []


def _in_worker() -> None:
    """Pool initializer: a worker never starts a pool of its own, and collects its garbage
    (the parent stops collecting while it only takes in results), but not the parent's:
    everything inherited at the fork stays alive, and each full collection walking it (and
    copying the pages it touches) cost a tenth of a worker's time on SQL files."""
    global _enabled
    _enabled = False
    gc.freeze()
    gc.enable()


def _read_chunk(job: tuple[list[str], str]) -> list:
    from .sql_statement import statement_ops

    texts, dialect = job
    return [statement_ops(t, dialect) for t in texts]


def pool_map(fn, jobs: list, chunksize: int = 1, on_crash=None, progress=None, each=None) -> Optional[list]:
    """fn over jobs on every core (forked workers that start no pools of their own), in
    order; None when there is one core, no fork, or this is already a worker.

    When a worker dies (a native parser crashing on hostile input), the jobs it may have
    held are run again one by one, each in a process of its own, and `on_crash(job, why)`
    stands in for the one that kills its process: one file cannot take the run down.
    `progress(n)`, when given, hears of each chunk of n jobs done; `each(result)` gets the
    results in order as soon as they and all before them are done."""
    workers = min(os.cpu_count() or 1, 8)
    if not _enabled or workers < 2:
        return None
    import multiprocessing

    try:
        context = multiprocessing.get_context("fork")
    except ValueError:
        return None
    step = max(1, chunksize)
    chunks = [(i, min(i + step, len(jobs))) for i in range(0, len(jobs), step)]
    collecting = gc.isenabled()
    # What arrives lives to the end of the run: collector passes over it would be wasted.
    gc.disable()
    global _jobs
    _jobs = jobs
    try:
        done = _run_chunks(context, workers, fn, chunks, on_crash, progress, each)
        delivered = next((i for i in range(len(chunks)) if i not in done), len(chunks))
        out = []
        for index, (start, stop) in enumerate(chunks):
            results = done[index] if index in done else [_isolated(context, fn, job, on_crash) for job in jobs[start:stop]]
            out.extend(results)
            if each is not None and index >= delivered:
                for result in results:
                    each(result)
        return out
    finally:
        _jobs = []
        # Re-enabled as they are, every object that arrived would be young: the next
        # allocation would start a collection walking all of them (0.08 s after 2,000 files).
        keep_to_the_end()
        if collecting:
            gc.enable()


def _run_chunks(context, workers: int, fn, chunks: list[tuple[int, int]], on_crash, progress, each) -> dict[int, list]:
    """Results of the chunks whose worker lived, by chunk index; `each` has had those of the
    chunks before the first that died."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    done: dict[int, list] = {}
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_in_worker) as pool:
            futures = [pool.submit(_run_chunk, fn, start, stop) for start, stop in chunks]
            for index, future in enumerate(futures):
                try:
                    done[index] = future.result()
                    if progress is not None:
                        progress(chunks[index][1] - chunks[index][0])
                    if each is not None and len(done) == index + 1:  # no chunk before it died
                        for result in done[index]:
                            each(result)
                except BrokenProcessPool:
                    if on_crash is None:
                        raise
    except BrokenProcessPool:
        if on_crash is None:
            raise
    return done


def _run_chunk(fn, start: int, stop: int) -> list:
    return [fn(job) for job in _jobs[start:stop]]


def _isolated(context, fn, job, on_crash):
    """fn(job) in a forked process of its own; on_crash(job, why) when that process dies."""
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_send_result, args=(fn, job, sender))
    process.start()
    sender.close()
    try:
        result = receiver.recv()
    except EOFError:
        result = None
    process.join()
    receiver.close()
    if process.exitcode != 0 or result is None:
        code = process.exitcode or 0
        why = f"signal {-code}" if code < 0 else f"exit code {code}"
        return on_crash(job, why)
    return result[0]


def _send_result(fn, job, sender) -> None:
    _in_worker()
    sender.send((fn(job),))
    sender.close()


def map_statements(texts: list[str], dialect: str) -> Optional[list]:
    """Raw operations of each statement, in order; None when no pool can be used."""
    size = max(500, len(texts) // ((os.cpu_count() or 1) * 4))
    chunks = [(texts[i:i + size], dialect) for i in range(0, len(texts), size)]
    results = pool_map(_read_chunk, chunks)
    return None if results is None else [ops for chunk in results for ops in chunk]
