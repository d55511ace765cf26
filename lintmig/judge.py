"""The checks run over one migration at a time, against the facts of its change.

`Judge` holds which checks apply to which kind of operation; `Stream` feeds a path run's
migrations to it as extraction delivers them, so checking overlaps with reading.
"""
from __future__ import annotations

import operator
from collections import deque
from typing import Optional

from . import catalog
from .config import Config
from .model import Finding, Migration

_CODE, _SPAN = operator.attrgetter("code"), operator.attrgetter("span")
# Fields a front end could not evaluate (`unknown`), as a question the message can ask.
_UNKNOWN_WORDS = {
    "not_null": "whether the column allows NULL", "concurrently": "whether it runs CONCURRENTLY",
    "unique": "whether it is unique", "if_not_exists": "whether it has IF NOT EXISTS",
    "if_exists": "whether it has IF EXISTS", "not_valid": "whether it is NOT VALID",
    "has_default": "whether Django fills the existing rows with '' (blank=True, on a field class it does not know)",
}


class Judge:
    """Findings of one migration at a time, in migration order, from the facts walked so far
    (`change`: a ChangeFacts)."""

    def __init__(self, change, config: Config):
        from .checks import CHECKS

        self.change, self.config, self.checks = change, config, CHECKS
        self.by_kind: dict[str, list] = {}
        self.strict_rule = None
        self.dialects: dict[str, dict[str, list]] = {}  # by_kind, for the rules of one database
        for code, rule in catalog.load().items():
            if not config.enabled(code) or code not in CHECKS:
                continue
            if code == "LM118":  # asks for a scale decision no other rule asked for: runs last
                self.strict_rule = rule
                continue
            for kind in rule.applies_to:
                self.by_kind.setdefault(kind, []).append((rule, CHECKS[code]))

    def _for_dialect(self, dialect: str) -> dict[str, list]:
        found = self.dialects.get(dialect)
        if found is None:
            found = self.dialects[dialect] = {kind: [(rule, fn) for rule, fn in pairs if dialect in rule.dialects]
                                              for kind, pairs in self.by_kind.items()}
        return found

    def findings(self, mig: Migration) -> list[Finding]:
        from .checks import MigrationFacts

        found = self._check(mig, MigrationFacts(self.change, mig))
        found.sort(key=_CODE)  # then by position: two stable sorts make no key tuple per finding
        found.sort(key=_SPAN)
        return found

    def _check(self, mig: Migration, facts) -> list[Finding]:
        findings: list[Finding] = []
        severity, index = self.config.rules, _Index(mig.operations)
        by_kind = self._for_dialect(mig.dialect)
        for i, op in enumerate(mig.operations):
            index.current, index.at = id(op), i
            for rule, fn in by_kind.get(op.kind, ()):
                for hit in fn(op, facts):
                    findings.append(_finding(rule, hit, mig, severity, index))
                    if rule.klass == "scale":
                        facts.flagged.add(id(hit.op))
        strict_rule = self.strict_rule
        if strict_rule is not None and self.config.mode == "strict":
            fn = self.checks[strict_rule.code]
            for i, op in enumerate(mig.operations):
                index.current, index.at = id(op), i
                if op.kind in strict_rule.applies_to:
                    findings.extend(_finding(strict_rule, hit, mig, severity, index) for hit in fn(op, facts))
        return findings


class Stream:
    """A path run's checks while its files are still being read. The caller hands the
    migrations over in path order; each is walked and checked as soon as it has its place in
    migration order (every parent it names has arrived), so the findings are check_all's.

    A second migration claiming a revision, or one for another database, stops the stream
    (`broken`): the caller then checks the whole run at the end. When file names do not
    follow the revision chain (hash-named revisions), migrations wait for their parents;
    past WAITING of them the stream stops looking at each arrival and places the rest at
    `finish`, as check_all would."""

    WAITING = 256

    def __init__(self, config: Config):
        from .facts import ChangeFacts
        from .order import ParentsFirst

        self.config = config
        self.change = ChangeFacts([], config, separate=True)
        self.judge = Judge(self.change, config)
        self.found: list[Finding] = []
        self.dialect: Optional[str] = None
        self.broken = False
        self.order = ParentsFirst()
        self.waiting: deque = deque()
        self.blocked_on: Optional[str] = None  # a revision the first waiting migration needs
        self.env_settings = None

    def __call__(self, mig: Migration) -> None:
        if self.broken:
            return
        if self.dialect is None:
            self.dialect = mig.dialect
        if mig.dialect != self.dialect or (mig.revision and mig.revision in self.order.by_revision):
            self.broken, self.found, self.waiting = True, [], deque()
            return
        if mig.revision:
            self.order.by_revision[mig.revision] = mig
        self.waiting.append(mig)
        if len(self.waiting) <= self.WAITING and self.blocked_on in (None, mig.revision):
            self._place(final=False)

    def finish(self) -> None:
        """Check what still waits: every file is in, so a parent not seen is absent."""
        if not self.broken:
            self._place(final=True)

    def _place(self, final: bool) -> None:
        while self.waiting:
            if not final:
                self.blocked_on = self.order.missing(self.waiting[0])
                if self.blocked_on is not None:
                    return
            for mig in self.order.place(self.waiting.popleft()):
                self._check(mig)
        self.blocked_on = None

    def _check(self, mig: Migration) -> None:
        if mig.host == "alembic":
            if self.env_settings is None:
                from .extract.alembic_env import EnvSettingsOf

                self.env_settings = EnvSettingsOf(self.config)
            self.env_settings(mig)
        self.change.add(mig)
        self.found.extend(self.judge.findings(mig))


class _Index:
    """id(op) -> its position in the migration, built only if a finding names an operation
    other than the one being checked (a 20 MB file has hundreds of thousands)."""

    def __init__(self, ops: list):
        self.ops, self.current, self.at, self.built = ops, None, -1, None

    def get(self, key: int) -> Optional[int]:
        if key == self.current:
            return self.at
        if self.built is None:
            self.built = {id(op): i for i, op in enumerate(self.ops)}
        return self.built.get(key)


def _finding(rule: catalog.Rule, hit, mig: Migration, severity: dict, index: _Index) -> Finding:
    op = hit.op
    message = hit.message
    if op.args.get("unknown"):  # the check read them as absent: say so
        what = " or ".join(_UNKNOWN_WORDS.get(name, name) for name in op.args["unknown"])
        message += f" (lintmig could not tell from the code {what}, and judged the unsafe case)"
    return Finding(
        code=rule.code, name=rule.name, severity=severity.get(rule.code, rule.severity), path=mig.path, span=op.span,
        message=message, help=rule.use_instead, table=hit.table or op.table, anchor=op.anchor,
        op=index.get(id(op)),
    )

