"""JSON, version 1 (DESIGN.md "Output")."""
from __future__ import annotations

import json


def render_json(result) -> str:
    findings = [f.to_json() for f in result.findings]
    live = [f for f in result.findings if f.suppressed is None]
    doc = {
        "version": 1,
        "tool": "lintmig",
        "files_scanned": result.files_scanned,
        "findings": findings,
        "summary": {
            "errors": sum(f.severity == "error" for f in live),
            "warnings": sum(f.severity == "warning" for f in live),
            "suppressed": len(result.findings) - len(live),
        },
    }
    return json.dumps(doc, indent=2) + "\n"
