"""The reference runner on real databases: SQLite files and a throwaway PostgreSQL server."""
from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT, seed_items, sql, write_migrations

from lintmig.runner import Runner, RunnerError, status

# Real databases (or a hook environment built from the package index): `pytest -m "not slow"` skips them.
pytestmark = pytest.mark.slow

DOMAIN_MIGRATIONS = {
    "0001_users.sql": """\
        -- a comment mentioning CONCURRENTLY and VACUUM is not a statement
        CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
        INSERT INTO users (id, email) VALUES (1, 'a@one.example'), (2, 'b@two.example'), (3, 'c;d@three.example');
        """,
    "0002_users_domain.py": """\
        def schema(m):
            m.execute("ALTER TABLE users ADD COLUMN domain TEXT")
            m.execute("INSERT INTO users (id, email) VALUES (4, 'e@four.example')")

        def data(m):
            after_at = "substr(email, instr(email, '@') + 1)" if m.dialect == "sqlite" else "split_part(email, '@', 2)"
            m.backfill("users", set=f"domain = upper({after_at})", where="domain IS NULL", batch_size=2)
            m.create_index("users_domain_idx", "users", ["domain"])
            m.execute("UPDATE users SET domain = lower(domain)")
        """,
}


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lintmig", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


def ledger(url: str) -> list[tuple]:
    return sql(url, "SELECT version, state, step, failures FROM lintmig_migrations ORDER BY version")


def index_is_valid(url: str, name: str) -> bool:
    if url.startswith("sqlite"):
        return bool(sql(url, "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)))
    found = sql(url, "SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass(?)", (name,))
    return bool(found and found[0][0])


def test_applies_a_folder_and_a_second_run_does_nothing(db_url, tmp_path):
    folder = write_migrations(tmp_path / "migrations", DOMAIN_MIGRATIONS)
    report = Runner(db_url, str(folder)).run()
    assert report.applied == ["0001_users.sql", "0002_users_domain.py"]
    assert report.finished == ["0002_users_domain.py"]
    assert ledger(db_url) == [(1, "done", 0, 0), (2, "done", 3, 0)]
    assert sql(db_url, "SELECT id, domain FROM users ORDER BY id") == [
        (1, "one.example"), (2, "two.example"), (3, "three.example"), (4, "four.example")]
    assert index_is_valid(db_url, "users_domain_idx")

    again = Runner(db_url, str(folder)).run()
    assert (again.applied, again.finished) == ([], [])
    assert sql(db_url, "SELECT count(*) FROM users") == [(4,)]  # the schema INSERT ran once

    done = cli("run", "--db", db_url, str(folder))
    assert done.returncode == 0, done.stderr
    assert "0 schema phase(s) applied" in done.stderr
    shown = cli("status", "--db", db_url, str(folder))
    assert shown.returncode == 0 and "users_domain" in shown.stdout and "work done" in shown.stdout


def test_a_changed_applied_migration_is_an_error_naming_it(db_url, tmp_path):
    folder = write_migrations(tmp_path / "migrations", DOMAIN_MIGRATIONS)
    Runner(db_url, str(folder)).run()
    (folder / "0001_users.sql").write_text((folder / "0001_users.sql").read_text() + "\n-- edited\n")
    done = cli("run", "--db", db_url, str(folder))
    assert done.returncode == 2
    assert "0001_users.sql: changed after it was applied" in done.stderr
    assert "Traceback" not in done.stderr
    shown = cli("status", "--db", db_url, str(folder))
    assert shown.returncode == 1 and "CHANGED SINCE APPLIED" in shown.stdout


@pytest.mark.parametrize("statement, word", [
    ("CREATE INDEX CONCURRENTLY users_email ON users (email);", "CONCURRENTLY"),
    ("create unique index concurrently users_email on users (email);", "CONCURRENTLY"),
    ("VACUUM users;", "VACUUM"),
    ("COMMIT;", "commits the schema transaction"),
])
def test_sql_that_cannot_run_in_the_schema_transaction_is_refused_at_load(tmp_path, statement, word):
    folder = write_migrations(tmp_path / "migrations", {
        "0001_users.sql": "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n\n" + statement + "\n"})
    done = cli("run", "--db", f"sqlite:///{tmp_path}/app.db", str(folder))
    assert done.returncode == 2
    assert "0001_users.sql:3: " in done.stderr and word in done.stderr
    assert "m.create_index" in done.stderr
    assert not (tmp_path / "app.db").exists() or not sql(f"sqlite:///{tmp_path}/app.db",
                                                           "SELECT name FROM sqlite_master WHERE name = 'users'")


@pytest.mark.parametrize("files, message", [
    ({"0001_a.py": "def data(m):\n    pass\n"}, "defines no schema(m)"),
    ({"first.sql": "SELECT 1;"}, "name it NNNN_name.sql"),
    ({"0001_a.sql": "SELECT 1;", "001_b.sql": "SELECT 2;"}, "version 1 is also"),
    ({"0001_a.py": "import nosuchmodule_here\n"}, "cannot be imported: ModuleNotFoundError"),
])
def test_a_folder_that_cannot_be_loaded_is_a_usage_error(tmp_path, files, message):
    folder = write_migrations(tmp_path / "migrations", files)
    done = cli("run", "--db", f"sqlite:///{tmp_path}/app.db", str(folder))
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_bad_urls_and_folders_are_usage_errors(tmp_path):
    assert "unsupported database URL" in cli("run", "--db", "mysql://x/y", str(tmp_path)).stderr
    done = cli("run", "--db", f"sqlite:///{tmp_path}/app.db", str(tmp_path / "missing"))
    assert done.returncode == 2 and "no such migrations folder" in done.stderr


def test_a_failing_schema_phase_leaves_nothing_behind(db_url, tmp_path):
    folder = write_migrations(tmp_path / "migrations", {
        "0001_users.sql": DOMAIN_MIGRATIONS["0001_users.sql"],
        "0002_broken.py": """\
            def schema(m):
                m.execute("CREATE TABLE audit (id INTEGER PRIMARY KEY)")
                m.execute("ALTER TABLE no_such_table ADD COLUMN x INTEGER")
            """})
    with pytest.raises(RunnerError, match="0002_broken.py: schema phase failed, nothing of it was applied"):
        Runner(db_url, str(folder)).run()
    assert ledger(db_url) == [(1, "done", 0, 0)]
    assert [e["schema"] for e in status(db_url, str(folder))] == ["applied", "pending"]
    with pytest.raises(Exception):
        sql(db_url, "SELECT * FROM audit")


def test_background_returns_after_the_schema_phases(db_url, tmp_path):
    seed_items(db_url, 20_000)
    go = tmp_path / "go"
    folder = write_migrations(tmp_path / "migrations", {"0001_doubled.py": f"""\
        import os, time

        def schema(m):
            m.execute("ALTER TABLE items ADD COLUMN doubled INTEGER")

        def data(m):
            while not os.path.exists({str(go)!r}):  # the test lets the work start once boot has returned
                time.sleep(0.01)
            m.backfill("items", set="doubled = n * 2", where="doubled IS NULL", batch_size=500)

        def background(m):
            m.create_index("items_doubled_idx", "items", ["doubled"])
        """})
    runner = Runner(db_url, str(folder))
    runner.run(background=True)
    assert runner.report.applied == ["0001_doubled.py"]
    assert ledger(db_url)[0][1] in ("pending", "running")  # boot did not wait for the work
    go.touch()
    runner.wait(60)
    assert runner.report.finished == ["0001_doubled.py"]
    assert sql(db_url, "SELECT count(*) FROM items WHERE doubled = n * 2") == [(20_000,)]
    assert index_is_valid(db_url, "items_doubled_idx")


def test_cli_background_then_worker(db_url, tmp_path):
    seed_items(db_url, 5_000)
    folder = write_migrations(tmp_path / "migrations", {"0001_doubled.py": """\
        def schema(m):
            m.execute("ALTER TABLE items ADD COLUMN doubled INTEGER")

        def data(m):
            m.backfill("items", set="doubled = n * 2", where="doubled IS NULL")
        """})
    boot = cli("run", "--db", db_url, str(folder), "--background")
    assert boot.returncode == 0, boot.stderr
    assert ledger(db_url) == [(1, "pending", 0, 0)]
    assert "pending" in cli("status", "--db", db_url).stdout
    worker = cli("run", "--db", db_url, str(folder), "--worker")
    assert worker.returncode == 0, worker.stderr
    assert ledger(db_url) == [(1, "done", 1, 0)]
    assert sql(db_url, "SELECT count(*) FROM items WHERE doubled IS NULL") == [(0,)]


def test_failed_work_is_retried_with_backoff_a_bounded_number_of_times_then_by_the_operator(db_url, tmp_path):
    seed_items(db_url, 10)
    folder = write_migrations(tmp_path / "migrations", {"0001_bad.py": """\
        def schema(m):
            pass

        def data(m):
            m.execute("UPDATE items SET missing_column = 1")
        """})
    for attempt in (1, 2, 3):
        done = cli("run", "--db", db_url, str(folder))
        assert done.returncode == 1 and "failed" in done.stderr and "missing_column" in done.stderr
        assert ledger(db_url) == [(1, "failed", 0, attempt)]
        # Started again at once: the retry is not due yet, so nothing runs and the time is named.
        again = cli("run", "--db", db_url, str(folder))
        assert again.returncode == 1 and ledger(db_url) == [(1, "failed", 0, attempt)]
        assert "next automatic retry after" in again.stderr or "--retry-failed" in again.stderr
        sql(db_url, "UPDATE lintmig_migrations SET retry_after = 0")  # as if the backoff had passed
    # a fourth start does not try again; status shows the error and the way out
    done = cli("run", "--db", db_url, str(folder))
    assert done.returncode == 1 and ledger(db_url) == [(1, "failed", 0, 3)] and "--retry-failed" in done.stderr
    shown = cli("status", "--db", db_url)
    assert shown.returncode == 1 and "failed 3 time(s)" in shown.stdout and "missing_column" in shown.stdout
    # The operator fixes the cause and puts the work back in line.
    sql(db_url, "ALTER TABLE items ADD COLUMN missing_column INTEGER")
    done = cli("run", "--retry-failed", "--db", db_url, str(folder))
    assert done.returncode == 0, done.stderr
    assert ledger(db_url) == [(1, "done", 1, 0)]


def test_the_backfill_rechecks_its_where_in_every_batch(db_url, tmp_path):
    """Rows the application fills meanwhile keep their value; rows it inserts are caught."""
    seed_items(db_url, 3_000)
    sql(db_url, "ALTER TABLE items ADD COLUMN label TEXT")
    folder = write_migrations(tmp_path / "migrations", {"0001_label.py": """\
        import os

        def schema(m):
            pass

        def data(m):
            m.backfill("items", set="label = 'backfilled'", where="label IS NULL", batch_size=100)
        """})
    runner = Runner(db_url, str(folder))
    runner.apply_schema()
    sql(db_url, "UPDATE items SET label = 'written by the app' WHERE id = 2500")
    sql(db_url, "INSERT INTO items (id, n) VALUES (5000, 5000)")
    runner.work()
    assert sql(db_url, "SELECT label FROM items WHERE id = 2500") == [("written by the app",)]
    assert sql(db_url, "SELECT count(*) FROM items WHERE label = 'backfilled'") == [(3_000,)]


def test_the_runner_imports_nothing_from_the_lint_path(tmp_path):
    folder = write_migrations(tmp_path / "migrations", DOMAIN_MIGRATIONS)
    probe = (
        "import sys\n"
        "from lintmig.runner import Runner\n"
        f"Runner('sqlite:///{tmp_path}/app.db', {str(folder)!r}).run()\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('sqlglot', 'libcst', 'git', 'yaml', 'pathspec')"
        " or m.startswith(('lintmig.extract', 'lintmig.checks', 'lintmig.engine')))\n"
        "print(loaded)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
