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


def database_error_of(err: BaseException, doing: str) -> RunnerError:
    """A driver's error as one line naming what the runner was doing. A database it may not
    write to (a read-only SQLite file, a role without rights) is a setup problem: exit 2."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    lowered = text.lower()
    setup = any(word in lowered for word in ("readonly", "read-only", "permission denied", "unable to open",
                                             "authentication failed", "does not exist"))
    return RunnerError(f"{doing}: {type(err).__name__}: {text}", 2 if setup else 1)


def database_error(call, doing: str):
    """Run `call()`; a driver error comes back as a RunnerError with a one-line message."""
    try:
        return call()
    except (RunnerError, LeaseLost, KeyboardInterrupt, SystemExit):
        raise
    except Exception as err:
        raise database_error_of(err, doing) from None
