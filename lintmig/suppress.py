"""Opt-outs: turn findings into suppressed findings, after the checks. Nothing is dropped.

So far: path-scoped ignores from the config file (`per_file_ignores`). PREFLIGHT
annotations, the unsafe-ack directive, the pull-request scale line and safe calls come
with the opt-out work of issue 5.
"""
from __future__ import annotations

from .config import Config
from .model import Finding, Suppression


def apply(findings: list[Finding], config: Config) -> list[Finding]:
    if not config.per_file_ignores:
        return findings
    by_path: dict[str, list[str]] = {}
    for finding in findings:
        if finding.path not in by_path:
            by_path[finding.path] = [code for glob, codes in config.per_file_ignores.items()
                                     if config.matches([glob], finding.path) for code in codes]
        if finding.code in by_path[finding.path] and finding.code not in ("LM002", "LM003"):
            finding.suppressed = Suppression("config", "per_file_ignores in the config file")
    return findings
