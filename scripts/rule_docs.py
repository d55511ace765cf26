"""Write docs/rules/: one page per rule and an index, from the rule catalog (rules/*.yaml),
so the pages say what `lintmig explain` says and cannot drift from it.

    python scripts/rule_docs.py
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FENCE = {"sql": "sql", "alembic": "python", "django": "python", "runner": "python", "go": "go", "ts": "ts",
         "rust": "rust", "config": "yaml"}


def pages() -> dict[str, str]:
    """File name under docs/rules/ -> its markdown."""
    from lintmig import catalog

    rules = catalog.load()
    out = {}
    index = ["# Rules", "", "Generated from `rules/*.yaml` by `python scripts/rule_docs.py`; `lintmig explain CODE` "
             "prints the same.", "", "| code | name | class | severity | summary |", "|---|---|---|---|---|"]
    for r in rules.values():
        page = f"{r.code}-{r.name}.md"
        index.append(f"| [{r.code}]({page}) | {r.name} | {r.klass} | {r.severity} | {r.summary} |")
        cost = (f" With a stats snapshot, its findings estimate the time from the `{r.cost}` throughput "
                "([table sizes](../table-sizes.md)).") if r.cost else ""
        text = [f"# {r.code} {r.name}", "", f"Class **{r.klass}**, severity **{r.severity}**; "
                f"dialects: {', '.join(r.dialects)}.{cost}", "", r.summary + ".", "", "## Why", "", r.why, "",
                "## Use instead", "", r.use_instead]
        for verdict, title in (("bad", "Flagged"), ("good", "Not flagged")):
            examples = list(catalog.examples_of(r, verdict))
            if examples:
                text += ["", f"## {title}"]
            for host, label, example in examples:
                text += ["", f"{label}:", "", f"```{FENCE[host]}", example, "```"]
        out[page] = "\n".join(text) + "\n"
    out["README.md"] = "\n".join(index) + "\n"
    return out


def main() -> None:
    target = ROOT / "docs" / "rules"
    target.mkdir(parents=True, exist_ok=True)
    wanted = pages()
    for old in target.glob("*.md"):
        if old.name not in wanted:
            old.unlink()
    for name, text in wanted.items():
        (target / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(wanted)} pages to {target}")


if __name__ == "__main__":
    main()
