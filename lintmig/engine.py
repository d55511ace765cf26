"""discover -> extract -> checks -> suppress -> diff filter -> sort.

The engine owns the order of the pipeline and nothing else: front ends read files,
checks decide, reporters render.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional

from . import catalog
from .cache import cache_folder
from .collector import keep_to_the_end
from .config import Config
from .discover import paths_to_files
from .extract.batch import POOL_MIN_FILES, ContextKeys, extract_all, read_all
from .extract.registry import language
from .judge import Judge, Stream
from .model import Finding, Migration
from .order import migration_order, natural_key
from .results_cache import ResultCache, run_key


@dataclass
class Result:
    findings: list[Finding]
    files_scanned: int
    files_skipped: int = 0  # handed over but in no language lintmig reads (or down migrations)
    notes: list[str] = field(default_factory=list)  # shown with --show-suppressed

    def failed(self, fail_on: str) -> bool:
        levels = ("error",) if fail_on == "error" else ("error", "warning")
        return any(f.suppressed is None and f.severity in levels for f in self.findings)


def lint_paths(paths: list[str], config: Config, pr=None, progress=None, snapshot=None) -> Result:
    selection = paths_to_files(paths, config)
    scanned, skipped = len(selection.files), len(selection.skipped)
    datas = read_all(selection.files, config)
    context = ContextKeys(config.max_file_size)
    folder = cache_folder(config.cache)
    results = ResultCache(folder) if folder is not None else None
    key = run_key(datas, config, pr, context, snapshot) if results is not None else ""
    findings = results.get(key) if results is not None else None
    if findings is None:
        migrations, stream = _read(selection.files, datas, config, context, progress)
        del datas, selection  # the files' bytes: a 20 MB file is not held through the checks
        found = stream.found if stream is not None and not stream.broken else check_all(migrations, config, separate=True)
        findings = _judged(found, migrations, config, pr, snapshot)
        keep_to_the_end(migrations, stream)
        if results is not None:
            results.put(key, findings)
    return Result(_with_stale(findings, config, snapshot), scanned, skipped, _notes(pr))


def _read(files: list, datas: list, config: Config, context: ContextKeys, progress) -> tuple[list[Migration], Optional[Stream]]:
    """A path run's migrations, and the Stream that checked them while they were read, if
    one did. When there are enough files for the workers, each migration is checked in
    migration order as soon as it and the parents it names are read, while the workers still
    read the later ones; the findings are those of check_all either way. (Fewer files gain
    nothing, and a big one would be held in memory through its checks.)"""
    if len(files) < POOL_MIN_FILES or len({config.dialect_for(src.path) for src in files}) > 1:
        return extract_all(files, config, datas, context, progress), None
    order = sorted(range(len(files)), key=lambda i: natural_key(files[i].path))
    stream = Stream(config)
    migrations = extract_all([files[i] for i in order], config, [datas[i] for i in order], context, progress,
                             each=stream)
    stream.finish()
    return migrations, stream


def _judged(found: list[Finding], migrations: list[Migration], config: Config, pr, snapshot) -> list[Finding]:
    """The checks' findings with table sizes (a stats snapshot), then the opt-outs."""
    from .suppress import apply

    if snapshot is not None:
        from .sizes import attach

        attach(found, snapshot, config, catalog.load())
    return apply(found, migrations, config, pr, snapshot)


def _with_stale(findings: list[Finding], config: Config, snapshot) -> list[Finding]:
    """LM009 first when the snapshot is old (judged at every run: never cached)."""
    if snapshot is None:
        return findings
    from .sizes import stale

    found = stale(snapshot, config, catalog.load())
    return findings if found is None else [found, *findings]


def lint_change(config: Config, base: Optional[str], staged: bool, paths: list[str], pr=None,
                extra: Optional[list[Finding]] = None, progress=None, snapshot=None) -> Result:
    """Diff mode: the migrations a change adds or modifies, reported where the change is."""
    from .discover import changed_files

    selection, changes = changed_files(config, base, staged, paths)
    migrations = extract_all(selection.files, config, progress=progress)
    for mig in migrations:
        change = changes[mig.path]
        # A change to verdict context (a BEGIN, atomic, an opt-out) re-reports the whole file.
        whole = change.lines is None or change.context_changed
        mig.changed_lines = None if whole else frozenset(change.lines)
        mig.existed_at_base = change.existed
    history = _history(migrations, config)
    found = check_all(migrations, config, history=history)
    keep_to_the_end(migrations, history)
    findings = [f for f in extra or [] if config.enabled(f.code)] + _judged(found, migrations, config, pr, snapshot)
    return Result(_with_stale(_in_change(findings, migrations), config, snapshot), len(selection.files),
                  len(selection.skipped), _notes(pr))


def _notes(pr) -> list[str]:
    if pr is None:
        return []
    return [f"PR description line {line}: a scale line inside an HTML comment is not shown to reviewers "
            "and silences nothing" for line in pr.hidden_scale_lines()]


def _in_change(findings: list[Finding], migrations: list[Migration]) -> list[Finding]:
    """The diff filter: findings whose operation (or, for a finding about an opt-out, whose
    line) the change added or changed."""
    by_path = {m.path: m for m in migrations}
    kept = []
    for f in findings:
        mig = by_path.get(f.path)
        if mig is None or mig.changed_lines is None:
            kept.append(f)
            continue
        op = mig.operations[f.op] if f.op is not None else None
        where = op.span if op is not None else f.span
        lines = set(range(where.line, where.end_line + 1)) | {op.anchor if op is not None else f.anchor}
        if lines & mig.changed_lines:
            kept.append(f)
    return kept


def _history(migrations: list[Migration], config: Config) -> list[Migration]:
    """The migrations that ran before a change: in the folder of each migration the change
    adds or modifies, the other migrations that come before it (Alembic: its ancestors along
    down_revision; other tools: the files before it in the tool's order). Boot-time code has
    no history: it runs whole at every start."""
    from .discover import paths_to_files

    changed = {m.path for m in migrations}
    folders = sorted({os.path.dirname(m.path) or "." for m in migrations if m.host != "embedded"})
    if not folders:
        return []
    candidates = [src for folder in folders for src in paths_to_files([folder], config).files
                  if os.path.dirname(src.path) in folders and src.path not in changed
                  and language(src.path) != "embedded"]
    before = extract_all(candidates, config)
    by_revision = {m.revision: m for m in before if m.revision}
    keep: dict[str, Migration] = {}
    for mig in migrations:
        here = os.path.dirname(mig.path) or "."
        if mig.host == "alembic":
            stack = list(mig.depends_on)
            while stack:
                parent = by_revision.get(stack.pop())
                if parent is not None and parent.path not in keep:
                    keep[parent.path] = parent
                    stack.extend(parent.depends_on)
        elif mig.host != "embedded":
            mine = natural_key(os.path.basename(mig.path))
            for other in before:
                if (os.path.dirname(other.path) or ".") == here and other.host != "alembic" \
                        and natural_key(os.path.basename(other.path)) < mine:
                    keep[other.path] = other
    return [m for m in keep.values() if m.host != "unknown"]


def _is_added(migrations: list[Migration]):
    """op -> whether the change added or changed it (always, outside diff mode)."""
    if all(m.changed_lines is None for m in migrations):
        return None  # a path run, or whole files: no map of every operation to build
    owner = {id(op): m for m in migrations for op in m.operations}

    def is_added(op) -> bool:
        mig = owner.get(id(op))
        if mig is None or mig.changed_lines is None:
            return True
        return bool(set(range(op.span.line, op.span.end_line + 1)) & mig.changed_lines)

    return is_added


def check_all(migrations: list[Migration], config: Config, separate: bool = False,
              history: Optional[list[Migration]] = None) -> list[Finding]:
    """Findings of every migration. `separate`: each migration is its own change, judged
    against what the migrations before it leave (a path run); otherwise the migrations form
    one change (diff mode: a table one of them creates is new for the others). `history`:
    migrations that ran before the change (diff mode), replayed for the schema they leave
    and judged for nothing."""
    from .facts import ChangeFacts

    if len({m.dialect for m in migrations}) > 1:
        return _per_database(migrations, config, separate, history)
    if any(m.host == "alembic" for m in migrations):  # (libcst stays unimported otherwise)
        from .extract.alembic_env import attach

        attach(migrations, config)
    ordered = migration_order(migrations)
    # A path run checks each migration once it is walked (as a Stream does); the migrations
    # of one change are all walked first (a table one creates is new for the others).
    change = ChangeFacts([] if separate else ordered, config, is_added=_is_added(ordered), separate=separate,
                         history=migration_order(history or []))
    judge = Judge(change, config)
    findings: list[Finding] = []
    for mig in ordered:
        if separate:
            change.add(mig)
        findings.extend(judge.findings(mig))
    return findings


def _per_database(migrations: list[Migration], config: Config, separate: bool,
                  history: Optional[list[Migration]]) -> list[Finding]:
    """Migrations written for different databases (`x.mysql.up.sql` beside
    `x.postgres.up.sql`) run on different databases: each set is judged against its own
    schema, and the findings come in migration order."""
    by_dialect: dict[str, list[Migration]] = {}
    for mig in migrations:
        by_dialect.setdefault(mig.dialect, []).append(mig)
    found: list[Finding] = []
    for dialect, group in by_dialect.items():
        found.extend(check_all(group, config, separate, [m for m in history or [] if m.dialect == dialect]))
    position = {m.path: i for i, m in enumerate(migration_order(migrations))}
    return sorted(found, key=lambda f: position.get(f.path, -1))
