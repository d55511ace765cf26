"""The README's install and CI snippets, run as written against a clone of this repository: a
`file://` URL stands in for the git host and the clone's HEAD for `<commit>`."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv

import pytest
import yaml

from conftest import PR_AND_CI_VARIABLES, ROOT, feature_branch, git, init_repo

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


@pytest.fixture(scope="module")
def installed(upstream, tmp_path_factory):
    """A virtual environment where the README's pip-from-git line ran: (environment, bin)."""
    lines = [line for block in _blocks("sh") for line in block.splitlines()
             if line.startswith("pip install") and "git+" in line]
    assert lines, "the README shows how to install from git"
    home = tmp_path_factory.mktemp("installed")
    env_dir = home / "venv"
    venv.create(env_dir, with_pip=True)
    environment = _clean_environment(env_dir)
    done = subprocess.run(_as_local(lines[0], upstream), shell=True, cwd=home, env=environment, capture_output=True,
                          text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return environment, env_dir / "bin"


def _clean_environment(env_dir) -> dict:
    """This machine's environment as a CI job would see it: the venv first on PATH, none of
    this test run's CI, pull request or Python settings."""
    environment = {k: v for k, v in os.environ.items() if k not in PR_AND_CI_VARIABLES and k != "CI"}
    environment["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{os.environ['PATH']}"
    environment.pop("PYTHONPATH", None)
    environment.pop("VIRTUAL_ENV", None)
    return environment


def test_the_pip_from_git_snippet_installs_a_working_lintmig(upstream, installed, tmp_path):
    environment, bin_dir = installed
    checked = subprocess.run([str(bin_dir / "lintmig"), "check", "--exit-zero", str(upstream[0] / "examples")],
                             cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0 and "LM101" in checked.stdout, checked.stdout + checked.stderr


def _merge_request(tmp_path):
    """A repository whose feature branch adds an index build on an existing table."""
    repo = feature_branch(tmp_path / "app", {"db/migrations/0001_orders.sql": "CREATE TABLE orders (id bigint, a int);\n"})
    (repo / "db" / "migrations" / "0002_index.sql").write_text("CREATE INDEX ix_orders_a ON orders (a);\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "index")
    return repo, git(repo, "rev-parse", "main").strip()


def _run_lines(lines: list[str], repo, environment, upstream) -> list[subprocess.CompletedProcess]:
    return [subprocess.run(_as_local(line, upstream), shell=True, cwd=repo, env=environment, capture_output=True,
                           text=True, timeout=1200) for line in lines]


def test_the_gitlab_ci_snippet_reports_code_quality_and_fails_the_job(upstream, installed, tmp_path):
    job = next(yaml.safe_load(block) for block in _blocks("yaml") if "codequality" in block)["lintmig"]
    repo, base = _merge_request(tmp_path)
    environment = {**installed[0], "CI": "true", "GITLAB_CI": "true", "CI_MERGE_REQUEST_IID": "7",
                   "CI_MERGE_REQUEST_DIFF_BASE_SHA": base, "CI_MERGE_REQUEST_DESCRIPTION": "Adds an index",
                   "CI_MERGE_REQUEST_LABELS": ""}
    install, report, gate = _run_lines(job["script"], repo, environment, upstream)
    assert install.returncode == 0, install.stderr[-2000:]
    assert report.returncode == 0, report.stderr
    quality = json.loads((repo / job["artifacts"]["reports"]["codequality"]).read_text())
    found = {(q["check_name"].split()[0], q["location"]["path"]) for q in quality}
    assert ("LM101", "db/migrations/0002_index.sql") in found and {path for _, path in found} == {
        "db/migrations/0002_index.sql"}
    assert gate.returncode == 1 and "0002_index.sql:1:1: LM101" in gate.stdout, gate.stdout + gate.stderr


def test_the_github_actions_steps_by_hand_annotate_and_write_sarif(upstream, installed, tmp_path):
    workflow = next(yaml.safe_load(block) for block in _blocks("yaml") if "upload-sarif" in block)
    lines = [step["run"] for step in workflow["jobs"]["lintmig"]["steps"] if "run" in step]
    repo, base = _merge_request(tmp_path)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"body": "Adds an index", "labels": [], "base": {"sha": base}}}))
    summary = tmp_path / "summary.md"
    environment = {**installed[0], "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request",
                   "GITHUB_EVENT_PATH": str(event), "GITHUB_STEP_SUMMARY": str(summary)}
    install, annotate, sarif = _run_lines(lines, repo, environment, upstream)
    assert install.returncode == 0, install.stderr[-2000:]
    assert annotate.returncode == 1 and "::error file=db/migrations/0002_index.sql,line=1" in annotate.stdout, \
        annotate.stdout + annotate.stderr
    assert "LM101" in summary.read_text()
    assert sarif.returncode == 0, sarif.stderr
    results = json.loads((repo / "lintmig.sarif").read_text())["runs"][0]["results"]
    assert "LM101" in {r["ruleId"] for r in results}


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
