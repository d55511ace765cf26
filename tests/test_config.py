"""The config file as a team uses it: discovery, every kind of key, flags over keys, errors."""
from __future__ import annotations

import json

import pytest

from lintmig.cli import main

INDEX = "CREATE INDEX ix_orders_a ON orders (a);\n"


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / "db" / "migrations").mkdir(parents=True)
    (tmp_path / "db" / "migrations" / "0001.sql").write_text(INDEX)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def findings(out):
    return [(f["code"], f["severity"], f["suppressed"]) for f in json.loads(out)["findings"]]


def test_yaml_found_walking_up_and_its_rules_applied(repo, monkeypatch, capsys):
    (repo / ".lintmig.yaml").write_text("dialect: sqlite\nrules:\n  missing-lock-timeout: off\n")
    monkeypatch.chdir(repo / "db")
    code, out, _ = run(["check", "--no-cache", "--format", "json", "migrations"], capsys)
    assert code == 1 and findings(out) == [("LM102", "error", None)]


def test_pyproject_section_and_yaml_precedence(repo, capsys):
    (repo / "pyproject.toml").write_text('[tool.lintmig]\ndialect = "sqlite"\n')
    _, out, _ = run(["check", "--no-cache", "--format", "json", "--select", "LM101,LM102", "db"], capsys)
    assert [c for c, _, _ in findings(out)] == ["LM102"]
    (repo / ".lintmig.yaml").write_text("dialect: postgres\n")
    _, out, _ = run(["check", "--no-cache", "--format", "json", "--select", "LM101,LM102", "db"], capsys)
    assert [c for c, _, _ in findings(out)] == ["LM101"]


def test_flags_override_keys(repo, capsys):
    (repo / ".lintmig.yaml").write_text("dialect: sqlite\nfail_on: warning\n")
    _, out, _ = run(["check", "--no-cache", "--format", "json", "--dialect", "postgres", "--select", "LM101,LM102", "db"], capsys)
    assert [c for c, _, _ in findings(out)] == ["LM101"]


def test_severity_override_and_per_file_ignores(repo, capsys):
    (repo / ".lintmig.yaml").write_text(
        "rules:\n  LM101: warning\n  LM402: off\nper_file_ignores:\n  'db/migrations/0001.sql': [non-concurrent-index]\n")
    code, out, _ = run(["check", "--no-cache", "--format", "json", "db"], capsys)
    assert code == 0
    assert findings(out) == [("LM101", "warning", {"by": "config", "reason": "per_file_ignores in the config file"})]
    assert json.loads(out)["summary"] == {"errors": 0, "warnings": 0, "suppressed": 1}


def test_exclude_and_embedded_globs_are_relative_to_the_config_file(repo, monkeypatch, capsys):
    (repo / "cmd").mkdir()
    (repo / "cmd" / "db.go").write_text('package main\nfunc m() { db.Exec("CREATE INDEX ix ON t (a)") }\n')
    (repo / ".lintmig.yaml").write_text("exclude: ['db/migrations/0001.sql']\nembedded: ['cmd/*.go']\n")
    monkeypatch.chdir(repo / "cmd")
    _, out, _ = run(["check", "--no-cache", "--format", "json", "--select", "LM101", str(repo)], capsys)
    doc = json.loads(out)
    assert doc["files_scanned"] == 1 and doc["findings"][0]["path"].endswith("db.go")


def test_sql_transaction_per_glob(repo, capsys):
    (repo / "db" / "migrations" / "0002.sql").write_text("CREATE INDEX CONCURRENTLY ix_b ON orders (b);\n")
    (repo / ".lintmig.yaml").write_text("sql_transaction:\n  'db/migrations/000[2-9].sql': per_file\n")
    _, out, _ = run(["check", "--no-cache", "--format", "json", "--select", "LM401", "db"], capsys)
    assert [f["path"].endswith("0002.sql") for f in json.loads(out)["findings"]] == [True]


def test_dialects_per_glob_read_each_folder_for_its_database(repo, capsys):
    (repo / "db" / "mysql").mkdir()
    (repo / "db" / "mysql" / "0002.sql").write_text("ALTER TABLE orders MODIFY a bigint, ALGORITHM=COPY;\n")
    (repo / "db" / "sqlite").mkdir()
    (repo / "db" / "sqlite" / "0002.sql").write_text("CREATE INDEX ix_b ON orders (b);\n")
    (repo / ".lintmig.yaml").write_text("dialects:\n  'db/mysql/**': mysql\n  'db/sqlite/*.sql': sqlite\n")
    _, out, _ = run(["check", "--no-cache", "--format", "json", "--select", "LM004,LM101,LM102,LM111", "db"], capsys)
    found = sorted((f["path"].split("db/")[-1], f["code"]) for f in json.loads(out)["findings"])
    assert found == [("migrations/0001.sql", "LM101"), ("mysql/0002.sql", "LM111"), ("sqlite/0002.sql", "LM102")]


def test_explicit_config_file(repo, tmp_path, capsys):
    other = tmp_path / "elsewhere.yaml"
    other.write_text("dialect: sqlite\n")
    _, out, _ = run(["check", "--no-cache", "--format", "json", "--config", str(other), "--select", "LM101,LM102", "db"], capsys)
    assert [c for c, _, _ in findings(out)] == ["LM102"]


@pytest.mark.parametrize("content,needle", [
    ("dialect: oracle\n", "dialect: 'oracle' is not one of"),
    ("dialects:\n  'db/**': oracle\n", "dialects: 'oracle' is not one of"),
    ("dialects: [mysql]\n", "dialects: expected a mapping of glob"),
    ("colour: red\n", "unknown key 'colour'"),
    ("rules:\n  LM999: off\n", "unknown rule 'LM999'"),
    ("rules:\n  LM101: loud\n", "'loud' is not one of off, warning, error"),
    ("postgres_version: fifteen\n", "postgres_version: expected int"),
    ("per_file_ignores: [x]\n", "per_file_ignores: expected a mapping"),
    ("dialect: [unclosed\n", "not valid YAML"),
])
def test_bad_config_is_exit_2_naming_key_and_file(repo, content, needle, capsys):
    (repo / ".lintmig.yaml").write_text(content)
    code, out, err = run(["check", "--no-cache", "db"], capsys)
    assert code == 2 and needle in err and ".lintmig.yaml" in err and "Traceback" not in err
