"""The GitHub Action (`action.yml`): its steps run as GitHub would run them, against a real
git repository and an event payload, with the REST API served by a local HTTP server
that records every call. One comment: created, updated in place, marked resolved."""
from __future__ import annotations

import json
import os
import re
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from conftest import ROOT, feature_branch, git

# Builds an environment from the package index: `pytest -m "not slow"` skips it.
pytestmark = pytest.mark.slow


class FakeGitHub:
    """Issue comments of one pull request, over HTTP; `refuse` answers writes with 403."""

    def __init__(self):
        self.calls: list[tuple[str, str]] = []
        self.comments: list[dict] = []
        self.refuse = False
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, code: int, payload) -> None:
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> dict:
                return json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")

            def do_GET(self):  # noqa: N802 (the server's naming)
                fake.calls.append(("GET", self.path))
                self._send(200, fake.comments if "page=1" in self.path else [])

            def do_POST(self):  # noqa: N802
                body = self._body()
                fake.calls.append(("POST", self.path))
                if fake.refuse:
                    return self._send(403, {"message": "Resource not accessible by integration"})
                fake.comments.append({"id": 100 + len(fake.comments), "body": body["body"]})
                self._send(201, fake.comments[-1])

            def do_PATCH(self):  # noqa: N802
                body = self._body()
                fake.calls.append(("PATCH", self.path))
                number = int(self.path.rsplit("/", 1)[1])
                for comment in fake.comments:
                    if comment["id"] == number:
                        comment["body"] = body["body"]
                self._send(200, {"id": number})

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


def _expand(text: str, context: dict) -> str:
    return re.sub(r"\$\{\{\s*([\w.-]+)\s*\}\}", lambda m: str(context.get(m.group(1), "")), text)


def run_action(repo, temp, event: dict, api: str, inputs: dict | None = None) -> tuple[int, str]:
    """Every step of action.yml in order, as a composite action runs them; (exit code of the
    job, what it printed)."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    values = {name: spec.get("default", "") for name, spec in action["inputs"].items()}
    values.update(inputs or {})
    event_path, output, summary = temp / "event.json", temp / "output", temp / "summary.md"
    event_path.write_text(json.dumps(event))
    context = {f"inputs.{k}": v for k, v in values.items()}
    context.update({"github.token": "token-123", "github.event_name": "pull_request"})
    printed = ""
    for step in action["runs"]["steps"]:
        condition = step.get("if")
        if condition and not all(_expand("${{ " + part.split("==")[0].strip() + " }}", context)
                                 == part.split("==")[1].strip().strip("'")
                                 for part in condition.split("&&")):
            continue
        output.write_text("")
        env = {**os.environ, "RUNNER_TEMP": str(temp), "GITHUB_ACTION_PATH": str(ROOT), "GITHUB_OUTPUT": str(output),
               "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_EVENT_PATH": str(event_path), "GITHUB_API_URL": api,
               "GITHUB_REPOSITORY": "acme/shop", "GITHUB_EVENT_NAME": "pull_request", "NO_COLOR": "1"}
        env.pop("VIRTUAL_ENV", None)
        env.update({k: _expand(str(v), context) for k, v in (step.get("env") or {}).items()})
        installed_before = "lintmig-venv/bin/pip" in step["run"] and (temp / "lintmig-venv").exists()
        if not installed_before:  # later pushes reuse the environment the first run built
            done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", _expand(step["run"], context)],
                                  cwd=repo, env=env, capture_output=True, text=True, timeout=1200)
            printed += done.stdout + done.stderr
            if done.returncode != 0:
                return done.returncode, printed
        for line in output.read_text().splitlines():
            key, _, value = line.partition("=")
            context[f"steps.{step.get('id')}.outputs.{key}"] = value
    return 0, printed


def test_the_action_keeps_one_sticky_comment(tmp_path):
    repo = feature_branch(tmp_path / "repo", {"db/migrations/0001_base.sql": "CREATE TABLE orders (id bigint);\n"})
    migration = repo / "db" / "migrations" / "0002_index.sql"
    migration.write_text("CREATE INDEX ix_orders_a ON orders (a);\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "index")
    base = git(repo, "rev-parse", "main").strip()
    event = {"pull_request": {"number": 7, "body": "", "labels": [], "base": {"sha": base}}}
    github, temp = FakeGitHub(), tmp_path / "runner-temp"
    temp.mkdir()

    code, printed = run_action(repo, temp, event, github.url)
    assert code == 1, printed  # the findings fail the job
    assert [c[0] for c in github.calls] == ["GET", "POST"] and len(github.comments) == 1
    assert "LM101" in github.comments[0]["body"] and "::error file=db/migrations/0002_index.sql" in printed
    summary = (temp / "summary.md").read_text()
    assert "LM101" in summary and summary.count("## lintmig") == 1  # the report once, not twice

    migration.write_text("CREATE INDEX ix_orders_a ON orders (a);\nCREATE INDEX ix_orders_b ON orders (b);\n")
    git(repo, "commit", "-q", "-am", "another index")
    github.calls.clear()
    code, printed = run_action(repo, temp, event, github.url)
    assert code == 1 and [c[0] for c in github.calls] == ["GET", "PATCH"] and len(github.comments) == 1
    assert "ix_orders_b" in github.comments[0]["body"] or github.comments[0]["body"].count("LM101") == 2

    migration.unlink()
    git(repo, "commit", "-q", "-am", "drop the index migration")
    github.calls.clear()
    code, printed = run_action(repo, temp, event, github.url)
    assert code == 0, printed
    assert [c[0] for c in github.calls] == ["GET", "PATCH"] and len(github.comments) == 1
    assert "Resolved" in github.comments[0]["body"]


def test_a_read_only_token_degrades_to_the_summary(tmp_path):
    repo = feature_branch(tmp_path / "repo", {"db/migrations/0001_base.sql": "CREATE TABLE orders (id bigint);\n"})
    (repo / "db" / "migrations" / "0002_index.sql").write_text("CREATE INDEX ix_orders_a ON orders (a);\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "index")
    event = {"pull_request": {"number": 8, "body": "", "labels": [],
                              "base": {"sha": git(repo, "rev-parse", "main").strip()}}}
    github, temp = FakeGitHub(), tmp_path / "runner-temp"
    temp.mkdir()
    github.refuse = True
    code, printed = run_action(repo, temp, event, github.url)
    assert code == 1  # the findings still fail the job; the comment step did not
    assert "the token may not write here" in printed and "LM101" in (temp / "summary.md").read_text()
