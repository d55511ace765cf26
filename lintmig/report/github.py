"""GitHub Actions workflow commands: annotations on the pull request's diff.

GitHub shows at most 10 error and 10 warning annotations per step: the most severe come
first, and a closing notice points at the step summary for the rest.
"""
from __future__ import annotations

from typing import Iterator

from .shared import is_note, sized

CAP = 10


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(result) -> Iterator[str]:
    live = [f for f in result.findings if f.suppressed is None]
    shown = {"error": 0, "warning": 0}
    hidden = 0
    for f in sorted(live, key=lambda f: f.severity != "error"):
        if shown[f.severity] >= CAP:
            hidden += 1
            continue
        shown[f.severity] += 1
        props = [f"title={_prop(f'{f.code} {f.name}')}"]
        if f.path != "PR description":
            props = [f"file={_prop(f.path)}", f"line={f.span.line}", f"col={f.span.column}",
                     f"endLine={f.span.end_line}", f"endColumn={f.span.end_column}"] + props
        yield f"::{f.severity} {','.join(props)}::{_data(sized(f) + chr(10) + 'help: ' + f.help)}\n"
    for f in [f for f in result.findings if is_note(f)][:CAP]:  # small tables: notices, never failing
        props = [f"file={_prop(f.path)}", f"line={f.span.line}", f"title={_prop(f'{f.code} {f.name} (small table)')}"]
        yield f"::notice {','.join(props)}::{_data(f.message + chr(10) + 'small table: ' + f.suppressed.reason)}\n"
    if hidden:
        yield f"::notice title=lintmig::{hidden} more findings are not annotated (GitHub shows 10 errors and 10 warnings per step): see the step summary\n"
