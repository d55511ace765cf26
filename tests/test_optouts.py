"""Opt-outs that live outside the migration: the pull request's scale line and labels."""
from __future__ import annotations

import json

import pytest

from conftest import make_config
from lintmig.engine import lint_paths
from lintmig.pullrequest import PullRequest, from_environment

INDEX = "SET lock_timeout = '2s';\nCREATE INDEX ix_orders_a ON orders (a);\n"


def lint(tmp_path, pr, text=INDEX, **options):
    path = tmp_path / "0001.sql"
    path.write_text(text)
    return lint_paths([str(path)], make_config(**options), pr)


def states(result):
    return sorted((f.code, f.path if f.path == "PR description" else "file", f.suppressed.by if f.suppressed else None)
                  for f in result.findings)


@pytest.mark.parametrize("body", [
    "PREFLIGHT-MIGRATION-SCALE: <30s N=80K verified on staging snapshot",
    "Some text\n\nPREFLIGHT-MIGRATION-SCALE: < 30 s N=1.9M measured on a copy",
    "PREFLIGHT-MIGRATION-SCALE: <500ms N=80,000 table=orders",
    "PREFLIGHT-MIGRATION-SCALE: <2m N=120000",
])
def test_valid_scale_lines_silence_scale_findings(tmp_path, body):
    assert states(lint(tmp_path, PullRequest(body), budget_seconds=120)) == [("LM101", "file", "pr-scale")]


@pytest.mark.parametrize("body,needle", [
    ("PREFLIGHT-MIGRATION-SCALE: fast enough N=80K", "duration bound"),
    ("PREFLIGHT-MIGRATION-SCALE: <30s on staging", "row count"),
    ("PREFLIGHT-MIGRATION-SCALE: <90s N=80K", "over the budget of 30s"),
])
def test_malformed_scale_lines_are_lm003_in_the_pr_description(tmp_path, body, needle):
    result = lint(tmp_path, PullRequest("intro\n" + body))
    bad = [f for f in result.findings if f.code == "LM003"]
    assert len(bad) == 1 and bad[0].path == "PR description" and bad[0].span.line == 2 and needle in bad[0].message
    assert ("LM101", "file", None) in states(result)


@pytest.mark.parametrize("body", [
    "> PREFLIGHT-MIGRATION-SCALE: <30s N=80K quoted from a reviewer",
    "```\nPREFLIGHT-MIGRATION-SCALE: <30s N=80K\n```",
    "<!-- template:\nPREFLIGHT-MIGRATION-SCALE: <30s N=80K measured on ...\n-->",
])
def test_quotes_fences_and_template_comments_do_not_count(tmp_path, body):
    assert states(lint(tmp_path, PullRequest(body))) == [("LM101", "file", None)]


def test_table_scoped_line_and_unused_line(tmp_path):
    result = lint(tmp_path, PullRequest("PREFLIGHT-MIGRATION-SCALE: <30s N=80K table=events"))
    assert states(result) == [("LM002", "PR description", None), ("LM101", "file", None)]


ACK = "-- migration-unsafe-ack: orders has 40 rows in every deployment, checked per tenant\n" + INDEX


@pytest.mark.parametrize("labels,expected,note", [
    (["db-unsafe-ack"], "unsafe-ack", ""),
    (["other"], None, "needs the pull request label 'db-unsafe-ack'"),
    (None, "unsafe-ack", "label not verified"),
])
def test_unsafe_ack_label_states(tmp_path, labels, expected, note):
    pr = PullRequest("", labels) if labels is not None else None
    result = lint(tmp_path, pr, text=ACK, unsafe_ack_label="db-unsafe-ack")
    (finding,) = [f for f in result.findings if f.code == "LM101"]
    assert (finding.suppressed.by if finding.suppressed else None) == expected
    assert note in (finding.suppressed.reason if finding.suppressed else finding.message)


def test_gitlab_truncated_description_without_a_scale_line_is_reported(tmp_path):
    result = lint(tmp_path, PullRequest("long text", [], truncated=True))
    assert ("LM003", "PR description", None) in states(result)


def test_sources(tmp_path, monkeypatch):
    for name in ("LINTMIG_PR_BODY", "GITHUB_EVENT_PATH", "CI_MERGE_REQUEST_IID", "CI_MERGE_REQUEST_DESCRIPTION"):
        monkeypatch.delenv(name, raising=False)
    assert from_environment(None) is None
    body = tmp_path / "body.md"
    body.write_text("PREFLIGHT-MIGRATION-SCALE: <30s N=80K")
    assert from_environment(str(body)).scale_lines()[0].line == 1
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"body": "hello", "labels": [{"name": "db-unsafe-ack"}]}}))
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    pr = from_environment(None)
    assert pr.body == "hello" and pr.labels == ["db-unsafe-ack"]
    monkeypatch.delenv("GITHUB_EVENT_PATH")
    monkeypatch.setenv("CI_MERGE_REQUEST_IID", "7")
    monkeypatch.setenv("CI_MERGE_REQUEST_LABELS", "a,b")
    monkeypatch.setenv("CI_MERGE_REQUEST_DESCRIPTION_IS_TRUNCATED", "true")
    pr = from_environment(None)
    assert pr.labels == ["a", "b"] and pr.truncated
    monkeypatch.setenv("LINTMIG_PR_BODY", "from env")
    assert from_environment(None).body == "from env"


def test_safe_calls_from_config(tmp_path):
    path = tmp_path / "db.go"
    path.write_text('package main\nfunc m() {\n\tRunAsyncMigration(ctx, "ix", func(db *sql.DB) error {\n'
                    '\t\t_, err := db.Exec("CREATE INDEX ix ON events (kind)")\n\t\treturn err\n\t})\n}\n')
    config = make_config(dialect="sqlite", safe_calls=[{"name": "RunAsyncMigration", "rules": ["LM102"]}])
    (finding,) = lint_paths([str(path)], config).findings
    assert finding.code == "LM102" and finding.suppressed.by == "safe-runner"
