"""Opt-outs, after the checks: they turn findings into suppressed findings (never dropped)
and report malformed opt-outs (LM003) and opt-outs that silence nothing (LM002).

1. `PREFLIGHT: async=true reason="..." [rules=...]` in the comment block directly above a
   statement or block: scale rules of what follows.
2. `migration-unsafe-ack: <reason>` in the file's header: scale and correctness rules of
   the file (never LM001-LM003), subject to `unsafe_ack_label`.
3. `PREFLIGHT-MIGRATION-SCALE: <30s N=80K ... [table=t]` in the pull request description:
   scale rules of the whole change (or of one table).
4. Safe calls configured in `safe_calls`: the SQL inside them.
5. `per_file_ignores` of the config file.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from . import catalog
from .config import Config
from .model import Comment, Finding, Migration, Span, Suppression
from .pullrequest import PullRequest, claimed_rows
from .sizes import count, effort

UNSILENCEABLE = {"LM001", "LM002", "LM003", "LM006", "LM007", "LM008", "LM009"}
_PLACEHOLDERS = {
    "it's fine", "its fine", "it is fine", "fine", "ok", "okay", "safe", "n/a", "na", "none", "todo", "tbd",
    "trust me", "should be fine", "test", "x", "-", "...", "wip", "fixme", "later", "yes", "reason",
}


def _pairs(text: str) -> dict[str, str]:
    """`key=value`, `key="a value"`, `key='a value'` pairs, left to right, in one pass: a
    PREFLIGHT comment comes from the pull request and may be megabytes long."""
    out: dict[str, str] = {}
    pos, n = 0, len(text)
    eq = text.find("=")
    while eq >= 0:
        start = eq
        while start > pos and text[start - 1].isspace():
            start -= 1
        key_end = start
        while start > pos and (text[start - 1].isalnum() or text[start - 1] == "_"):
            start -= 1
        value_at = eq + 1
        while value_at < n and text[value_at].isspace():
            value_at += 1
        value, end = None, value_at
        if start < key_end and value_at < n:
            quote = text[value_at]
            if quote in "\"'":
                close = text.find(quote, value_at + 1)
                if close >= 0:
                    value, end = text[value_at + 1:close], close + 1
            else:
                while end < n and not text[end].isspace() and text[end] not in "\"'":
                    end += 1
                if end > value_at:
                    value = text[value_at:end]
        if value is not None:
            out.setdefault(text[start:key_end].lower(), value)
            pos = end
            eq = text.find("=", end)
        else:
            eq = text.find("=", eq + 1)
    return out


def weak_reason(reason: Optional[str]) -> Optional[str]:
    """Why a reason does not count, or None when it says something."""
    text = (reason or "").strip().strip("\"'").strip()
    if not text:
        return "it gives no reason"
    if text.lower().rstrip(".!") in _PLACEHOLDERS or len(text.split()) < 3:
        return f"'{text}' is not a reason: say why this is safe at scale, in a few words"
    return None


@dataclass
class _OptOut:
    kind: str  # preflight | unsafe-ack | pr-scale
    line: int
    reason: str
    rules: Optional[set[str]] = None  # None: every rule the kind may silence
    covers: set[int] = field(default_factory=set)  # statement lines (preflight)
    table: Optional[str] = None
    used: bool = False
    label_note: str = ""
    claimed_rows: Optional[int] = None  # N= of a PREFLIGHT or a scale line
    claimed_seconds: Optional[float] = None  # <30s of a scale line
    judged: set[str] = field(default_factory=set)  # tables its claim was checked against


def apply(findings: list[Finding], migrations: list[Migration], config: Config,
          pr: Optional[PullRequest] = None, snapshot=None) -> list[Finding]:
    rules = catalog.load()
    scale = {code for code, r in rules.items() if r.klass == "scale"}
    extra: list[Finding] = []
    by_path = {m.path: m for m in migrations}
    optouts: dict[str, list[_OptOut]] = {}
    for mig in migrations:
        optouts[mig.path] = _file_optouts(mig, scale, rules, extra)
        apply_labels(optouts[mig.path], config, pr)
    pr_lines = _pr_optouts(pr, config, extra) if pr else []
    runner_calls = any(op.safe_call for m in migrations for op in m.operations)
    if not (any(optouts.values()) or pr_lines or config.safe_calls or runner_calls or config.per_file_ignores
            or (pr and pr.truncated) or snapshot is not None):
        return _merge(findings, extra, config)
    for f in findings:
        if f.code in UNSILENCEABLE or f.suppressed is not None:
            continue
        mig = by_path.get(f.path)
        op = mig.operations[f.op] if mig is not None and f.op is not None else None
        lines = _op_lines(op) if op is not None else {f.span.line, f.anchor}
        for opt in optouts.get(f.path, []):
            if _silences(opt, f, lines, scale):
                opt.used = True
                if _claim_contradicted(opt, f, config, snapshot, rules, extra, f.path):
                    continue
                if opt.kind == "unsafe-ack" and opt.label_note.startswith("missing"):
                    f.message += f" (migration-unsafe-ack needs the pull request label '{config.unsafe_ack_label}')"
                    continue
                f.suppressed = Suppression(opt.kind, opt.reason + opt.label_note)
                break
        if f.suppressed is None and f.code in scale:
            for line in pr_lines:
                if line.table is None or line.table == f.table:
                    line.used = True
                    if _claim_contradicted(line, f, config, snapshot, rules, extra, "PR description"):
                        continue
                    f.suppressed = Suppression("pr-scale", line.reason)
                    break
        if f.suppressed is None and op is not None:
            _safe_call(f, op, config, scale)
        if f.suppressed is None:
            _per_file(f, config)
        if f.suppressed is None and f.code in scale:
            _small_table(f, config)
    for mig in migrations:
        for opt in optouts[mig.path]:
            if not opt.used and opt.kind == "preflight":
                extra.append(_meta("LM002", rules, mig.path, opt.line, "this PREFLIGHT silences nothing: no scale finding in what follows it"))
            elif not opt.used and opt.kind == "unsafe-ack":
                extra.append(_meta("LM002", rules, mig.path, opt.line, "this migration-unsafe-ack silences nothing in the file"))
    for line in pr_lines:
        if not line.used:
            extra.append(_meta("LM002", rules, "PR description", line.line, "the scale line silences nothing in this change"))
    if pr is not None and pr.truncated and not pr.scale_lines() and any(
            f.suppressed is None and f.code in scale for f in findings):
        extra.append(_meta("LM003", rules, "PR description", 1,
                           "GitLab truncated the merge request description and no scale line was found in what "
                           "it passed on: put PREFLIGHT-MIGRATION-SCALE near the top"))
    return _merge(findings, extra, config)


def _claim_contradicted(opt: _OptOut, f: Finding, config: Config, snapshot, rules, extra: list[Finding],
                        where: str) -> bool:
    """Whether the stats snapshot contradicts the row count an opt-out claims for f's table
    (then it does not silence f). Reports each contradicted claim once per table (LM007),
    and a claimed duration far below lintmig's estimate (LM008, the claim still holds)."""
    size = f.size
    if snapshot is None or size is None:  # sizes are on scale findings only
        return False
    first = size.table not in opt.judged
    opt.judged.add(size.table)
    if opt.claimed_rows is not None and size.rows is not None and size.rows > opt.claimed_rows * config.claim_margin:
        if first:
            extra.append(_meta("LM007", rules, where, opt.line,
                               f"the claim N={count(opt.claimed_rows)} understates {size.table}: the stats snapshot "
                               f"says {count(size.rows)} rows (captured {size.captured}); it silences nothing there",
                               table=size.table))
        return True
    if first and opt.claimed_seconds is not None and size.seconds is not None \
            and size.seconds > opt.claimed_seconds * config.duration_margin:
        extra.append(_meta("LM008", rules, where, opt.line,
                           f"the scale line claims <{opt.claimed_seconds:g}s; lintmig estimates {effort(size)} on "
                           f"{size.table} ({count(size.rows)} rows, stats captured {size.captured})", table=size.table))
    return False


def _small_table(f: Finding, config: Config) -> None:
    """A scale finding on a table the snapshot calls small is a note: it fails nothing."""
    size = f.size
    if size is not None and size.rows is not None and size.rows < config.small_table_rows:
        f.suppressed = Suppression("small-table", f"{size.table} has {size.rows:,} rows (stats captured "
                                                  f"{size.captured}; small_table_rows {config.small_table_rows:,})")


def _merge(findings: list[Finding], extra: list[Finding], config: Config) -> list[Finding]:
    """Add the opt-out findings (LM002, LM003) that are enabled, in file order."""
    extra = [f for f in extra if config.enabled(f.code)]
    if not extra:
        return findings  # already in migration order
    for f in extra:
        if config.rules.get(f.code) in ("warning", "error"):
            f.severity = config.rules[f.code]
    order = {}
    for f in findings:
        order.setdefault(f.path, len(order))
    return sorted(findings + extra, key=lambda f: (f.path != "PR description", order.get(f.path, len(order)), f.span, f.code))


def _meta(code: str, rules, path: str, line: int, message: str, table: Optional[str] = None) -> Finding:
    rule = rules[code]
    return Finding(code=code, name=rule.name, severity=rule.severity, path=path, span=Span(line, 1, line, 1),
                   message=message, help=rule.use_instead, anchor=line, table=table)


def _op_lines(op) -> set[int]:
    """Every line a comment block above may stand over to cover an operation: its own, its
    statement's, and those of the blocks around it (a `with`, an `if`)."""
    return {op.span.line, op.anchor, *(op.args.get("enclosing") or ())}


def _silences(opt: _OptOut, f: Finding, lines: set[int], scale: set[str]) -> bool:
    if opt.rules is not None and f.code not in opt.rules:
        return False
    if opt.kind == "preflight":
        return f.code in scale and bool(opt.covers & lines)
    return opt.kind == "unsafe-ack"


def _blocks(comments: list[Comment]) -> list[list[Comment]]:
    """Runs of comments on consecutive lines."""
    blocks: list[list[Comment]] = []
    for c in sorted(comments, key=lambda c: (c.line, c.end_line)):
        if blocks and c.line <= blocks[-1][-1].end_line + 1:
            blocks[-1].append(c)
        else:
            blocks.append([c])
    return blocks


def _body(comment: Comment) -> list[tuple[int, str]]:
    lines = comment.text.splitlines() or [""]
    return [(comment.line + i, re.sub(r"^\s*(--+|#+|//+|/\*+|\*+)\s?", "", t).rstrip("*/ ").strip())
            for i, t in enumerate(lines)]


def _speaks(comment: Comment) -> bool:
    return "PREFLIGHT:" in comment.text or "unsafe-ack:" in comment.text.lower()


def _file_optouts(mig: Migration, scale: set[str], rules, extra: list[Finding]) -> list[_OptOut]:
    found: list[_OptOut] = []
    if not any(_speaks(c) for c in mig.comments):
        return found  # most files say nothing to lintmig: spare their comments the sorting
    for block in _blocks(mig.comments):
        below = block[-1].end_line + 1
        for comment in block:
            if not _speaks(comment):
                continue  # most comments say nothing to lintmig: spare them the line split
            for line, text in _body(comment):
                if text.startswith("PREFLIGHT:"):
                    opt = _preflight(text[len("PREFLIGHT:"):], line, mig.path, scale, rules, extra)
                    if opt is not None:
                        opt.covers = {below}
                        found.append(opt)
                elif text.lower().startswith("migration-unsafe-ack:"):
                    reason = text.split(":", 1)[1].strip()
                    problem = weak_reason(reason)
                    if problem:
                        extra.append(_meta("LM003", rules, mig.path, line, f"migration-unsafe-ack ignored: {problem}"))
                    elif line > mig.header_end:
                        extra.append(_meta("LM003", rules, mig.path, line,
                                           "migration-unsafe-ack ignored: it must stand in the file's header, before the first statement"))
                    else:
                        found.append(_OptOut("unsafe-ack", line, reason))
    return found


def _preflight(text: str, line: int, path: str, scale: set[str], rules, extra: list[Finding]) -> Optional[_OptOut]:
    pairs = _pairs(text)
    problem = None
    if str(pairs.get("async", "")).lower() != "true":
        problem = "async must be true (async=true)"
    else:
        problem = weak_reason(pairs.get("reason"))
    selected = None
    if problem is None and "rules" in pairs:
        try:
            selected = set(catalog.resolve(pairs["rules"]))
        except ValueError as err:
            problem = str(err)
        else:
            correctness = sorted(selected - scale)
            if correctness:
                problem = f"PREFLIGHT silences scale rules only; {', '.join(correctness)} needs migration-unsafe-ack"
    if problem:
        extra.append(_meta("LM003", rules, path, line, f"PREFLIGHT ignored: {problem}"))
        return None
    return _OptOut("preflight", line, pairs["reason"], rules=selected,
                   claimed_rows=claimed_rows("N=" + pairs["n"]) if "n" in pairs else None)


def _pr_optouts(pr: PullRequest, config: Config, extra: list[Finding]) -> list[_OptOut]:
    rules = catalog.load()
    out = []
    for scale_line in pr.scale_lines():
        problem = scale_line.problem(config.budget_seconds)
        if problem:
            extra.append(_meta("LM003", rules, "PR description", scale_line.line, f"scale line ignored: {problem}"))
        else:
            out.append(_OptOut("pr-scale", scale_line.line, scale_line.text, table=scale_line.table,
                               claimed_rows=claimed_rows(scale_line.text), claimed_seconds=scale_line.seconds()))
    return out


def config_change_approval(label: Optional[str], pr: Optional[PullRequest]) -> Optional[str]:
    """Why a configuration change that weakens the gate (LM006) is approved, or None.

    In CI only the unsafe-ack label (as the base's configuration names it) approves it. A
    local run (no pull request, no CI) lets it through with a note: CI judges it again."""
    import os

    known = pr is not None and pr.labels is not None
    if known:
        return f"approved by the pull request label '{label}'" if label and label in pr.labels else None
    if os.environ.get("CI"):
        return None
    return "local run: the configuration change is not verified here; CI checks it against the base"


def apply_labels(optouts: list[_OptOut], config: Config, pr: Optional[PullRequest]) -> None:
    """The three label states of `unsafe_ack_label`."""
    if not config.unsafe_ack_label:
        return
    for opt in optouts:
        if opt.kind != "unsafe-ack":
            continue
        if pr is None or pr.labels is None:
            opt.label_note = " (label not verified)"
        elif config.unsafe_ack_label not in pr.labels:
            opt.label_note = "missing"


def _safe_call(f: Finding, op, config: Config, scale: set[str]) -> None:
    if op.safe_call and f.code in scale:  # the runner's and lintmig.alembic's own safe calls
        f.suppressed = Suppression("safe-runner", f"{op.safe_call} does this safely (lintmig's runner)")
        return
    names = set(op.args.get("calls") or ()) | ({op.safe_call} if op.safe_call else set())
    for call in config.safe_calls:
        if call["name"] in names and f.code in (call["rules"] or scale):
            f.suppressed = Suppression("safe-runner", f"runs inside {call['name']} (safe_calls)")
            return


def _per_file(f: Finding, config: Config) -> None:
    for glob, codes in config.per_file_ignores.items():
        if f.code in codes and config.matches([glob], f.path):
            f.suppressed = Suppression("config", "per_file_ignores in the config file")
            return
