"""Reporters: each renders a run's result as text; none decides anything."""
from __future__ import annotations

FORMATS = ("text", "json")


def render(fmt: str, result, color: bool = False) -> str:
    if fmt == "json":
        from .json import render_json

        return render_json(result)
    from .text import render_text

    return render_text(result, color=color)
