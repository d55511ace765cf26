"""How a check run uses Python's cycle collector.

A run's objects (operations, facts, findings) live until it ends, and the collector's full
passes walk all of them again each time they grow by a quarter: about 0.7 s of a cold run
over 2,000 files and a quarter of a 20 MB file's time (benchmarks/bench_sql.py). Young
garbage (sqlglot's trees hold cycles) is still collected by the young generations.

Only the command line asks for this (`lintmig` and `python -m lintmig` say so before
anything else): a process that goes on after the run (a library caller, the test suite
calling `main`) keeps the default collector.
"""
from __future__ import annotations

import gc
import os
import sys

_one_run = False
_kept: list = []  # what a one-run process holds until it exits


def one_run_per_process() -> None:
    """This process makes one run and exits."""
    global _one_run
    _one_run = True


def collect_less() -> None:
    """At the start of a check run: full passes almost never run, and what was imported so
    far is never walked again."""
    if _one_run:
        gc.freeze()
        gc.set_threshold(5_000, 10, 1_000)


def keep_to_the_end(*alive) -> None:
    """What is alive now lives until the run ends (the modules before forking workers,
    the migrations once extracted): no collector pass need walk it again. `alive` is held
    to the end as well, so that it is not freed object by object when its frame returns."""
    if _one_run:
        _kept.extend(alive)
        gc.freeze()


def exit_now(code: int) -> None:
    """End a one-run process that kept its run's objects, once its output is written:
    freeing them one by one (and then the interpreter's own teardown) cost 50 ms of a
    2,000-file run. Returns when nothing was kept (the runner's commands exit as usual)."""
    if not _kept:
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`lintmig check | head`): nothing more to say
            pass
    os._exit(code)
