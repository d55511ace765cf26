"""GitLab Code Quality report (a JSON list), with fingerprints that survive unrelated edits."""
from __future__ import annotations

import hashlib
import json
from typing import Iterator

from .shared import is_note, sized

_SEVERITY = {"error": "critical", "warning": "minor"}


def render_gitlab(result) -> Iterator[str]:
    issues, seen = [], {}
    for f in result.findings:
        note = is_note(f)  # a small table: shown as information
        if f.suppressed is not None and not note:
            continue
        # Path, rule, table and message, not the line: moving code keeps an issue's identity.
        base = "\0".join((f.path, f.code, f.table or "", f.message))
        seen[base] = seen.get(base, 0) + 1
        fingerprint = hashlib.sha256(f"{base}\0{seen[base]}".encode()).hexdigest()
        issues.append({
            "type": "issue", "check_name": f"{f.code} {f.name}", "description": f"{f.code} {sized(f)}",
            "content": {"body": f.help}, "categories": ["Performance" if f.code[2] in "13" else "Bug Risk"],
            "severity": "info" if note else _SEVERITY[f.severity], "fingerprint": fingerprint,
            "location": {"path": f.path, "lines": {"begin": f.span.line, "end": f.span.end_line}},
        })
    yield json.dumps(issues, indent=2) + "\n"
