"""The runner as an operator meets it: long transactions during index builds, failed work
brought back, leases that hold, frozen workers, racing SQLite processes, out-of-order
files and clear messages instead of tracebacks. SQLite and a throwaway PostgreSQL."""
from __future__ import annotations

import logging
import signal
import threading
import time

import pytest
from conftest import seed_items, sql, write_migrations
from pgserver import wait_for
from test_runner import cli, index_is_valid, ledger
from test_runner_failures import start

from lintmig.runner import Runner, RunnerError
from lintmig.runner import indexes, ledger as bookkeeping

pytestmark = pytest.mark.slow

INDEX = {"0001_index.py": """\
    def schema(m):
        m.execute("ALTER TABLE items ADD COLUMN tag INTEGER")

    def data(m):
        m.create_index("items_n_idx", "items", ["n"])
    """}


def _blocker(url: str, seconds: float, started: threading.Event) -> threading.Thread:
    """An application transaction left open: it updated one row and sits idle."""
    import psycopg

    def hold():
        with psycopg.connect(url) as conn:
            conn.execute("UPDATE items SET n = n WHERE id = 1")
            started.set()
            time.sleep(seconds)
            conn.commit()
    thread = threading.Thread(target=hold)
    thread.start()
    return thread


def test_an_index_build_waits_for_a_long_transaction_without_blocking_anyone(pg_cluster, tmp_path, caplog,
                                                                             monkeypatch):
    url = pg_cluster.create_database("long_txn_build")
    seed_items(url, 50_000)
    folder = write_migrations(tmp_path / "migrations", INDEX)
    monkeypatch.setattr(indexes, "REPORT_EVERY", 0.5)
    Runner(url, str(folder)).run(work=False)  # the schema phase first: its ALTER would wait too
    started = threading.Event()
    blocker = _blocker(url, 4.0, started)
    started.wait(10)
    writes: list[float] = []
    runner = threading.Thread(target=lambda: Runner(url, str(folder), lock_timeout=0.5).run())
    with caplog.at_level(logging.WARNING, logger="lintmig.runner"):
        runner.start()
        while runner.is_alive():  # the application keeps writing while the build waits
            began = time.monotonic()
            sql(url, "UPDATE items SET n = n WHERE id = 2")
            writes.append(time.monotonic() - began)
            time.sleep(0.1)
        runner.join()
    blocker.join()
    assert ledger(url) == [(1, "done", 1, 0)]
    assert index_is_valid(url, "items_n_idx")
    assert len(writes) > 10 and max(writes) < 1.0, writes  # nobody waited for the build
    assert any("waits for older transactions" in r.message and "UPDATE items SET n = n WHERE id = 1" in r.message
               for r in caplog.records), [r.message for r in caplog.records]


def test_a_build_cancelled_after_its_wait_fails_cleanly_and_retry_failed_finishes_it(pg_cluster, tmp_path):
    url = pg_cluster.create_database("build_gives_up")
    seed_items(url, 50_000)
    folder = write_migrations(tmp_path / "migrations", INDEX)
    Runner(url, str(folder)).run(work=False)
    started = threading.Event()
    blocker = _blocker(url, 15.0, started)
    started.wait(10)
    for attempt in (1, 2, 3):  # three starts while the blocker lives: each gives up after --index-wait
        done = cli("run", "--db", url, "--index-wait", "1", str(folder))
        assert done.returncode == 1 and "waited longer than 1s" in done.stderr, done.stderr
        assert "UPDATE items SET n = n WHERE id = 1" in done.stderr and "Traceback" not in done.stderr
        assert ledger(url)[0][1:] == ("failed", 0, attempt)
        sql(url, "UPDATE lintmig_migrations SET retry_after = 0")  # as if the backoff had passed
    blocker.join()
    assert ledger(url)[0][1] == "failed"
    shown = cli("status", "--db", url)
    assert "waited longer than 1s" in shown.stdout and "--retry-failed" in shown.stdout
    done = cli("run", "--retry-failed", "--db", url, str(folder))
    assert done.returncode == 0, done.stderr
    assert ledger(url) == [(1, "done", 1, 0)] and index_is_valid(url, "items_n_idx")
    assert sql(url, "SELECT count(*) FROM pg_index WHERE NOT indisvalid") == [(0,)]


def test_a_stale_claim_loses_once_the_owner_renewed_its_lease(db_url, tmp_path):
    seed_items(db_url, 10)
    folder = write_migrations(tmp_path / "migrations", {"0001_work.py": """\
        def schema(m):
            pass

        def data(m):
            m.execute("UPDATE items SET n = n + 1")
        """})
    Runner(db_url, str(folder)).run(work=False)
    runner = Runner(db_url, str(folder))
    conn = runner.db.connect("test")
    try:
        row = bookkeeping.get(conn, 1)
        token_a = bookkeeping.claim(conn, row, "host-a:x:1:a", 30.0, 3)
        assert token_a == 1
        sql(db_url, "UPDATE lintmig_migrations SET lease_until = 0")  # A looks dead to B ...
        stale = bookkeeping.get(conn, 1)
        assert bookkeeping.heartbeat(conn, 1, "host-a:x:1:a", token_a, 30.0)  # ... but renews first
        assert bookkeeping.claim(conn, stale, "host-b:x:1:b", 30.0, 3) is None
        # A write fenced by an old token is refused even under the same owner name.
        with pytest.raises(Exception):
            bookkeeping.save_progress(conn, 1, "host-a:x:1:a", token_a - 1, 1)
    finally:
        conn.close()


def test_a_frozen_worker_frees_its_locks_and_its_work_is_taken_over(pg_cluster, tmp_path):
    url = pg_cluster.create_database("frozen_worker")
    seed_items(url, 400)
    folder = write_migrations(tmp_path / "migrations", {"0001_slow.py": """\
        def schema(m):
            m.execute("ALTER TABLE items ADD COLUMN bumped INTEGER NOT NULL DEFAULT 0")

        def data(m):
            # about half a second per batch of five rows
            m.backfill("items", set="bumped = bumped + 1 + (pg_sleep(0.1) IS NULL)::int",
                       where="bumped = 0", batch_size=5)
        """})
    Runner(url, str(folder)).run(work=False)
    worker = start(url, folder, None, "--worker", "--lease", "2", "--idle-timeout", "1")
    wait_for(lambda: sql(url, "SELECT rows_done FROM lintmig_migrations")[0][0] >= 20, 60)
    worker.send_signal(signal.SIGSTOP)
    try:
        time.sleep(0.3)
        batch = sql(url, "SELECT min(id) FROM items WHERE bumped = 0")[0][0]
        began = time.monotonic()
        sql(url, "UPDATE items SET n = n WHERE id = %s" % int(batch))  # a row of the frozen batch
        assert time.monotonic() - began < 5.0  # freed by idle_in_transaction_session_timeout
        done = cli("run", "--worker", "--lease", "2", "--db", url, str(folder), timeout=300)
        assert done.returncode == 0, done.stderr
    finally:
        worker.send_signal(signal.SIGCONT)
    out, err = worker.communicate(timeout=60)
    # Frozen inside a batch's transaction, its session was ended for it (an error); frozen
    # between batches, it finds on waking that its lease is gone and stops. Either way it
    # writes nothing more.
    killed = worker.returncode != 0 and "lintmig: error" in err
    assert "Traceback" not in err and (killed or (worker.returncode == 0 and "lost its lease" in err)), err
    assert sql(url, "SELECT count(*) FROM items WHERE bumped <> 1") == [(0,)]  # every row once
    assert ledger(url) == [(1, "done", 1, 0)]


def test_six_sqlite_racers_wait_for_a_long_schema_phase_and_all_succeed(tmp_path):
    url = f"sqlite:///{tmp_path}/app.db"
    seed_items(url, 10)
    folder = write_migrations(tmp_path / "migrations", {"0001_slow.py": """\
        import time

        def schema(m):
            m.execute("ALTER TABLE items ADD COLUMN note TEXT")
            time.sleep(25)
            m.execute("INSERT INTO events (name) VALUES ('applied')")
        """})
    racers = [start(url, folder) for _ in range(6)]
    results = [(p.wait(timeout=240), p.stderr.read()) for p in racers]
    assert [code for code, _ in results] == [0] * 6, results
    assert sql(url, "SELECT count(*) FROM events") == [(1,)]


def test_out_of_order_files_are_refused_unless_allowed(db_url, tmp_path):
    seed_items(db_url, 10)
    folder = write_migrations(tmp_path / "migrations", {
        "0001_a.sql": "INSERT INTO events (name) VALUES ('a');\n",
        "0003_c.sql": "INSERT INTO events (name) VALUES ('c');\n"})
    assert cli("run", "--db", db_url, str(folder)).returncode == 0
    (folder / "0002_b.sql").write_text("INSERT INTO events (name) VALUES ('b');\n")
    done = cli("run", "--db", db_url, str(folder))
    assert done.returncode == 2 and "0002_b.sql" in done.stderr and "3_c" in done.stderr
    assert "--allow-out-of-order" in done.stderr and "Traceback" not in done.stderr
    assert cli("run", "--allow-out-of-order", "--db", db_url, str(folder)).returncode == 0
    assert sorted(r[0] for r in sql(db_url, "SELECT name FROM events")) == ["a", "b", "c"]


def test_a_read_only_sqlite_database_with_pending_work_is_a_clear_error(tmp_path):
    import sqlite3

    from lintmig.runner.database import SqliteConnection

    url = f"sqlite:///{tmp_path}/app.db"
    seed_items(url, 10)
    folder = write_migrations(tmp_path / "migrations", INDEX)
    Runner(url, str(folder)).run(work=False)
    runner = Runner(url, str(folder))
    # Read-only whatever the user (root writes files marked read-only): SQLite's own ro mode.
    runner.db.connect = lambda purpose="": SqliteConnection(sqlite3.connect(
        f"file:{tmp_path}/app.db?mode=ro", uri=True, isolation_level=None, check_same_thread=False))
    with pytest.raises(RunnerError) as caught:
        runner.work()
    assert caught.value.exit_code == 2 and "readonly" in str(caught.value).lower().replace("-", ""), caught.value


def test_a_connection_lost_mid_work_is_a_clear_error_and_the_work_resumes(pg_cluster, tmp_path):
    url = pg_cluster.create_database("lost_connection")
    seed_items(url, 2_000)
    folder = write_migrations(tmp_path / "migrations", {"0001_slow.py": """\
        def schema(m):
            m.execute("ALTER TABLE items ADD COLUMN bumped INTEGER NOT NULL DEFAULT 0")

        def data(m):
            m.backfill("items", set="bumped = bumped + 1 + (pg_sleep(0.02) IS NULL)::int",
                       where="bumped = 0", batch_size=20)
        """})
    Runner(url, str(folder)).run(work=False)
    worker = start(url, folder, None, "--worker")
    wait_for(lambda: sql(url, "SELECT rows_done FROM lintmig_migrations")[0][0] >= 100, 60)
    sql(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'lintmig v%'")
    out, err = worker.communicate(timeout=60)
    assert worker.returncode == 1 and "lost the connection" in err and "Traceback" not in err, err
    assert cli("run", "--worker", "--db", url, str(folder)).returncode == 0
    assert sql(url, "SELECT count(*) FROM items WHERE bumped <> 1") == [(0,)]


def test_sigterm_hands_the_claimed_work_back(db_url, tmp_path):
    seed_items(db_url, 20_000)
    folder = write_migrations(tmp_path / "migrations", {"0001_slow.py": """\
        import time

        def schema(m):
            pass

        def data(m):
            for tick in range(100):
                time.sleep(0.1)
                m.execute(f"INSERT INTO events (name) VALUES ('tick {tick}')")
        """})
    Runner(db_url, str(folder)).run(work=False)
    worker = start(db_url, folder, None, "--worker", "--lease", "600")
    wait_for(lambda: sql(db_url, "SELECT count(*) FROM events")[0][0] >= 3, 60)
    worker.send_signal(signal.SIGTERM)
    out, err = worker.communicate(timeout=60)
    assert "handed back" in err and "Traceback" not in err, err
    state, owner = sql(db_url, "SELECT state, owner FROM lintmig_migrations")[0]
    assert (state, owner) == ("pending", None)  # not left to a 600 s lease
    assert cli("run", "--worker", "--db", db_url, str(folder)).returncode == 0
    assert sql(db_url, "SELECT count(*), count(DISTINCT name) FROM events") == [(100, 100)]


def test_lock_retries_start_short():
    """Each try waits a fraction of a second at first: readers queued behind the waiting
    ALTER see short stalls, not the whole --lock-timeout each time."""
    from lintmig.runner.database import Timeouts, schema_lock_timeout

    waits = [schema_lock_timeout(Timeouts(lock=3.0), attempt) for attempt in range(6)]
    assert waits[0] < 0.5 and waits == sorted(waits) and max(waits) == 3.0


def test_work_left_pending_by_an_earlier_lintmig_version_is_finished(db_url, tmp_path):
    """Its bookkeeping table lacks the lease token and retry columns: they are added in place."""
    seed_items(db_url, 10)
    folder = write_migrations(tmp_path / "migrations", {"0001_work.py": """\
        def schema(m):
            pass

        def data(m):
            m.execute("INSERT INTO events (name) VALUES ('done')")
        """})
    Runner(db_url, str(folder)).run(work=False)
    checksum = sql(db_url, "SELECT checksum FROM lintmig_migrations")[0][0]
    sql(db_url, "DROP TABLE lintmig_migrations")
    sql(db_url, "CREATE TABLE lintmig_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, "
                "checksum TEXT NOT NULL, applied_at DOUBLE PRECISION NOT NULL, state TEXT NOT NULL, owner TEXT, "
                "lease_until DOUBLE PRECISION, failures INTEGER NOT NULL DEFAULT 0, step INTEGER NOT NULL DEFAULT 0, "
                "cursor TEXT, rows_done BIGINT NOT NULL DEFAULT 0, error TEXT, finished_at DOUBLE PRECISION)")
    sql(db_url, "INSERT INTO lintmig_migrations (version, name, checksum, applied_at, state) "
                "VALUES (1, 'work', ?, 0, 'pending')", (checksum,))
    done = cli("run", "--db", db_url, str(folder))
    assert done.returncode == 0, done.stderr
    assert ledger(db_url) == [(1, "done", 1, 0)] and sql(db_url, "SELECT name FROM events") == [("done",)]
