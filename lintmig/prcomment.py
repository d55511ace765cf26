"""One sticky pull request comment with lintmig's report, for the GitHub Action.

    python -m lintmig.prcomment REPORT.md RESULT.json

Finds the comment this tool wrote earlier on the pull request (by a hidden marker) and
updates it in place; writes one when there is none and there are findings; when the
findings are gone, marks the existing comment resolved. Uses GitHub's REST API with the
job's token (`GITHUB_TOKEN`), the standard library only. A token that may not write (pull
requests from forks) is not an error: the step summary still has the report.
"""
from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from typing import Optional

MARKER = "<!-- lintmig-report -->"
_LIMIT = 60000  # GitHub refuses comments over 65,536 characters


def _request(method: str, url: str, token: str, body: Optional[dict] = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Accept": "application/vnd.github+json", "Authorization": f"Bearer {token}",
        "X-GitHub-Api-Version": "2022-11-28", "Content-Type": "application/json", "User-Agent": "lintmig"})
    with urllib.request.urlopen(request, timeout=30) as response:
        payload = response.read()
        return json.loads(payload) if payload else None


def _existing(api: str, repo: str, number: int, token: str) -> Optional[dict]:
    page = 1
    while True:
        comments = _request("GET", f"{api}/repos/{repo}/issues/{number}/comments?per_page=100&page={page}", token)
        for comment in comments or []:
            if MARKER in (comment.get("body") or ""):
                return comment
        if not comments or len(comments) < 100:
            return None
        page += 1


def body_for(report: str, findings: int) -> str:
    if findings == 0:
        return f"{MARKER}\n## lintmig\n\nResolved: the latest push has no unsuppressed findings.\n"
    if len(report) > _LIMIT:
        report = report[:_LIMIT] + "\n\n(cut: the whole report is in the job's step summary)\n"
    return f"{MARKER}\n{report}"


def upsert(report: str, findings: int, event: dict, env: dict) -> str:
    """What was done: created, updated, resolved, nothing, or skipped (why)."""
    number = (event.get("pull_request") or {}).get("number")
    if not number:
        return "skipped: not a pull request event"
    api = env.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    repo, token = env.get("GITHUB_REPOSITORY", ""), env.get("GITHUB_TOKEN", "")
    if not repo or not token:
        return "skipped: GITHUB_REPOSITORY or GITHUB_TOKEN is not set"
    existing = _existing(api, repo, number, token)
    if existing is None and findings == 0:
        return "nothing: no findings and no earlier comment"
    body = body_for(report, findings)
    if existing is None:
        _request("POST", f"{api}/repos/{repo}/issues/{number}/comments", token, {"body": body})
        return "created"
    _request("PATCH", f"{api}/repos/{repo}/issues/comments/{existing['id']}", token, {"body": body})
    return "resolved" if findings == 0 else "updated"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m lintmig.prcomment REPORT.md RESULT.json", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as fh:
        report = fh.read()
    with open(argv[1], encoding="utf-8") as fh:
        summary = json.load(fh).get("summary") or {}
    findings = int(summary.get("errors", 0)) + int(summary.get("warnings", 0))
    event_path = os.environ.get("GITHUB_EVENT_PATH")
    try:
        with open(event_path or "", encoding="utf-8") as fh:
            event = json.load(fh)
    except (OSError, ValueError):
        event = {}
    try:
        done = upsert(report, findings, event, dict(os.environ))
    except urllib.error.HTTPError as err:
        if err.code in (403, 404):  # a fork's read-only token: the step summary has the report
            print(f"lintmig: the pull request comment was not written ({err.code}: the token may not write "
                  "here, as on pull requests from forks); the report is in the step summary")
            return 0
        print(f"lintmig: error: GitHub API {err.code} while writing the comment", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as err:
        print(f"lintmig: error: cannot reach the GitHub API: {err}", file=sys.stderr)
        return 1
    print(f"lintmig: pull request comment {done}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
