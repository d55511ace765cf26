"""lintmig's reference runner: the safe target every lintmig finding points to.

Apps import it at boot, so it imports nothing from the linter (no sqlglot, libcst or
gitpython) and SQLite needs only the standard library:

    from lintmig.runner import Runner
    Runner("sqlite:///app.db", "migrations/").run(background=True)
"""
from .errors import RunnerError
from .runner import Report, Runner, status

__all__ = ["Runner", "RunnerError", "Report", "status"]
