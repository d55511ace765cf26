"""The pull request a run belongs to: its description (for the scale line) and its labels.

Sources, first found wins: `--pr-body FILE` (`-` for stdin), `LINTMIG_PR_BODY`, the GitHub
event file (`GITHUB_EVENT_PATH`: pull_request.body and labels), GitLab's
`CI_MERGE_REQUEST_DESCRIPTION` / `CI_MERGE_REQUEST_LABELS`. Labels stay unknown (None)
unless a CI source gives them.
"""
from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from typing import Optional

from .config import UsageError

MARKER = "PREFLIGHT-MIGRATION-SCALE:"
_DURATION = re.compile(r"<\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min)\b", re.I)
_ROWS = re.compile(r"\bN\s*=\s*(\d[\d,]*(?:\.\d+)?)\s*([kKmM])?(?![\w.])")
_TABLE = re.compile(r"\btable\s*=\s*([\w.]+)")
_MOST_ROWS = 10 ** 18  # more than any table holds: a larger claim means no more


def claimed_rows(text: str) -> Optional[int]:
    """The row count a claim was measured on: `N=80K` -> 80000, `N=1.9M`, `N=120,000`."""
    m = _ROWS.search(text)
    if not m:
        return None
    number = float(m.group(1).replace(",", ""))  # a thousand digits read as infinity, not an error
    return int(min(number * {"k": 1e3, "m": 1e6}.get((m.group(2) or "").lower(), 1), _MOST_ROWS))


@dataclass
class ScaleLine:
    line: int
    text: str

    @property
    def table(self) -> Optional[str]:
        m = _TABLE.search(self.text)
        return m.group(1).lower() if m else None

    def seconds(self) -> Optional[float]:
        m = _DURATION.search(self.text)
        if not m:
            return None
        value, unit = float(m.group(1)), m.group(2).lower()
        return value / 1000 if unit == "ms" else value * 60 if unit in ("m", "min") else value

    def problem(self, budget: float) -> Optional[str]:
        seconds = self.seconds()
        if seconds is None:
            return "it needs a duration bound such as <30s"
        if not _ROWS.search(self.text):
            return "it needs the row count it was measured on, such as N=80K"
        if seconds > budget:
            return f"the bound {seconds:g}s is over the budget of {budget:g}s"
        return None


@dataclass
class PullRequest:
    body: str
    labels: Optional[list[str]] = None
    truncated: bool = False

    def scale_lines(self) -> list[ScaleLine]:
        """Scale lines a reviewer can see: not inside HTML comments (PR templates), quoted
        replies or code fences."""
        return self._lines()[0]

    def hidden_scale_lines(self) -> list[int]:
        """Line numbers of scale lines inside HTML comments: invisible in the rendered
        description, so they silence nothing."""
        return self._lines()[1]

    def _lines(self) -> tuple[list[ScaleLine], list[int]]:
        out, hidden, fence = [], [], False
        for number, (visible, invisible) in enumerate(_split_comments(self.body), start=1):
            if MARKER in invisible:
                hidden.append(number)
            line = visible.strip()
            if line.startswith(("```", "~~~")):
                fence = not fence
                continue
            if fence or line.startswith(">"):
                continue
            if MARKER in line:
                out.append(ScaleLine(number, line[line.index(MARKER) + len(MARKER):].strip()))
        return out, hidden


def _split_comments(body: str) -> list[tuple[str, str]]:
    """Per line of the body: (the text outside HTML comments, the text inside them). One
    pass with str.find: linear on any description."""
    visible, hidden = [], []
    pos, n, inside = 0, len(body), False
    while pos < n:
        mark = body.find("-->" if inside else "<!--", pos)
        end = n if mark < 0 else mark
        (hidden if inside else visible).append(body[pos:end])
        (visible if inside else hidden).append("\n" * body.count("\n", pos, end))
        pos = n if mark < 0 else mark + (3 if inside else 4)
        inside = not inside if mark >= 0 else inside
    shown, unseen = "".join(visible).split("\n"), "".join(hidden).split("\n")
    return list(zip(shown, unseen))


def from_environment(pr_body: Optional[str]) -> Optional[PullRequest]:
    if pr_body is not None:
        try:
            text = sys.stdin.read() if pr_body == "-" else open(pr_body, encoding="utf-8").read()
        except OSError as err:
            raise UsageError(f"{pr_body}: cannot read the pull request description: {err.strerror}") from None
        return PullRequest(text)
    if "LINTMIG_PR_BODY" in os.environ:
        return PullRequest(os.environ["LINTMIG_PR_BODY"])
    event = os.environ.get("GITHUB_EVENT_PATH")
    if event and os.path.isfile(event):
        try:
            with open(event, encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError):
            data = {}
        pull = data.get("pull_request") if isinstance(data, dict) else None
        if isinstance(pull, dict) and pull:
            labels = [str(label.get("name", "")) for label in pull.get("labels") or [] if isinstance(label, dict)]
            body = pull.get("body")
            return PullRequest(body if isinstance(body, str) else "", labels)
    if "CI_MERGE_REQUEST_IID" in os.environ or "CI_MERGE_REQUEST_DESCRIPTION" in os.environ:
        labels = [x.strip() for x in os.environ.get("CI_MERGE_REQUEST_LABELS", "").split(",") if x.strip()]
        truncated = os.environ.get("CI_MERGE_REQUEST_DESCRIPTION_IS_TRUNCATED", "").lower() == "true"
        return PullRequest(os.environ.get("CI_MERGE_REQUEST_DESCRIPTION", ""), labels, truncated)
    return None
