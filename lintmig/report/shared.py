"""What several reporters print the same way."""
from __future__ import annotations


def sized(f) -> str:
    """The finding's message, with the table's size and the estimate when a stats snapshot
    gave them: `... [orders: 12.4M rows, 3.1 GB; about 31 s building the index]`."""
    if f.size is None:
        return f.message
    from ..sizes import describe

    return f"{f.message} [{describe(f.size)}]"


def is_note(f) -> bool:
    """A scale finding on a table the stats snapshot calls small: shown, never failing."""
    return f.suppressed is not None and f.suppressed.by == "small-table"
