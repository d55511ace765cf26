"""The README's install snippets, run as written against a clone of this repository: a
`file://` URL stands in for the git host and the clone's HEAD for `<commit>`."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv

import pytest

from conftest import ROOT, git, init_repo

# Builds environments from the package index: `pytest -m "not slow"` skips it.
pytestmark = pytest.mark.slow

URL = "https://github.com/lintmig/lintmig"


def _blocks(language: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    """A clone of this repository at its HEAD, as the git host would serve it."""
    clone = tmp_path_factory.mktemp("upstream") / "lintmig"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    commit = git(clone, "rev-parse", "HEAD").strip()
    return clone, commit


def _as_local(snippet: str, upstream) -> str:
    clone, commit = upstream
    # file://localhost/...: the host part keeps older pips' requirement parser happy; git takes it too.
    return snippet.replace(URL, f"file://localhost{clone}").replace("<commit>", commit)


def test_the_pip_from_git_snippet_installs_a_working_lintmig(upstream, tmp_path):
    lines = [line for block in _blocks("sh") for line in block.splitlines()
             if line.startswith("pip install") and "git+" in line]
    assert lines, "the README shows how to install from git"
    command = _as_local(lines[0], upstream)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    environment = {**os.environ, "PATH": f"{env_dir / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    environment.pop("PYTHONPATH", None)
    environment.pop("VIRTUAL_ENV", None)
    done = subprocess.run(command, shell=True, cwd=tmp_path, env=environment, capture_output=True, text=True,
                          timeout=1200)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    checked = subprocess.run([str(env_dir / "bin" / "lintmig"), "check", "--exit-zero", str(upstream[0] / "examples")],
                             cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0 and "LM101" in checked.stdout, checked.stdout + checked.stderr


def test_the_pre_commit_snippet_runs_the_hook(upstream, tmp_path):
    config = next(block for block in _blocks("yaml") if URL in block and "rev:" in block)
    precommit = shutil.which("pre-commit") or os.path.join(os.path.dirname(sys.executable), "pre-commit")
    repo = init_repo(tmp_path / "app")
    (repo / ".pre-commit-config.yaml").write_text(_as_local(config, upstream))
    (repo / "db" / "migrations").mkdir(parents=True)
    (repo / "db" / "migrations" / "0001_index.sql").write_text("CREATE INDEX ix_orders_a ON orders (a);\n")
    git(repo, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1"}
    done = subprocess.run([precommit, "run"], cwd=repo, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 1 and "0001_index.sql:1:1: LM101" in done.stdout, done.stdout + done.stderr
