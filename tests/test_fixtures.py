"""Every annotated fixture gives exactly the findings its comments announce.

Annotations sit in the comment block directly above a statement: `ruleid: LM101` (must
fire), `ok: LM101` (must not). `ruleid: LM101(orders)` also says which table the finding
names. A first-line `lintmig-test: key=value, ...` sets options.
The dialect is the fixture's folder name.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import FIXTURES, make_config
from lintmig.engine import lint_paths

_ANNOTATION = re.compile(r"(?:--|#|//)\s*(ruleid|ok|suppressed):\s*((?:LM\d{3}(?:\([\w.]+\))?[ ,]*)+)")
_OPTIONS = re.compile(r"lintmig-test:\s*(.*)")
_COMMENT_LINE = re.compile(r"^\s*(--|#|//|/\*|\*)")


def fixture_files() -> list[Path]:
    # env.py files configure a fixture project; they are not migrations.
    return sorted(p for p in FIXTURES.rglob("*")
                  if p.is_file() and p.suffix in (".sql", ".py", ".go", ".ts", ".rs") and p.name != "env.py")


def _options(lines: list[str], path: Path) -> dict:
    options: dict = {"dialect": path.parent.name if path.parent.name in ("postgres", "sqlite", "mysql") else "postgres"}
    for line in lines[:3]:
        m = _OPTIONS.search(line)
        if m:
            for item in m.group(1).split(","):
                key, _, value = item.strip().partition("=")
                options[key] = int(value) if value.isdigit() else value
    return options


def expectations(path: Path, tables: dict | None = None) -> tuple[set, set, set]:
    """(must fire, must not fire, must fire and be suppressed) as sets of (code, target line);
    `tables` receives {(code, target line): table} for annotations that name one."""
    lines = path.read_text(encoding="utf-8").splitlines()
    fire, quiet, silenced = set(), set(), set()
    tables = {} if tables is None else tables
    for i, line in enumerate(lines):
        m = _ANNOTATION.search(line)
        if not m:
            continue
        if line[:m.start()].strip().lstrip("-#/* "):
            target = i  # written after an opt-out on its own line: about that line (LM002, LM003)
        else:
            target = i + 1
            while target < len(lines) and (not lines[target].strip() or _COMMENT_LINE.match(lines[target])):
                target += 1
        for item in filter(None, (c.strip() for c in m.group(2).split(","))):
            code, _, table = item.partition("(")
            {"ruleid": fire, "ok": quiet, "suppressed": silenced}[m.group(1)].add((code, target + 1))
            if table:
                tables[(code, target + 1)] = table.rstrip(")")
    return fire, quiet, silenced


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture(path: Path):
    lines = path.read_text(encoding="utf-8").splitlines()
    tables: dict = {}
    fire, quiet, silenced = expectations(path, tables)
    assert fire or quiet or silenced, f"{path} has no annotations"
    result = lint_paths([str(path)], make_config(**_options(lines, path)))

    def keys(findings):
        return {(f.code, f.span.line) for f in findings} | {(f.code, f.anchor) for f in findings}

    live = keys(f for f in result.findings if f.suppressed is None)
    quieted = keys(f for f in result.findings if f.suppressed is not None)
    missing = sorted(e for e in fire if e not in live) + sorted(e for e in silenced if e not in quieted)
    wrong = sorted(e for e in quiet if e in live | quieted)
    unexpected = sorted(
        (f.code, f.span.line, f.message, f.suppressed is not None) for f in result.findings
        if not {(f.code, f.span.line), (f.code, f.anchor)} & (silenced if f.suppressed else fire)
    )
    named = {}
    for f in result.findings:
        for key in ((f.code, f.span.line), (f.code, f.anchor)):
            named.setdefault(key, set()).add(f.table)
    wrong_tables = sorted((key, table, named.get(key)) for key, table in tables.items() if table not in named.get(key, ()))
    assert not wrong_tables, f"annotated table not named by the finding: {wrong_tables}"
    assert not missing and not wrong and not unexpected, (
        f"\nmissing (annotated, not reported as annotated): {missing}"
        f"\nreported although annotated ok: {wrong}"
        f"\nreported, not annotated (code, line, message, suppressed): {unexpected}"
    )
