"""One line per finding, `path:line:col: CODE name message`, then its help."""
from __future__ import annotations

from typing import Iterator

from ..sources import printable
from .shared import is_note, sized

_RESET, _BOLD, _RED, _YELLOW, _DIM = "\033[0m", "\033[1m", "\033[31m", "\033[33m", "\033[2m"


def render_text(result, color: bool = False, show_suppressed: bool = False) -> Iterator[str]:
    def paint(text: str, *styles: str) -> str:
        return "".join(styles) + text + _RESET if color else text

    live = [f for f in result.findings if f.suppressed is None]
    for f in live:
        where = paint(f"{printable(f.path)}:{f.span.line}:{f.span.column}:", _BOLD)
        code = paint(f"{f.code} {f.name}", _RED if f.severity == "error" else _YELLOW, _BOLD)
        level = "" if f.severity == "error" else " (warning)"
        yield f"{where} {code}{level} {sized(f)}\n" + paint(f"  help: {f.help}", _DIM) + "\n"
    notes = [f for f in result.findings if is_note(f)]
    for f in notes:  # small tables: shown, but they fail nothing
        where = paint(f"{printable(f.path)}:{f.span.line}:{f.span.column}:", _BOLD)
        yield f"{where} note: {f.code} {f.name} {f.message} (small table: {f.suppressed.reason})\n"
    if show_suppressed:
        for f in result.findings:
            if f.suppressed is not None and not is_note(f):
                where = paint(f"{printable(f.path)}:{f.span.line}:{f.span.column}:", _BOLD)
                yield f"{where} {f.code} {f.name} (suppressed by {f.suppressed.by}: {f.suppressed.reason}) {f.message}\n"
        for note in result.notes:
            yield f"note: {note}\n"
    errors = sum(f.severity == "error" for f in live)
    warnings = len(live) - errors
    suppressed = len(result.findings) - len(live) - len(notes)
    files = f"{result.files_scanned} file{'s' if result.files_scanned != 1 else ''} scanned"
    if result.files_skipped:
        files += f", {result.files_skipped} skipped (not migrations lintmig reads)"
    if live:
        summary = f"Found {errors} error{'s' if errors != 1 else ''} and {warnings} warning{'s' if warnings != 1 else ''} ({files}"
    else:
        summary = f"No problems found ({files}"
    summary += f", {suppressed} suppressed" if suppressed else ""
    summary += f", {len(notes)} note{'s' if len(notes) != 1 else ''} on small tables)." if notes else ")."
    yield ("\n" if live else "") + summary + "\n"
