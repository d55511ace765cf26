"""Shared helpers: lint a text or a file as a user would, through the engine."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from lintmig.config import Config
from lintmig.engine import lint_paths

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
sys.path.insert(0, str(Path(__file__).parent))  # tests/pgserver.py


def make_config(**options) -> Config:
    config = Config(cache=False)
    for key, value in options.items():
        if not hasattr(config, key):
            raise KeyError(f"unknown option {key}")
        setattr(config, key, value)
    return config.validate()


def write_folder(tmp_path: Path, files: dict[str, str], sub: str = "migrations") -> Path:
    """A folder of migrations at tmp_path/sub: {file name: text}."""
    folder = tmp_path / sub
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def lint_text(tmp_path: Path, text: str, name: str = "0001_migration.sql", snapshot=None, pr=None, **options):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return lint_paths([str(path)], make_config(**options), pr=pr, snapshot=snapshot)


def snapshot_file(folder: Path, tables: dict, captured_at: str = "", name: str = "stats.json") -> Path:
    """A stats snapshot of tables {name: rows} (100 bytes a row), captured now unless said."""
    import datetime as dt
    import json

    when = captured_at or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"lintmig_stats": 1, "captured_at": when, "database": "postgres", "tables": {
        table: {"rows": rows, "bytes": None if rows is None else rows * 100} for table, rows in tables.items()}}))
    return path


def git(repo: Path, *args: str) -> str:
    import subprocess

    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def init_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "dev@example.invalid")
    git(path, "config", "user.name", "dev")
    git(path, "commit", "-q", "--allow-empty", "-m", "root")
    return path


def feature_branch(path: Path, files: dict[str, str]) -> Path:
    """A repository whose `main` holds `files`, checked out on a new branch `feature`."""
    repo = init_repo(path)
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "feature")
    return repo


PR_AND_CI_VARIABLES = ("LINTMIG_BASE", "GITHUB_EVENT_PATH", "GITHUB_BASE_REF", "CI_MERGE_REQUEST_DIFF_BASE_SHA",
                       "CI_MERGE_REQUEST_IID", "CI_MERGE_REQUEST_DESCRIPTION", "LINTMIG_PR_BODY",
                       "PRE_COMMIT_FROM_REF", "PRE_COMMIT_TO_REF")


def as_ci(monkeypatch) -> None:
    """A CI run with no pull request known: nothing of the test machine's own CI leaks in."""
    for name in PR_AND_CI_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CI", "true")


def lint_in_repo(tmp_path: Path, before: str, after: str, name: str = "db/migrations/0001.sql", snapshot=None,
                 pr=None, **options):
    """`before` committed on main, then `after` in the working tree of a branch: diff mode."""
    from lintmig.engine import lint_change

    repo = init_repo(tmp_path / "repo")
    target = repo / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(before)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "feature")
    target.write_text(after)
    old = os.getcwd()
    os.chdir(repo)
    try:
        return lint_change(make_config(**options), None, False, [], pr=pr, snapshot=snapshot)
    finally:
        os.chdir(old)


@pytest.fixture(autouse=True)
def _no_color(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("NO_COLOR", "1")
    # The extraction cache lives in the user's cache directory: a fresh one per test.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
    yield


# --- the runner's real databases -----------------------------------------------------------

@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL server for the session. Missing binaries are an error, never a
    skip: `.ci/run` installs them."""
    from pgserver import Cluster

    cluster = Cluster().start()
    yield cluster
    cluster.stop()


_databases = iter(range(1, 10**6))


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path) -> str:
    """An empty database of each kind the runner supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/app.db"
    return request.getfixturevalue("pg_cluster").create_database(f"runner_{next(_databases)}")


def sql(url: str, statement: str, params=()) -> list:
    """One statement against a test database, committed (rows returned for queries)."""
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.split("///", 1)[1], timeout=30, isolation_level=None)
    else:
        import psycopg

        conn = psycopg.connect(url, autocommit=True)
        statement = statement.replace("?", "%s")
    try:
        cursor = conn.execute(statement, params) if params else conn.execute(statement)
        return cursor.fetchall() if cursor.description else []
    finally:
        conn.close()


def seed_items(url: str, count: int) -> None:
    """items(id, n) with `count` rows, n = id."""
    sql(url, "CREATE TABLE items (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
    sql(url, "CREATE TABLE events (name TEXT NOT NULL)")
    if url.startswith("sqlite"):
        sql(url, "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?) "
                 "INSERT INTO items (id, n) SELECT i, i FROM s", (count,))
    else:
        sql(url, "INSERT INTO items (id, n) SELECT i, i FROM generate_series(1, %s) i" % int(count))


def write_migrations(folder: Path, files: dict[str, str]) -> Path:
    import textwrap

    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text))
    return folder
