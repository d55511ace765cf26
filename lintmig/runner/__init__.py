"""lintmig's reference runner: the safe target every lintmig finding points to.

Apps import it at boot, so it imports nothing from the linter (no sqlglot, libcst or
gitpython) and SQLite needs only the standard library:

    from lintmig.runner import Runner
    Runner("sqlite:///app.db", "migrations/").run(background=True)

The names below load on first use: `lintmig check` reads the runner's command-line
definitions without paying for the runner itself.
"""
from .errors import RunnerError

__all__ = ["Runner", "RunnerError", "Report", "status"]


def __getattr__(name: str):
    if name in ("Runner", "Report", "status"):
        from . import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'lintmig.runner' has no attribute {name!r}")
