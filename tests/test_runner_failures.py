"""The runner's guarantees under failure, on SQLite and PostgreSQL: kills at any moment,
racing processes, lost leases, held locks, a session-wide statement_timeout."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time

import pytest
from conftest import ROOT, seed_items, sql, write_migrations
from pgserver import wait_for
from test_runner import index_is_valid, ledger

from lintmig.runner import Runner, RunnerError, status

# Real databases (or a hook environment built from the package index): `pytest -m "not slow"` skips them.
pytestmark = pytest.mark.slow

ROWS = 200_000
# Marks let a test stop the runner at a precise point: the file appears, and when the
# mark is LINTMIG_TEST_STOP_AT the process sleeps there until it is killed.
CRASH_MIGRATIONS = {
    "0001_events.sql": """\
        INSERT INTO events (name) VALUES ('0001 schema');
        """,
    "0002_doubled.py": """\
        import os, time

        def mark(name):
            folder = os.environ.get("LINTMIG_TEST_MARKS")
            if folder:
                open(os.path.join(folder, name), "w").close()
                if os.environ.get("LINTMIG_TEST_STOP_AT") == name:
                    time.sleep(600)

        def schema(m):
            mark("schema-start")
            m.execute("ALTER TABLE items ADD COLUMN doubled INTEGER")
            mark("schema-between")
            m.execute("INSERT INTO events (name) VALUES ('0002 schema')")
            mark("schema-end")

        def data(m):
            mark("data-start")
            m.backfill("items", set="doubled = n * 2", where="doubled IS NULL", batch_size=2000)
            mark("before-index")
            m.create_index("items_doubled_idx", "items", ["doubled", "n"])
            mark("after-index")
            m.execute("INSERT INTO events (name) VALUES ('0002 data')")
        """,
}


def start(url: str, folder, env_extra: dict | None = None, *args: str) -> subprocess.Popen:
    env = dict(os.environ, **(env_extra or {}))
    return subprocess.Popen([sys.executable, "-m", "lintmig", "run", "-q", "--db", url, str(folder), *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()  # reaped: the dead owner's pid no longer exists


def rows_done(url: str) -> int:
    try:
        found = sql(url, "SELECT rows_done FROM lintmig_migrations WHERE version = 2")
    except Exception:  # the table does not exist yet, or SQLite is busy this instant
        return 0
    return found[0][0] if found else 0


def assert_exactly_right(url: str) -> None:
    assert ledger(url) == [(1, "done", 0, 0), (2, "done", 3, 0)]
    assert sql(url, "SELECT count(*) FROM items WHERE doubled IS NULL OR doubled <> n * 2") == [(0,)]
    assert sql(url, "SELECT count(*) FROM items") == [(ROWS,)]
    assert sql(url, "SELECT name, count(*) FROM events GROUP BY name ORDER BY name") == [
        ("0001 schema", 1), ("0002 data", 1), ("0002 schema", 1)]
    assert index_is_valid(url, "items_doubled_idx")


MOMENTS = (
    [("mark", "schema-start"), ("mark", "schema-between"), ("mark", "schema-end"), ("time", 0.05)]
    + [("rows", n) for n in (1, 10_000, 30_000, 50_000, 70_000, 90_000, 110_000, 130_000, 150_000,
                             170_000, 190_000, 199_000)]
    + [("mark", "before-index"), ("index", 0.0), ("index", 0.03), ("mark", "after-index")]
)
assert len(MOMENTS) == 20


def test_killed_at_twenty_moments_a_restart_completes_exactly(db_url, tmp_path):
    seed_items(db_url, ROWS)
    template = _template(db_url, tmp_path)
    jitter = random.Random(20)
    for number, (kind, where) in enumerate(MOMENTS):
        url = template(number)
        marks = tmp_path / f"marks{number}"
        marks.mkdir()
        folder = write_migrations(tmp_path / f"m{number}", CRASH_MIGRATIONS)
        env = {"LINTMIG_TEST_MARKS": str(marks)}
        if kind == "mark":
            env["LINTMIG_TEST_STOP_AT"] = where
        process = start(url, folder, env)
        if kind == "mark":
            wait_for(lambda: (marks / where).exists() or process.poll() is not None, 120)
        elif kind == "rows":
            wait_for(lambda: rows_done(url) >= where or process.poll() is not None, 120, interval=0.002)
            time.sleep(jitter.uniform(0, 0.004))  # anywhere inside the next batch
        elif kind == "index":
            wait_for(lambda: (marks / "before-index").exists() or process.poll() is not None, 120, interval=0.002)
            time.sleep(where)
        else:
            time.sleep(where)
        assert process.poll() is None, f"moment {kind} {where}: the run ended before the kill: {process.stderr.read()}"
        kill(process)
        restart = start(url, folder)
        out, err = restart.communicate(timeout=300)
        assert restart.returncode == 0, f"moment {kind} {where}: {err}"
        assert_exactly_right(url)


def _template(url: str, tmp_path):
    """A fresh copy of the seeded database per moment (a file copy, or CREATE DATABASE ... TEMPLATE)."""
    if url.startswith("sqlite"):
        import shutil

        source = url.split("///", 1)[1]

        def copy(number: int) -> str:
            target = tmp_path / f"copy{number}.db"
            shutil.copy(source, target)
            return f"sqlite:///{target}"
        return copy
    base = url.rsplit("/", 1)

    def clone(number: int) -> str:
        sql(base[0] + "/postgres", f'CREATE DATABASE "{base[1]}_{number}" TEMPLATE "{base[1]}"')
        return f"{base[0]}/{base[1]}_{number}"
    return clone


def test_eight_processes_racing_apply_each_migration_once(db_url, tmp_path):
    seed_items(db_url, 20_000)
    folder = write_migrations(tmp_path / "migrations", CRASH_MIGRATIONS)
    processes = [start(db_url, folder) for _ in range(8)]
    results = [p.communicate(timeout=300) for p in processes]
    for process, (out, err) in zip(processes, results):
        assert process.returncode == 0, err
        assert "locked" not in err and "Traceback" not in err
    assert sql(db_url, "SELECT name, count(*) FROM events GROUP BY name ORDER BY name") == [
        ("0001 schema", 1), ("0002 data", 1), ("0002 schema", 1)]
    assert ledger(db_url) == [(1, "done", 0, 0), (2, "done", 3, 0)]
    assert sql(db_url, "SELECT count(*) FROM items WHERE doubled = n * 2") == [(20_000,)]


SLOW_WORK = {"0001_slow.py": """\
    import time

    def schema(m):
        m.execute("ALTER TABLE items ADD COLUMN doubled INTEGER")

    def background(m):
        m.backfill("items", set="doubled = n * 2", where="doubled IS NULL", batch_size=500)
        for tick in range(30):  # thirty steps, a tenth of a second apart
            time.sleep(0.1)
            m.execute(f"INSERT INTO events (name) VALUES ('tick {tick}')")
    """}


def assert_slow_work_done_once(url: str) -> None:
    assert ledger(url) == [(1, "done", 31, 0)]
    assert sql(url, "SELECT count(*) FROM items WHERE doubled IS NULL OR doubled <> n * 2") == [(0,)]
    assert sql(url, "SELECT count(*), count(DISTINCT name) FROM events") == [(30, 30)]


def ticks(url: str) -> int:
    return sql(url, "SELECT count(*) FROM events")[0][0]


def test_a_killed_workers_lease_is_taken_over(db_url, tmp_path):
    seed_items(db_url, 20_000)
    folder = write_migrations(tmp_path / "migrations", SLOW_WORK)
    Runner(db_url, str(folder)).run(work=False)
    worker = start(db_url, folder, None, "--worker", "--lease", "600")
    wait_for(lambda: ticks(db_url) >= 3, 60)
    kill(worker)
    state, owner = sql(db_url, "SELECT state, owner FROM lintmig_migrations")[0]
    assert state == "running" and f":{worker.pid}:" in owner  # its 600 s lease has not run out

    # Its process is gone from this host: the lease is dead at once and the work resumes.
    Runner(db_url, str(folder)).work()
    assert_slow_work_done_once(db_url)


def test_a_lease_held_elsewhere_is_respected_until_it_expires(db_url, tmp_path):
    seed_items(db_url, 2_000)
    folder = write_migrations(tmp_path / "migrations", SLOW_WORK)
    Runner(db_url, str(folder)).run(work=False)
    # A runner on another host (its process cannot be checked from here) holds a live lease.
    sql(db_url, "UPDATE lintmig_migrations SET state = 'running', owner = 'elsewhere:4242:abcd', "
                "lease_until = ?", (time.time() + 2.0,))
    Runner(db_url, str(folder)).work(wait=False)
    assert ledger(db_url) == [(1, "running", 0, 0)]  # left alone
    Runner(db_url, str(folder)).work(wait=True)  # waits for the lease to run out, then takes over
    assert_slow_work_done_once(db_url)


def test_a_live_worker_keeps_its_lease_by_heartbeat(db_url, tmp_path):
    seed_items(db_url, 20_000)
    folder = write_migrations(tmp_path / "migrations", SLOW_WORK)
    Runner(db_url, str(folder)).run(work=False)
    worker = start(db_url, folder, None, "--worker", "--lease", "1")
    wait_for(lambda: ticks(db_url) >= 1, 60)
    owner = sql(db_url, "SELECT owner FROM lintmig_migrations")[0][0]
    deadline = time.monotonic() + 2.5  # more than two lease lengths
    while time.monotonic() < deadline and worker.poll() is None:
        Runner(db_url, str(folder), lease=1).work(wait=False)
        current = sql(db_url, "SELECT state, owner FROM lintmig_migrations")[0]
        assert current in [("running", owner), ("done", None)]
        time.sleep(0.2)
    worker.communicate(timeout=120)
    assert worker.returncode == 0
    assert_slow_work_done_once(db_url)


def test_a_held_lock_makes_the_schema_phase_give_up_then_succeed(db_url, tmp_path):
    seed_items(db_url, 100)
    folder = write_migrations(tmp_path / "migrations", {
        "0001_note.sql": "ALTER TABLE items ADD COLUMN note TEXT;\nINSERT INTO events (name) VALUES ('note');\n"})
    holder = _hold_lock(db_url)
    reader_waits: list[float] = []
    outcome: list = []
    runner = threading.Thread(target=lambda: outcome.append(_run_or_error(db_url, folder)))
    runner.start()
    while runner.is_alive():  # readers behind the waiting ALTER wait at most about lock_timeout
        began = time.monotonic()
        sql(db_url, "SELECT n FROM items WHERE id = 5")
        reader_waits.append(time.monotonic() - began)
        time.sleep(0.05)
    runner.join()
    holder.close()
    assert isinstance(outcome[0], RunnerError) and "schema phase failed" in str(outcome[0])
    assert "lock" in str(outcome[0])
    assert status(db_url) == []  # nothing recorded
    if db_url.startswith("postgres"):
        assert max(reader_waits) < 2.0, reader_waits  # held for many seconds; readers never waited that long

    # Released while the runner retries: it succeeds.
    holder = _hold_lock(db_url)
    threading.Timer(1.0, holder.close).start()
    assert _run_or_error(db_url, folder).applied == ["0001_note.sql"]
    assert sql(db_url, "SELECT count(*) FROM events") == [(1,)]


def _run_or_error(url, folder):
    try:
        return Runner(url, str(folder), lock_timeout=0.3, lock_wait=3.0).run()
    except RunnerError as err:
        return err


def _hold_lock(url: str):
    """A session that keeps a conflicting lock: an open transaction that read the table
    (Postgres: ACCESS SHARE), or SQLite's single write lock."""
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.split("///", 1)[1], isolation_level=None, check_same_thread=False)
        conn.execute("BEGIN IMMEDIATE")
        return conn
    import psycopg

    conn = psycopg.connect(url)
    conn.execute("SELECT count(*) FROM items")
    return conn


def test_a_session_statement_timeout_does_not_kill_index_builds_and_invalid_indexes_are_rebuilt(pg_cluster):
    import psycopg

    url = pg_cluster.create_database("timeout_trap")
    seed_items(url, 1_000_000)
    # The injected failure: a concurrent build cancelled by a timeout leaves an INVALID index.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET statement_timeout = '20ms'")
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("CREATE INDEX CONCURRENTLY items_n_idx ON items (n)")
    assert sql(url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_n_idx'::regclass") == [(False,)]
    # The trap: every new session gets a statement_timeout shorter than the builds take.
    sql(url, "ALTER DATABASE timeout_trap SET statement_timeout = '150ms'")
    with psycopg.connect(url, autocommit=True) as conn, pytest.raises(psycopg.errors.QueryCanceled):
        conn.execute("CREATE INDEX CONCURRENTLY probe_idx ON items (n, id)")  # the trap is real
    sql(url, "DROP INDEX probe_idx")

    folder = write_migrations(pg_cluster.root and __import__("pathlib").Path(pg_cluster.root) / "trap", {
        "0001_indexes.py": """\
            def schema(m):
                m.execute("ALTER TABLE items ADD COLUMN tag INTEGER")

            def data(m):
                m.create_index("items_n_idx", "items", ["n"])
                m.create_index("items_n_id_idx", "items", ["n", "id"], unique=True)
                m.backfill("items", set="tag = n % 7", where="tag IS NULL", batch_size=50_000)
            """})
    Runner(url, str(folder)).run()
    assert sql(url, "SHOW statement_timeout") == [("150ms",)]  # the session setting itself is untouched
    # The checks below read a million rows: not under the trap's 150 ms.
    sql(url, "ALTER DATABASE timeout_trap RESET statement_timeout")
    assert index_is_valid(url, "items_n_idx") and index_is_valid(url, "items_n_id_idx")
    assert sql(url, "SELECT count(*) FROM items WHERE tag = n % 7") == [(1_000_000,)]


@pytest.mark.parametrize("builder, ended", [("lintmig v1 t0", True), ("lintmig v2 t0", False), ("psql", False)])
def test_a_build_still_running_on_the_server_is_told_apart_from_a_failed_one(pg_cluster, tmp_path, builder, ended):
    """An INVALID index whose build is still running: the build of a lintmig claim on this
    migration that is no longer current (its fencing token is older) is ended and redone;
    anyone else's is waited for."""
    import psycopg

    url = pg_cluster.create_database(f"live_build_{builder.replace(' ', '_')}")
    seed_items(url, 600_000)
    errors: list = []

    def build():
        try:
            with psycopg.connect(url, autocommit=True, application_name=builder) as conn:
                conn.execute("CREATE INDEX CONCURRENTLY items_md5_idx ON items (md5(n::text), md5(id::text))")
        except psycopg.Error as err:
            errors.append(err)
    other = threading.Thread(target=build)
    other.start()
    wait_for(lambda: sql(url, "SELECT 1 FROM pg_stat_progress_create_index "
                              "WHERE index_relid = to_regclass('items_md5_idx')"), 30, interval=0.005)
    folder = write_migrations(tmp_path / "migrations", {"0001_md5.py": """\
        def schema(m):
            pass

        def data(m):
            m.create_index("items_md5_idx", "items", "md5(n::text), md5(id::text)")
        """})
    Runner(url, str(folder)).run()
    other.join()
    assert index_is_valid(url, "items_md5_idx")
    assert bool(errors) == ended, errors
