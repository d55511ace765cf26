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


@pytest.fixture(autouse=True)
def _no_color(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    yield
