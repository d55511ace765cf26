"""JSON, version 1 (DESIGN.md "Output")."""
from __future__ import annotations

import json
from typing import Iterator


def render_json(result) -> Iterator[str]:
    live = [f for f in result.findings if f.suppressed is None]
    summary = {
        "errors": sum(f.severity == "error" for f in live),
        "warnings": sum(f.severity == "warning" for f in live),
        "suppressed": len(result.findings) - len(live),
    }
    notes = sum(f.suppressed is not None and f.suppressed.by == "small-table" for f in result.findings)
    if notes:  # optional in version 1: the suppressed findings that are small-table notes
        summary["notes"] = notes
    yield (f'{{"version": 1, "tool": "lintmig", "files_scanned": {result.files_scanned}, '
           f'"files_skipped": {result.files_skipped},\n "findings": [')
    for i, finding in enumerate(result.findings):
        yield ("," if i else "") + "\n  " + json.dumps(finding.to_json())
    yield "\n ],\n " + f'"summary": {json.dumps(summary)}}}\n'
