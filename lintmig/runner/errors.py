"""Errors the runner reports to its caller (the CLI turns them into a message and an exit code)."""
from __future__ import annotations


class RunnerError(Exception):
    """A migration or folder problem, reported without a traceback.

    `exit_code` 2 is bad input (an unknown URL, a folder that cannot be loaded, an applied
    migration whose file changed); 1 is a migration that failed while running.
    """

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


class LeaseLost(Exception):
    """Another runner took this migration's work over (our lease expired): stop at once."""
