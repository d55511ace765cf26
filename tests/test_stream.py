"""A path run checks each migration as soon as it and those before it are read, while the
workers still parse later files: the findings are those of checking the whole run after
reading it, and a migration is judged only on what the migrations before it leave."""
from __future__ import annotations

import os
import signal

import pytest

from conftest import as_ci, feature_branch, make_config, write_folder
from lintmig import engine, judge
from lintmig.extract import batch, extract_file
from lintmig.model import Migration

# Forty files (enough for the process pool) whose findings depend on earlier files: tables
# created earlier are new only in their own migration, a rename, a unique index made later,
# an index dropped after its table was renamed, timeouts set per file.
FILES = {
    "0001_create.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY, code text, note text);\n"
                       "CREATE INDEX ix_accounts_note ON accounts (note);\n",
    "0002_fill.sql": "UPDATE accounts SET note = 'x' WHERE code = 'abc';\n",
    "0003_key.sql": "SET lock_timeout = '2s';\nCREATE UNIQUE INDEX CONCURRENTLY accounts_code ON accounts (code);\n",
    "0004_fill_again.sql": "UPDATE accounts SET note = 'y' WHERE code = 'abc';\n",
    "0005_drop_index.sql": "DROP INDEX ix_accounts_note;\n",
    "0006_rename.sql": "ALTER TABLE accounts RENAME TO customers;\n",
}
for _n in range(7, 41):
    FILES[f"{_n:04d}_more.sql"] = (f"CREATE TABLE t{_n} (id bigint PRIMARY KEY, v int);\nCREATE INDEX ix_{_n} ON t{_n} (v);\n"
                                  f"ALTER TABLE customers ADD COLUMN c{_n} int NOT NULL DEFAULT {_n};\n"
                                  f"CREATE INDEX ix_c{_n} ON customers (c{_n});\n")


UNREADABLE = "0020_fifo.sql"


def _folder(tmp_path):
    folder = write_folder(tmp_path, dict(reversed(FILES.items())))  # created out of order: the run sorts them
    # known unreadable before any file is parsed: it still waits for the files before it
    os.mkfifo(folder / UNREADABLE)
    return folder


class _Recording(judge.Stream):
    seen: list = []

    def __call__(self, mig):
        _Recording.seen.append(os.path.basename(mig.path))
        super().__call__(mig)


class _Refusing(judge.Stream):
    def __call__(self, mig):
        self.broken = True


def _keys(findings):
    return [(os.path.basename(f.path), f.span.line, f.code, f.table, f.message) for f in findings]


def _crash_on_0017(job):
    if job[0].endswith("0017_more.sql"):
        import faulthandler

        faulthandler.disable()
        os.kill(os.getpid(), signal.SIGSEGV)
    return extract_file(*job)


@pytest.mark.parametrize("crash", [False, True], ids=["all-read", "a-worker-dies"])
def test_checking_while_reading_finds_what_checking_after_reading_finds(tmp_path, monkeypatch, crash):
    folder = _folder(tmp_path)
    if crash:  # the chunks after a dead worker's arrive late, and still in order
        monkeypatch.setattr(batch, "_extract_job", _crash_on_0017)
    _Recording.seen = []
    monkeypatch.setattr(engine, "Stream", _Recording)
    streamed = engine.lint_paths([str(folder)], make_config()).findings
    assert _Recording.seen == sorted([*FILES, UNREADABLE])
    monkeypatch.setattr(engine, "Stream", _Refusing)  # every migration read first, then check_all
    after = engine.lint_paths([str(folder)], make_config()).findings
    assert _keys(streamed) == _keys(after)
    assert ("0017_more.sql", "LM001") in {(os.path.basename(f.path), f.code) for f in streamed} if crash else True
    # and what was found is what the earlier files say
    found = {(name, code, table) for name, _, code, table, _ in _keys(streamed)}
    assert ("0002_fill.sql", "LM301", "accounts") in found  # no key on code yet
    assert ("0004_fill_again.sql", "LM301", "accounts") not in found  # 0003 made code unique
    assert ("0005_drop_index.sql", "LM103", "accounts") in found  # renamed only later
    assert ("0007_more.sql", "LM101", "t7") not in found and ("0007_more.sql", "LM101", "customers") in found


def test_a_key_made_later_in_the_same_change_does_not_bound_an_earlier_update(tmp_path, monkeypatch):
    """Diff mode walks every migration of the change before checking: a key still counts
    only from the operation that makes it."""
    repo = feature_branch(tmp_path / "repo", {"db/migrations/0001_create.sql": FILES["0001_create.sql"]})
    for name in ("0002_fill.sql", "0003_key.sql", "0004_fill_again.sql"):
        (repo / "db" / "migrations" / name).write_text(FILES[name])
    monkeypatch.chdir(repo)
    as_ci(monkeypatch)
    found = engine.lint_change(make_config(select=["LM301"]), None, False, []).findings
    assert [os.path.basename(f.path) for f in found] == ["0002_fill.sql"]


def _revisions(tmp_path, count, name_of):
    """An Alembic project of `count` revisions in one chain with a merge near its end; each
    adds a table, then indexes the one before (new only in its own revision) and updates
    one row of it by its key (known only once the revision that made it is walked)."""
    versions = tmp_path / "alembic" / "versions"
    versions.mkdir(parents=True)
    (tmp_path / "alembic" / "env.py").write_text(
        "from alembic import context\nfrom sqlalchemy import text\n\n\ndef run_migrations_online(connection):\n"
        "    connection.execute(text(\"SET lock_timeout = '3s'\"))\n"
        "    context.configure(connection=connection, transaction_per_migration=True)\n")
    for i in range(count):
        down = f'("r{i - 1}", "side")' if i == count - 1 else f'"r{i - 1}"' if i else "None"
        body = (f'    op.create_table("t{i}", sa.Column("id", sa.Integer, primary_key=True), sa.Column("v", sa.Text))\n'
                + (f'    op.create_index("ix_t{i - 1}", "t{i - 1}", ["v"])\n    op.execute("UPDATE t{i - 1} SET v = 1 WHERE id = 5")\n'
                   if i else ""))
        (versions / name_of(i)).write_text(
            f'from alembic import op\nimport sqlalchemy as sa\n\nrevision = "r{i}"\ndown_revision = {down}\n\n\n'
            f'def upgrade():\n{body}')
    (versions / "zz_side.py").write_text(
        'from alembic import op\n\nrevision = "side"\ndown_revision = "r0"\n\n\n'
        'def upgrade():\n    op.drop_index("ix_t0", table_name="t0")\n')
    return tmp_path


class _Counting(judge.Stream):
    """How many migrations were checked before the last file was read."""
    before_finish: list = []
    checked = 0

    def _check(self, mig):
        self.checked += 1
        super()._check(mig)

    def finish(self):
        _Counting.before_finish.append(self.checked)
        super().finish()


@pytest.mark.parametrize("names", ["chain", "hashed"])
def test_revisions_are_checked_in_revision_order_while_read(tmp_path, monkeypatch, names):
    """File names in chain order stream; hash-like names (whose order says nothing, and
    more revisions wait for their parents than the stream looks at) are placed at the end.
    The findings are those of checking after reading, either way."""
    import hashlib

    count = judge.Stream.WAITING + 44
    if names == "chain":
        project = _revisions(tmp_path, count, lambda i: f"{i:04d}_step.py")
    else:
        project = _revisions(tmp_path, count, lambda i: hashlib.sha1(str(i).encode()).hexdigest()[:12] + "_step.py")
    _Counting.before_finish = []
    monkeypatch.setattr(engine, "Stream", _Counting)
    streamed = engine.lint_paths([str(project)], make_config()).findings
    monkeypatch.setattr(engine, "Stream", _Refusing)
    after = engine.lint_paths([str(project)], make_config()).findings
    assert _keys(streamed) == _keys(after)
    (checked_early,) = _Counting.before_finish
    assert checked_early > count // 2 if names == "chain" else checked_early < count // 2
    found = [(os.path.basename(f.path), f.code, f.table) for f in streamed]
    assert sum(code == "LM101" for _, code, _ in found) == count - 1  # every table is old for the next revision
    assert not any(code in ("LM301", "LM402") for _, code, _ in found)  # the key is known; env.py sets a timeout
    assert [(name, code) for name, code, _ in found if name == "zz_side.py"] == [("zz_side.py", "LM103")]


@pytest.mark.parametrize("duplicate", [False, True], ids=["cycle", "cycle-and-a-second-claim"])
def test_revisions_in_a_cycle_or_naming_absent_parents_are_checked_as_after_reading(tmp_path, monkeypatch, duplicate):
    """Hostile chains: every revision's parent chain loops back to itself, one names a parent
    no file has, and (second case) two files claim one revision."""
    count = 40
    for i in range(count):
        parents = f'("r{(i - 1) % count}", "nowhere")' if i == 5 else f'"r{(i - 1) % count}"'
        (tmp_path / f"{(i * 7) % count:03d}_step.py").write_text(
            f'from alembic import op\n\nrevision = "r{i}"\ndown_revision = {parents}\n\n\n'
            f'def upgrade():\n    op.create_index("ix_{i}", "t{i}", ["a"])\n    op.drop_index("ix_{(i - 1) % count}")\n')
    if duplicate:
        (tmp_path / "dup.py").write_text('from alembic import op\n\nrevision = "r3"\ndown_revision = "r2"\n\n\n'
                                         'def upgrade():\n    op.drop_index("ix_z")\n')
    streamed = engine.lint_paths([str(tmp_path)], make_config()).findings
    monkeypatch.setattr(engine, "Stream", _Refusing)
    after = engine.lint_paths([str(tmp_path)], make_config()).findings
    assert _keys(streamed) == _keys(after)
    assert len({f.path for f in streamed}) == count + duplicate
    dropped = [f.table for f in streamed if f.code == "LM103"]
    assert len(dropped) == count + duplicate
    if not duplicate:  # the cycle is cut once, where the revision that closes it runs first:
        assert dropped.count(None) == 1  # only there is the index one no revision before made


def test_a_second_claim_to_a_revision_or_another_database_stops_the_stream():
    for second in (Migration(path="a/0002.py", host="alembic", dialect="postgres", operations=[], revision="r1"),
                   Migration(path="a/0002.sql", host="sql", dialect="mysql", operations=[])):
        stream = judge.Stream(make_config())
        stream(Migration(path="a/0001.py", host="alembic", dialect="postgres", operations=[], revision="r1"))
        assert not stream.broken and not stream.waiting
        stream(second)
        assert stream.broken and stream.found == []
        stream(Migration(path="a/0003.sql", host="sql", dialect="postgres", operations=[]))
        stream.finish()
        assert stream.broken and stream.found == []


def test_an_operation_crosses_from_a_worker_with_every_field():
    """Workers pickle operations field by field (Operation.__reduce__): a field added to
    the class and not to the list would come back as its default."""
    import dataclasses
    import pickle

    from lintmig.model import Operation, Span, Txn

    values = {"kind": "update", "table": "t", "span": Span(1, 2, 3, 4), "args": {"bounds": [["id"]]}, "anchor": 5,
              "txn": Txn("file", "goose"), "deliberate_no_txn": True, "in_loop": True, "safe_call": "m.backfill"}
    assert {f.name for f in dataclasses.fields(Operation)} == set(values)  # every field has a value unlike its default
    back = pickle.loads(pickle.dumps(Operation(**values), pickle.HIGHEST_PROTOCOL))
    assert {name: getattr(back, name) for name in values} == values
