"""Reporters: each renders a run's result; none decides anything.

A reporter yields its output in pieces, so a run with a hundred thousand findings is
written out as it is rendered instead of being held as one string.
"""
from __future__ import annotations

from typing import Iterator

FORMATS = ("text", "json", "sarif", "github", "gitlab", "markdown")



def render(fmt: str, result, color: bool = False, show_suppressed: bool = False,
           sarif_include_suppressed: bool = False) -> Iterator[str]:
    if fmt == "sarif":
        from .sarif import render_sarif

        return render_sarif(result, sarif_include_suppressed)
    if fmt == "github":
        from .github import render_github

        return render_github(result)
    if fmt == "gitlab":
        from .gitlab import render_gitlab

        return render_gitlab(result)
    if fmt == "markdown":
        from .markdown import render_markdown

        return render_markdown(result)
    if fmt == "json":
        from .json import render_json

        return render_json(result)
    from .text import render_text

    return render_text(result, color=color, show_suppressed=show_suppressed)
