"""Shared helpers: lint a text or a file as a user would, through the engine."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from lintmig.config import Config
from lintmig.engine import lint_paths

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def make_config(**options) -> Config:
    config = Config(cache=False)
    for key, value in options.items():
        if not hasattr(config, key):
            raise KeyError(f"unknown option {key}")
        setattr(config, key, value)
    return config.validate()


def lint_text(tmp_path: Path, text: str, name: str = "0001_migration.sql", **options):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return lint_paths([str(path)], make_config(**options))


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


def lint_in_repo(tmp_path: Path, before: str, after: str, name: str = "db/migrations/0001.sql", **options):
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
        return lint_change(make_config(**options), None, False, [])
    finally:
        os.chdir(old)


@pytest.fixture(autouse=True)
def _no_color(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    yield
