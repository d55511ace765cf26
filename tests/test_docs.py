"""docs/engine-facts.md says which rules fire on each form: recomputed here, so the page
cannot drift from what lintmig does."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _script():
    spec = importlib.util.spec_from_file_location("engine_facts", ROOT / "scripts" / "engine_facts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _documented() -> dict[str, dict[str, str]]:
    """{section: {form: lintmig column}} from the page's tables."""
    sections: dict[str, dict[str, str]] = {}
    section = ""
    for line in (ROOT / "docs" / "engine-facts.md").read_text().splitlines():
        if line.startswith("## "):
            section = line[3:]
        elif line.startswith("| ") and not line.startswith("| form") and " operation |" not in line:
            cells = [c.strip() for c in line.strip("|").split("|")]
            sections.setdefault(section, {})[cells[0].strip("`")] = cells[-1]
    return sections


def test_every_form_of_the_script_is_on_the_page_with_the_rules_lintmig_gives_it():
    facts, documented = _script(), _documented()
    expected = {
        "PostgreSQL": {form: facts.rules_for(statement or facts.CONCURRENT_EXAMPLES[form]) for form, statement in facts.FORMS},
        "MySQL (InnoDB, 8.0)": {form: facts.static_rules("mysql", st) for form, st, *_ in facts.MYSQL},
        "SQLite": {form: facts.static_rules("sqlite", st) for form, st, _ in facts.SQLITE},
        "Alembic operations": {form: facts.host_rules("alembic", snippet) for form, snippet, _ in facts.ALEMBIC},
        "Django operations": {form: facts.host_rules("django", snippet) for form, snippet, _ in facts.DJANGO},
    }
    for section, rows in expected.items():
        assert documented.get(section) == rows, f"docs/engine-facts.md, {section}: regenerate with scripts/engine_facts.py"


def test_every_rule_code_on_the_page_exists():
    from lintmig import catalog

    codes = set(re.findall(r"\bLM\d{3}\b", (ROOT / "docs" / "engine-facts.md").read_text()))
    assert codes and codes <= set(catalog.load())


def test_rule_pages_match_the_catalog():
    """docs/rules/ is generated from rules/*.yaml: regenerate with scripts/rule_docs.py."""
    spec = importlib.util.spec_from_file_location("rule_docs", ROOT / "scripts" / "rule_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    wanted = module.pages()
    present = {p.name: p.read_text() for p in (ROOT / "docs" / "rules").glob("*.md")}
    assert present == wanted, "docs/rules/ is stale: run python scripts/rule_docs.py"
