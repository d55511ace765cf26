"""Diff mode on real temporary git repositories."""
from __future__ import annotations

import subprocess

import pytest

from conftest import git, init_repo
from lintmig.cli import main

UNSAFE = "-- orders index\nCREATE INDEX ix_orders_a ON orders (a);\n"
NEW = "CREATE INDEX ix_orders_b ON orders (b);\n"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    repo = init_repo(tmp_path / "repo")
    (repo / "db" / "migrations").mkdir(parents=True)
    (repo / "db" / "migrations" / "0001_old.sql").write_text(UNSAFE)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "old migration")
    git(repo, "checkout", "-q", "-b", "feature")
    monkeypatch.chdir(repo)
    for name in ("LINTMIG_BASE", "GITHUB_EVENT_PATH", "GITHUB_BASE_REF", "CI_MERGE_REQUEST_DIFF_BASE_SHA"):
        monkeypatch.delenv(name, raising=False)
    return repo


def reported(capsys, *argv):
    code = main(["check", "--no-cache", "--select", "LM101,LM005,LM401", "--format", "json", *argv])
    out, err = capsys.readouterr()
    import json

    if code == 2:
        return code, err
    return code, sorted((f["path"].split("/")[-1], f["code"], f["line"]) for f in json.loads(out)["findings"])


def test_only_what_the_branch_adds_is_reported(repo, capsys):
    old = repo / "db" / "migrations" / "0001_old.sql"
    old.write_text(old.read_text().replace("-- orders index", "-- the orders index"))
    (repo / "db" / "migrations" / "0002_new.sql").write_text(NEW)
    assert reported(capsys) == (1, [("0002_new.sql", "LM101", 1)])


def test_staged_unstaged_and_untracked(repo, capsys):
    for name in ("0002_staged.sql", "0003_unstaged.sql"):
        (repo / "db" / "migrations" / name).write_text(NEW)
    git(repo, "add", "db/migrations/0002_staged.sql")
    git(repo, "add", "-N", "db/migrations/0003_unstaged.sql")
    (repo / "db" / "migrations" / "0004_untracked.sql").write_text(NEW)
    code, found = reported(capsys)
    assert [f[0] for f in found] == ["0002_staged.sql", "0003_unstaged.sql", "0004_untracked.sql"]
    code, found = reported(capsys, "--staged")
    assert [f[0] for f in found] == ["0002_staged.sql"]


def test_committed_changes_and_a_rename(repo, capsys):
    git(repo, "mv", "db/migrations/0001_old.sql", "db/migrations/0001_renamed.sql")
    git(repo, "commit", "-q", "-m", "rename")
    assert reported(capsys) == (0, [])
    path = repo / "db" / "migrations" / "0001_renamed.sql"
    path.write_text(path.read_text() + NEW)
    assert reported(capsys) == (1, [("0001_renamed.sql", "LM005", 3), ("0001_renamed.sql", "LM101", 3)])


def test_removing_atomic_false_reports_what_it_changes(repo, capsys):
    app = repo / "shop" / "migrations"
    app.mkdir(parents=True)
    (app / "0001_ix.py").write_text(
        "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
        "    atomic = False\n    dependencies = []\n    operations = [\n"
        "        migrations.AddIndexConcurrently('order', models.Index(fields=['a'], name='order_a')),\n    ]\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "django")
    git(repo, "branch", "-f", "main")
    assert reported(capsys) == (0, [])
    text = (app / "0001_ix.py").read_text().replace("    atomic = False\n", "")
    (app / "0001_ix.py").write_text(text)
    assert ("0001_ix.py", "LM401", 7) in reported(capsys)[1]


def test_base_flag_narrows_named_paths(repo, capsys):
    (repo / "db" / "migrations" / "0002_new.sql").write_text(NEW)
    assert reported(capsys, "--base", "main", "db/migrations/0001_old.sql") == (0, [])
    assert reported(capsys, "db/migrations/0001_old.sql")[1] == [("0001_old.sql", "LM101", 2)]


def test_missing_base_and_shallow_clone_are_exit_2(repo, tmp_path, capsys, monkeypatch):
    code, err = reported(capsys, "--base", "no-such-branch")
    assert code == 2 and "fetch-depth: 0" in err
    (repo / "x.txt").write_text("x")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "feature work")
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", "feature", "--no-single-branch",
                    f"file://{repo}", str(shallow)], check=True, capture_output=True)
    monkeypatch.chdir(shallow)
    code, err = reported(capsys, "--base", "origin/main")
    assert code == 2 and "shallow" in err and "fetch-depth: 0" in err
