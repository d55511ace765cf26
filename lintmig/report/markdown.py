"""A pull request comment body: the findings, then the risks accepted with their reasons."""
from __future__ import annotations

from typing import Iterator

from .shared import is_note, sized


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(result) -> Iterator[str]:
    live = [f for f in result.findings if f.suppressed is None]
    notes = [f for f in result.findings if is_note(f)]
    accepted = [f for f in result.findings if f.suppressed is not None and not is_note(f)]
    errors = sum(f.severity == "error" for f in live)
    yield "## lintmig\n\n"
    if not live:
        yield f"No problems found in {result.files_scanned} migration file(s).\n"
    else:
        yield f"{errors} error(s) and {len(live) - errors} warning(s) in {result.files_scanned} migration file(s).\n\n"
        yield "| where | rule | finding | what to do |\n|---|---|---|---|\n"
        for f in live:
            yield f"| `{f.path}:{f.span.line}` | {f.code} {f.name} | {_cell(sized(f))} | {_cell(f.help)} |\n"
    if notes:
        yield "\n### Notes on small tables (they fail nothing)\n\n| where | rule | finding | table |\n|---|---|---|---|\n"
        for f in notes:
            yield f"| `{f.path}:{f.span.line}` | {f.code} {f.name} | {_cell(f.message)} | {_cell(f.suppressed.reason)} |\n"
    if accepted:
        yield "\n### Accepted risks\n\n| where | rule | accepted by | reason |\n|---|---|---|---|\n"
        for f in accepted:
            yield f"| `{f.path}:{f.span.line}` | {f.code} {f.name} | {f.suppressed.by} | {_cell(f.suppressed.reason)} |\n"
