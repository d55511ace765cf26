"""SARIF 2.1.0, for GitHub code scanning and other SARIF consumers."""
from __future__ import annotations

import json
from typing import Iterator

from .. import __version__, catalog
from .shared import is_note, sized

PROJECT_URL = "https://github.com/lintmig/lintmig"
_LEVEL = {"error": "error", "warning": "warning"}


def _uri(path: str) -> str:
    """A relative, forward-slash path (what code scanning matches against the repository)."""
    import os
    from pathlib import PurePath

    if os.path.isabs(path):
        path = os.path.relpath(path)
    posix = PurePath(path).as_posix()
    return posix[2:] if posix.startswith("./") else posix


def rule_uri(rule: catalog.Rule) -> str:
    return f"{PROJECT_URL}/blob/main/rules/{rule.code}-{rule.name}.yaml"


def render_sarif(result, include_suppressed: bool = False) -> Iterator[str]:
    rules = list(catalog.load().values())
    index = {r.code: i for i, r in enumerate(rules)}
    driver = {
        "name": "lintmig", "version": __version__, "informationUri": PROJECT_URL,
        "rules": [{
            "id": r.code, "name": r.name,
            "shortDescription": {"text": r.summary}, "fullDescription": {"text": r.why},
            "help": {"text": r.use_instead, "markdown": f"**Why:** {r.why}\n\n**Use instead:** {r.use_instead}"},
            "helpUri": rule_uri(r), "defaultConfiguration": {"level": _LEVEL[r.severity]},
            "properties": {"tags": ["database-migrations", r.klass]},
        } for r in rules],
    }
    results = []
    for f in result.findings:
        note = is_note(f)  # a small table: a note result, not a suppressed one
        if f.suppressed is not None and not include_suppressed and not note:
            continue
        if f.path == "PR description":
            continue  # no file to point at
        item = {
            "ruleId": f.code, "ruleIndex": index[f.code], "level": "note" if note else _LEVEL[f.severity],
            "message": {"text": f"{sized(f)}\nhelp: {f.help}" + (f"\nsmall table: {f.suppressed.reason}" if note else "")},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": _uri(f.path)},
                "region": {"startLine": f.span.line, "startColumn": f.span.column,
                           "endLine": f.span.end_line, "endColumn": f.span.end_column + 1},
            }}],
        }
        if f.size is not None:
            item["properties"] = {"tableSize": f.size.to_json()}
        if f.suppressed is not None and not note:
            item["suppressions"] = [{"kind": "inSource" if f.suppressed.by in ("preflight", "unsafe-ack") else "external",
                                     "justification": f"{f.suppressed.by}: {f.suppressed.reason}"}]
        results.append(item)
    doc = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
           "runs": [{"tool": {"driver": driver}, "results": results}]}
    yield json.dumps(doc, indent=2) + "\n"
