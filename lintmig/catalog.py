"""The rule catalog: one YAML file per rule in `rules/`, loaded and validated here.

`lintmig rules`, `lintmig explain`, finding messages and help, and the SARIF rule list all
read the catalog, so prose lives in one place.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

HOSTS = ("sql", "alembic", "django", "runner", "go", "ts", "rust", "config")  # config: a .lintmig.yaml
DIALECTS = ("postgres", "sqlite", "mysql")
CLASSES = ("scale", "correctness", "compat")
SEVERITIES = ("error", "warning")
REQUIRED = ("code", "name", "class", "severity", "applies_to", "summary", "why", "use_instead", "examples")
# before: the file at the base (diff mode); line, table: where a bad example's finding stands
# stats: table -> rows of a snapshot; pr: the pull request description
EXAMPLE_KEYS = {"dialect", "options", "before", "line", "table", "stats", "pr"} | set(HOSTS)
# judged outside the checks: opt-outs in suppress.py, config in configdiff.py, the stats
# snapshot and the scale claims checked against it in sizes.py and suppress.py
META_KINDS = ("opt_out", "config", "stats")
# What a scale rule's lock or rewrite costs in proportion to the table (sizes.THROUGHPUT)
COSTS = ("index_build", "table_rewrite", "table_scan", "constraint_validation", "row_write")


class CatalogError(ValueError):
    """A rule file that does not follow the schema."""


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    klass: str  # scale | correctness | compat
    severity: str
    applies_to: tuple[str, ...]
    dialects: tuple[str, ...]
    summary: str
    why: str
    use_instead: str
    examples: dict[str, list[dict[str, Any]]]
    source: str
    cost: Optional[str] = None


def rules_dir() -> Path:
    here = Path(__file__).resolve().parent
    # Installed wheel: lintmig/rules; checkout or editable install: ../rules.
    for candidate in (here / "rules", here.parent / "rules"):
        if candidate.is_dir():
            return candidate
    raise CatalogError(f"rule catalog not found next to {here}")


def _text(data: dict, key: str, source: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(f"{source}: '{key}' must be a non-empty string")
    return " ".join(value.split())


def _examples(data: dict, source: str) -> dict[str, list[dict[str, Any]]]:
    examples = data.get("examples")
    if not isinstance(examples, dict) or set(examples) - {"bad", "good"} or "bad" not in examples:
        raise CatalogError(f"{source}: 'examples' needs 'bad' (and may have 'good') lists")
    out: dict[str, list[dict[str, Any]]] = {}
    for verdict in ("bad", "good"):
        items = examples.get(verdict) or []
        if not isinstance(items, list) or (verdict == "bad" and not items):
            raise CatalogError(f"{source}: examples.{verdict} must be a non-empty list")
        for item in items:
            if not isinstance(item, dict) or set(item) - EXAMPLE_KEYS:
                raise CatalogError(f"{source}: examples.{verdict}: unknown keys in {item!r}")
            hosts = [h for h in HOSTS if h in item]
            if len(hosts) != 1 or not isinstance(item[hosts[0]], str):
                raise CatalogError(f"{source}: each example names exactly one host format ({', '.join(HOSTS)})")
            if item.get("dialect", "postgres") not in DIALECTS:
                raise CatalogError(f"{source}: example dialect must be one of {DIALECTS}")
        out[verdict] = items
    return out


def parse_rule(data: Any, source: str) -> Rule:
    if not isinstance(data, dict):
        raise CatalogError(f"{source}: a rule file holds a mapping")
    missing = [k for k in REQUIRED if k not in data]
    unknown = set(data) - set(REQUIRED) - {"dialects", "cost"}
    if missing or unknown:
        raise CatalogError(f"{source}: missing keys {missing}, unknown keys {sorted(unknown)}")
    code, name = _text(data, "code", source), _text(data, "name", source)
    if not (len(code) == 5 and code.startswith("LM") and code[2:].isdigit()):
        raise CatalogError(f"{source}: code must look like LM123")
    if not Path(source).name.startswith(f"{code}-{name}."):
        raise CatalogError(f"{source}: file must be named {code}-{name}.yaml")
    if data["class"] not in CLASSES or data["severity"] not in SEVERITIES:
        raise CatalogError(f"{source}: class must be one of {CLASSES}, severity one of {SEVERITIES}")
    dialects = data.get("dialects", list(DIALECTS))
    applies = data["applies_to"]
    if not isinstance(applies, list) or not applies or not all(isinstance(k, str) for k in applies):
        raise CatalogError(f"{source}: applies_to must list operation kinds")
    from .model import KINDS

    unknown_kinds = sorted(set(applies) - KINDS - set(META_KINDS))
    if unknown_kinds:
        raise CatalogError(f"{source}: applies_to names unknown operation kinds {unknown_kinds}")
    if not isinstance(dialects, list) or set(dialects) - set(DIALECTS):
        raise CatalogError(f"{source}: dialects must be a subset of {DIALECTS}")
    cost = data.get("cost")
    if cost is not None and (cost not in COSTS or data["class"] != "scale"):
        raise CatalogError(f"{source}: cost is for scale rules, one of {COSTS}")
    return Rule(
        code=code,
        name=name,
        klass=data["class"],
        severity=data["severity"],
        applies_to=tuple(applies),
        dialects=tuple(dialects),
        summary=_text(data, "summary", source),
        why=_text(data, "why", source),
        use_instead=_text(data, "use_instead", source),
        examples=_examples(data, source),
        source=source,
        cost=cost,
    )


COMPILED = "catalog.json"


def _sources() -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(rules_dir().glob("LM*.yaml"))]


def fingerprint(sources: list[tuple[str, bytes]]) -> str:
    import hashlib

    digest = hashlib.sha256()
    for name, data in sources:
        digest.update(name.encode() + b"\0" + data + b"\0")
    return digest.hexdigest()


@functools.lru_cache(maxsize=None)
def source_fingerprint() -> str:
    """The rule files' fingerprint: part of the results cache's key."""
    return fingerprint(_sources())


def _parse_yaml(sources: list[tuple[str, bytes]]) -> list[tuple[str, Any]]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [(name, yaml.load(data, Loader=loader)) for name, data in sources]


@functools.lru_cache(maxsize=None)
def load() -> dict[str, Rule]:
    """All rules by code, in code order.

    The YAML files are the source. `rules/catalog.json` holds them already parsed (written
    by `python -m lintmig.catalog`) and is used only while its fingerprint matches the YAML,
    so an edited rule file is never shadowed by a stale compiled form.
    """
    import json

    sources = _sources()
    raw: Optional[list] = None
    try:
        compiled = json.loads((rules_dir() / COMPILED).read_text(encoding="utf-8"))
        if compiled.get("fingerprint") == fingerprint(sources):
            raw = compiled["rules"]
    except (OSError, ValueError, KeyError, AttributeError):
        raw = None
    if raw is None:
        raw = _parse_yaml(sources)
    rules: dict[str, Rule] = {}
    base = rules_dir()
    for name, data in raw:
        rule = parse_rule(data, str(base / name))
        if rule.code in rules:
            raise CatalogError(f"{base / name}: duplicate code {rule.code}")
        rules[rule.code] = rule
    return rules


def compile_catalog() -> "Path":
    """Write rules/catalog.json from the YAML files (validating them first)."""
    import json

    sources = _sources()
    raw = _parse_yaml(sources)
    for name, data in raw:
        parse_rule(data, str(rules_dir() / name))
    target = rules_dir() / COMPILED
    target.write_text(json.dumps({"fingerprint": fingerprint(sources), "rules": raw}, indent=1) + "\n", encoding="utf-8")
    return target


def examples_of(rule: Rule, verdict: str):
    """(host, label, text) of a rule's `bad` or `good` examples, as `explain` and the rule
    pages show them: the label names the host, the dialect and any options."""
    for item in rule.examples.get(verdict) or []:
        host = next(h for h in HOSTS if h in item)
        label = f"{host}, {item.get('dialect', 'postgres')}"
        if item.get("options"):
            label += ", " + ", ".join(f"{k}={v}" for k, v in item["options"].items())
        yield host, label, item[host].rstrip()


def resolve(names: str | list[str]) -> list[str]:
    """Rule codes for a comma-separated list (or list) of codes, names and classes (`compat`
    stands for every compat rule); unknown -> ValueError."""
    if isinstance(names, str):
        names = [n for n in names.split(",")]
    by_name = {r.name: r.code for r in load().values()}
    codes = []
    for raw in names:
        item = raw.strip()
        if not item:
            continue
        if item.lower() in CLASSES:
            codes.extend(code for code, rule in load().items() if rule.klass == item.lower())
            continue
        code = item.upper() if item.upper() in load() else by_name.get(item.lower())
        if code is None:
            raise ValueError(f"unknown rule '{item}' (see `lintmig rules`)")
        codes.append(code)
    return codes


if __name__ == "__main__":
    print(f"wrote {compile_catalog()}")
