"""Reporters: each renders a run's result; none decides anything.

A reporter yields its output in pieces, so a run with a hundred thousand findings is
written out as it is rendered instead of being held as one string.
"""
from __future__ import annotations

from typing import Iterator

def render(fmt: str, result, color: bool = False, show_suppressed: bool = False) -> Iterator[str]:
    if fmt == "json":
        from .json import render_json

        return render_json(result)
    from .text import render_text

    return render_text(result, color=color, show_suppressed=show_suppressed)
