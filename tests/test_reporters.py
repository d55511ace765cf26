"""SARIF, GitHub annotations, GitLab Code Quality and markdown render what a run found."""
from __future__ import annotations

import json

from conftest import make_config
from lintmig import catalog
from lintmig.cli import main
from lintmig.engine import lint_paths

MIGRATION = ("SET lock_timeout = '2s';\n"
             "-- PREFLIGHT: async=true reason=\"built in 2s on an 80K row staging copy\"\n"
             "CREATE INDEX ix_a ON orders (a);\n"
             "CREATE INDEX ix_b ON orders (b);\n"
             "UPDATE orders SET note = 'a,b: 100%';\n")


def result(tmp_path, text=MIGRATION):
    path = tmp_path / "0001.sql"
    path.write_text(text)
    return lint_paths([str(path)], make_config())


def render(fmt, res, **kw):
    from lintmig.report import render as r

    return "".join(r(fmt, res, **kw))


def test_sarif(tmp_path):
    doc = json.loads(render("sarif", result(tmp_path)))
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(catalog.load())
    assert all(r["helpUri"].startswith("https://") and r["shortDescription"]["text"] for r in rules)
    results = run["results"]
    assert sorted(r["ruleId"] for r in results) == ["LM101", "LM301"]  # the suppressed LM101 is left out
    for r in results:
        region = r["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1 and rules[r["ruleIndex"]]["id"] == r["ruleId"]
        assert not r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("/")
    with_suppressed = json.loads(render("sarif", result(tmp_path), sarif_include_suppressed=True))["runs"][0]["results"]
    assert [r["suppressions"][0]["kind"] for r in with_suppressed if "suppressions" in r] == ["inSource"]


def test_github_annotations_escape_and_cap(tmp_path, capsys, monkeypatch):
    out = render("github", result(tmp_path)).splitlines()
    assert out[0].startswith("::error file=") and ",line=4,col=1," in out[0]
    update = next(line for line in out if "LM301" in line)
    assert "title=LM301 unbounded-update::" in update and "%0Ahelp: " in update
    many = "SET lock_timeout = '2s';\n" + "".join(f"CREATE INDEX ix_{i} ON t (c{i});\n" for i in range(12)) + \
        "SET lock_timeout = 0;\n" + "".join(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS c_{i} ON t (d{i});\n" for i in range(12))
    lines = render("github", result(tmp_path, many)).splitlines()
    assert sum(line.startswith("::error") for line in lines) == 10
    assert sum(line.startswith("::warning") for line in lines) == 10
    assert lines[-1].startswith("::notice") and "4 more findings" in lines[-1]
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    main(["check", "--no-cache", "--format", "github", str(tmp_path / "0001.sql")])
    capsys.readouterr()
    assert summary.read_text().startswith("## lintmig")


def test_github_property_escaping():
    from lintmig.report.github import _data, _prop

    assert _prop("a:b,c%") == "a%3Ab%2Cc%25" and _data("x\ny%") == "x%0Ay%25"


def test_gitlab_fingerprints_are_stable_and_unique(tmp_path):
    first = json.loads(render("gitlab", result(tmp_path)))
    moved = json.loads(render("gitlab", result(tmp_path, "\n\n" + MIGRATION)))
    assert [i["fingerprint"] for i in first] == [i["fingerprint"] for i in moved]
    assert len({i["fingerprint"] for i in first}) == len(first)
    assert {i["severity"] for i in first} == {"critical"} and first[0]["location"]["lines"]["begin"] >= 1


def test_markdown_lists_findings_then_accepted_risks(tmp_path):
    text = render("markdown", result(tmp_path))
    assert text.index("| where | rule | finding") < text.index("### Accepted risks")
    assert "preflight | built in 2s on an 80K row staging copy" in text
