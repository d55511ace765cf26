"""The pre-commit hook, run through the real pre-commit tool (try-repo on this checkout)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, git, init_repo

# Real databases (or a hook environment built from the package index): `pytest -m "not slow"` skips them.
pytestmark = pytest.mark.slow


UNSAFE = "CREATE INDEX ix_orders_a ON orders (a);\n"


def test_hook_staged_and_all_files(tmp_path):
    precommit = shutil.which("pre-commit") or os.path.join(os.path.dirname(sys.executable), "pre-commit")
    repo = init_repo(tmp_path / "app")
    (repo / "db" / "migrations").mkdir(parents=True)
    (repo / "db" / "migrations" / "0001_safe.sql").write_text("CREATE TABLE notes (id bigint PRIMARY KEY);\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "db" / "migrations" / "0002_index.sql").write_text(UNSAFE)
    git(repo, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1"}
    staged = subprocess.run([precommit, "try-repo", str(ROOT), "lintmig"], cwd=repo, env=env,
                            capture_output=True, text=True, timeout=900)
    assert staged.returncode == 1, staged.stdout + staged.stderr
    assert "0002_index.sql:1:1: LM101 non-concurrent-index" in staged.stdout
    git(repo, "commit", "-q", "-m", "index")
    everything = subprocess.run([precommit, "try-repo", str(ROOT), "lintmig", "--all-files"], cwd=repo, env=env,
                                capture_output=True, text=True, timeout=900)
    # --all-files names files with nothing staged in them: the change is measured from the base (main).
    assert everything.returncode == 1 and "0002_index.sql" in everything.stdout
    assert "0001_safe.sql" not in everything.stdout
