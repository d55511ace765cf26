"""The catalog is valid, every rule has a check, and every rule's examples behave."""
from __future__ import annotations

import pytest
import yaml

from conftest import as_ci, feature_branch, lint_in_repo, lint_text, snapshot_file
from lintmig import catalog
from lintmig.catalog import CatalogError, parse_rule
from lintmig.checks import CHECKS

RULES = catalog.load()


def test_every_rule_file_is_valid_and_named_after_its_rule():
    files = sorted(catalog.rules_dir().glob("*.yaml"))
    assert len(files) == len(RULES)
    for path in files:
        rule = parse_rule(yaml.safe_load(path.read_text()), str(path))
        assert path.name == f"{rule.code}-{rule.name}.yaml"


def test_every_rule_has_a_check_and_every_check_a_rule():
    # LM002 and LM003 judge the opt-outs themselves, in suppress.py, after the checks; LM006
    # judges the configuration file, in configdiff.py, before them; LM007-LM009 judge the
    # stats snapshot and the scale claims against it (sizes.py, suppress.py).
    meta = {code for code, rule in RULES.items() if set(rule.applies_to) <= set(catalog.META_KINDS)}
    assert meta == {"LM002", "LM003", "LM006", "LM007", "LM008", "LM009"}
    assert set(CHECKS) == set(RULES) - meta


def test_names_are_unique_kebab_case():
    names = [r.name for r in RULES.values()]
    assert len(set(names)) == len(names)
    assert all(n == n.lower() and " " not in n and "_" not in n for n in names)


def test_help_names_a_safe_target():
    for rule in RULES.values():
        if rule.code not in ("LM001", "LM004"):
            text = rule.use_instead
            assert "m." in text or "runner" in text or "lintmig.alembic" in text or "PREFLIGHT" in text, rule.code


@pytest.mark.parametrize("bad", [
    {"code": "LM999", "name": "x"},
    {"code": "LM101", "name": "non-concurrent-index", "class": "scale", "severity": "fatal", "applies_to": ["x"],
     "summary": "s", "why": "w", "use_instead": "u", "examples": {"bad": [{"sql": "x"}]}},
    {"code": "LM101", "name": "non-concurrent-index", "class": "scale", "severity": "error", "applies_to": ["x"],
     "summary": "s", "why": "w", "use_instead": "u", "examples": {"bad": [{"sql": "x", "go": "y"}]}},
])
def test_schema_rejects_malformed_rules(bad):
    with pytest.raises(CatalogError):
        parse_rule(bad, "rules/LM101-non-concurrent-index.yaml")


def _examples(verdict):
    for rule in RULES.values():
        for i, example in enumerate(rule.examples.get(verdict) or []):
            yield pytest.param(rule.code, example, id=f"{rule.code}-{verdict}-{i}")


def _config_codes(tmp_path, example, monkeypatch):
    """A config example: `before` is the base's .lintmig.yaml, `config` the change's, beside
    a new unsafe migration; linted in diff mode as CI would."""
    from lintmig.cli import main

    repo = feature_branch(tmp_path / "repo", {".lintmig.yaml": example["before"]})
    (repo / ".lintmig.yaml").write_text(example["config"])
    (repo / "db" / "migrations").mkdir(parents=True)
    (repo / "db" / "migrations" / "0001_index.sql").write_text("CREATE INDEX ix_a ON orders (a);\n")
    monkeypatch.chdir(repo)
    as_ci(monkeypatch)
    import contextlib
    import io
    import json

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["check", "--no-cache", "--format", "json"]) in (0, 1)
    return [(f["code"], f["line"], f["table"]) for f in json.loads(out.getvalue())["findings"]]


ALEMBIC_HEAD = 'from alembic import op\nimport sqlalchemy as sa\n\nrevision = "e1"\ndown_revision = None\n\n\ndef upgrade():\n'
DJANGO_HEAD = ("from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
               "    dependencies = [('shop', '0001_initial')]\n    operations = [\n")
DJANGO_INITIAL = ("from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
                  "    initial = True\n    operations = [migrations.CreateModel('Order', fields=[\n"
                  "        ('id', models.BigAutoField(primary_key=True)), ('total', models.IntegerField()),\n"
                  "        ('note', models.CharField(max_length=20, null=True))])]\n")
# How each host's example text becomes a file: (file name, text before it, indentation).
WRAP = {
    "sql": ("0001_example.sql", "", ""),
    "alembic": ("versions/e1_example.py", ALEMBIC_HEAD, "    "),
    "django": ("shop/migrations/0002_example.py", DJANGO_HEAD, "        "),
    "runner": ("0001_example.py", "", ""),
    "go": ("db.go", "", ""),
    "ts": ("db.ts", "", ""),
    "rust": ("db.rs", "", ""),
}


def _findings(tmp_path, example, monkeypatch=None):
    """(code, line within the example, table) of every finding an example gives."""
    if "config" in example:
        return _config_codes(tmp_path, example, monkeypatch)
    host = next(h for h in catalog.HOSTS if h in example)
    options = {"dialect": example.get("dialect", "postgres"), **(example.get("options") or {})}
    if host in ("go", "ts", "rust"):
        options.setdefault("embedded", ["**/*.go", "**/*.ts", "**/*.rs"])
    name, head, indent = WRAP[host]
    body = "".join(indent + line if line.strip() else line for line in example[host].splitlines(keepends=True))
    text = head + body + ("\n    ]\n" if host == "django" else "") + ("" if body.endswith("\n") else "\n")
    offset = head.count("\n")
    if host == "django":
        (tmp_path / "shop" / "migrations").mkdir(parents=True, exist_ok=True)
        (tmp_path / "shop" / "migrations" / "0001_initial.py").write_text(DJANGO_INITIAL)
    if "stats" in example:  # a table-size snapshot, and maybe a pull request description
        from lintmig import stats
        from lintmig.pullrequest import PullRequest

        made = snapshot_file(tmp_path / "snapshot", example["stats"]["tables"], example["stats"].get("captured_at", ""))
        options["snapshot"] = stats.load(str(made))
        options["pr"] = PullRequest(example["pr"]) if "pr" in example else None
    if "before" in example:  # the file as the base has it: lint the change in a real repository
        found = lint_in_repo(tmp_path, example["before"], text, name="db/migrations/" + name, **options).findings
    else:
        found = lint_text(tmp_path, text, name=name, **options).findings
    return [(f.code, f.span.line - offset, f.table) for f in found]


@pytest.mark.parametrize("code,example", list(_examples("bad")))
def test_bad_example_fires(tmp_path, code, example, monkeypatch):
    found = [f for f in _findings(tmp_path, example, monkeypatch) if f[0] == code]
    assert found, _findings(tmp_path, example, monkeypatch)
    host = next(h for h in catalog.HOSTS if h in example)
    lines = example[host].count("\n") + 1
    if host != "config":
        assert all(1 <= line <= lines for _, line, _ in found), found
    if "line" in example:
        assert example["line"] in [line for _, line, _ in found], found
    if "table" in example:
        assert example["table"] in [table for _, _, table in found], found


@pytest.mark.parametrize("code,example", list(_examples("good")))
def test_good_example_does_not_fire(tmp_path, code, example, monkeypatch):
    codes = {f[0] for f in _findings(tmp_path, example, monkeypatch)}
    assert code not in codes and "LM001" not in codes, codes


def test_compiled_catalog_is_fresh():
    """rules/catalog.json must match the YAML: regenerate with `python -m lintmig.catalog`."""
    import json

    compiled = json.loads((catalog.rules_dir() / catalog.COMPILED).read_text())
    assert compiled["fingerprint"] == catalog.fingerprint(catalog._sources()), "run: python -m lintmig.catalog"


def test_stale_compiled_catalog_is_ignored(tmp_path, monkeypatch):
    import shutil

    for path in catalog.rules_dir().iterdir():
        shutil.copy(path, tmp_path / path.name)
    edited = tmp_path / "LM101-non-concurrent-index.yaml"
    edited.write_text(edited.read_text().replace("summary: Index built", "summary: Edited index built"))
    monkeypatch.setattr(catalog, "rules_dir", lambda: tmp_path)
    catalog.load.cache_clear()
    try:
        assert catalog.load()["LM101"].summary.startswith("Edited index built")
    finally:
        catalog.load.cache_clear()


def test_a_rule_file_installed_twice_is_a_clear_error(tmp_path, monkeypatch, capsys):
    """An install over an older one can leave a renamed rule's old file beside the new one:
    the command says the catalog is broken (exit 2), with no traceback."""
    import shutil

    from lintmig.cli import main

    for path in catalog.rules_dir().iterdir():
        shutil.copy(path, tmp_path / path.name)
    old = (tmp_path / "LM101-non-concurrent-index.yaml").read_text().replace("name: non-concurrent-index", "name: old-name")
    (tmp_path / "LM101-old-name.yaml").write_text(old)  # the rule's file under a name it had before
    monkeypatch.setattr(catalog, "rules_dir", lambda: tmp_path)
    catalog.load.cache_clear()
    try:
        assert main(["rules"]) == 2
        err = capsys.readouterr().err
        assert "rule catalog of this installation is broken" in err and "duplicate code LM101" in err
    finally:
        catalog.load.cache_clear()
