"""The order migration tools run files in."""
from __future__ import annotations

import re

_DIGITS = re.compile(r"(\d+)")


def natural_key(path: str) -> tuple:
    """Order migration files as their tools do: 2_x before 10_x."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in _DIGITS.split(path))
