"""Table sizes: `lintmig stats` snapshots, findings that carry sizes and estimates, small-table
notes, scale claims checked against the snapshot, stale snapshots, and hostile ones."""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import as_ci, feature_branch, git, snapshot_file
from lintmig.cli import main

MIGRATION = ("CREATE INDEX ix_orders_a ON orders (a);\n"
             "CREATE INDEX ix_countries_a ON countries (a);\n"
             "ALTER TABLE events ALTER COLUMN kind TYPE bigint;\n")
SIZES = {"orders": 12_400_000, "countries": 200, "events": 1_900_000}


def run(capsys, *argv):
    code = main(["check", "--no-cache", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "0002_work.sql").write_text(MIGRATION)
    snapshot_file(tmp_path, SIZES, "2026-11-20T09:30:00Z")
    monkeypatch.chdir(tmp_path)
    as_ci(monkeypatch)
    monkeypatch.setattr("lintmig.stats.dt", _frozen_clock())
    # The figures the estimates below are computed from (the defaults may be re-measured).
    monkeypatch.setattr("lintmig.sizes.THROUGHPUT", {"index_build": 400_000.0, "table_rewrite": 40e6,
                                                     "table_scan": 5e6, "constraint_validation": 7e5,
                                                     "row_write": 150_000.0})
    return tmp_path


def _frozen_clock():
    """datetime as if today were 2026-12-01: the snapshot is 11 days old."""
    import datetime as real

    class Frozen(real.datetime):
        @classmethod
        def now(cls, tz=None):
            return real.datetime(2026, 12, 1, 12, 0, tzinfo=tz)

    class Module:
        datetime, timezone, timedelta = Frozen, real.timezone, real.timedelta

    return Module


def findings(capsys, *argv):
    code, out, _ = run(capsys, "--format", "json", "--stats", "stats.json", *argv)
    return code, json.loads(out)


# --- sizes in every format -----------------------------------------------------------------

def test_a_scale_finding_carries_its_tables_size_and_an_estimate_in_json(project, capsys):
    code, report = findings(capsys, "db")
    by = {(f["code"], f["table"]): f for f in report["findings"]}
    assert code == 1
    assert by[("LM101", "orders")]["table_size"] == {
        "table": "orders", "rows": 12_400_000, "bytes": 1_240_000_000, "captured": "2026-11-20",
        "estimate_seconds": 31.0, "cost": "index_build"}
    assert by[("LM111", "events")]["table_size"]["cost"] == "table_rewrite"
    assert by[("LM111", "events")]["table_size"]["estimate_seconds"] == pytest.approx(190_000_000 / 40e6, abs=0.1)
    assert "table_size" not in by[("LM402", "orders")]  # a correctness rule: the size changes nothing


@pytest.mark.parametrize("fmt, expected", [
    ("text", "[orders: 12.4M rows, 1.24 GB; about 31 s building the index]"),
    ("markdown", "[orders: 12.4M rows, 1.24 GB; about 31 s building the index]"),
    ("github", "[orders: 12.4M rows, 1.24 GB; about 31 s building the index]"),
    ("gitlab", "[orders: 12.4M rows, 1.24 GB; about 31 s building the index]"),
    ("sarif", "[orders: 12.4M rows, 1.24 GB; about 31 s building the index]"),
])
def test_every_format_shows_the_size(project, capsys, fmt, expected):
    code, out, _ = run(capsys, "--format", fmt, "--stats", "stats.json", "db")
    assert code == 1 and expected in out
    if fmt == "sarif":
        results = json.loads(out)["runs"][0]["results"]
        sized = [r for r in results if r["ruleId"] == "LM101" and "tableSize" in r.get("properties", {})]
        assert {r["properties"]["tableSize"]["table"] for r in sized} == {"orders", "countries"}


def test_the_throughput_setting_changes_the_estimate(project, capsys):
    (project / ".lintmig.yaml").write_text("stats: stats.json\nthroughput: {index_build: 4000000}\n")
    code, out, _ = run(capsys, "db")
    assert "about 3 s building the index" in out


# --- small tables ----------------------------------------------------------------------------

def test_a_small_table_is_a_note_that_fails_nothing(project, capsys):
    (project / "db" / "0002_work.sql").write_text("CREATE INDEX ix_countries_a ON countries (a);\n")
    code, out, _ = run(capsys, "--stats", "stats.json", "--select", "LM101", "db")
    assert code == 0
    assert "note: LM101 non-concurrent-index" in out and "countries has 200 rows (stats captured 2026-11-20" in out
    assert "1 note on small tables" in out
    code, report = findings(capsys, "--select", "LM101", "db")
    (note,) = report["findings"]
    assert note["suppressed"]["by"] == "small-table" and report["summary"]["notes"] == 1


def test_the_small_table_threshold_is_a_setting(project, capsys):
    (project / ".lintmig.yaml").write_text("stats: stats.json\nsmall_table_rows: 100\n")
    code, out, _ = run(capsys, "--select", "LM101", "db")
    assert code == 1 and "index on existing table countries" in out and "note:" not in out


def test_a_table_absent_from_the_snapshot_is_judged_as_without_one(project, capsys):
    (project / "db" / "0002_work.sql").write_text("CREATE INDEX ix_invoices_a ON invoices (a);\n")
    code, report = findings(capsys, "--select", "LM101", "db")
    (finding,) = report["findings"]
    assert code == 1 and finding["suppressed"] is None and "table_size" not in finding


# --- scale claims --------------------------------------------------------------------------

def _pr(project, text: str) -> str:
    (project / "pr.md").write_text(text + "\n")
    return "pr.md"


def test_an_honest_scale_line_still_silences(project, capsys):
    pr = _pr(project, "PREFLIGHT-MIGRATION-SCALE: <20s N=2M table=events")
    code, report = findings(capsys, "--pr-body", pr, "--select", "LM111", "db")
    codes = [(f["code"], (f["suppressed"] or {}).get("by")) for f in report["findings"]]
    assert codes == [("LM111", "pr-scale")] and code == 0


def test_an_understated_scale_line_silences_nothing_and_is_an_error(project, capsys):
    pr = _pr(project, "PREFLIGHT-MIGRATION-SCALE: <30s N=80K table=events")
    code, report = findings(capsys, "--pr-body", pr, "--select", "LM111,LM007", "db")
    by = {f["code"]: f for f in report["findings"]}
    assert code == 1 and by["LM111"]["suppressed"] is None
    assert by["LM007"]["path"] == "PR description" and by["LM007"]["severity"] == "error"
    assert "N=80K understates events: the stats snapshot says 1.9M rows (captured 2026-11-20)" in by["LM007"]["message"]


def test_an_understated_preflight_count_silences_nothing(project, capsys):
    (project / "db" / "0002_work.sql").write_text(
        '-- PREFLIGHT: async=true reason="measured 3s on the staging copy" N=80K\n'
        "CREATE INDEX ix_orders_a ON orders (a);\n")
    code, report = findings(capsys, "--select", "LM101,LM007", "db")
    by = {f["code"]: f for f in report["findings"]}
    assert code == 1 and by["LM101"]["suppressed"] is None and by["LM007"]["line"] == 1
    # Within claim_margin (2x by default) the claim holds.
    (project / "db" / "0002_work.sql").write_text(
        '-- PREFLIGHT: async=true reason="measured 3s on the staging copy" N=7M\n'
        "CREATE INDEX ix_orders_a ON orders (a);\n")
    code, report = findings(capsys, "--select", "LM101,LM007", "db")
    assert code == 0 and [f["code"] for f in report["findings"]] == ["LM101"]


def test_a_claimed_duration_far_below_the_estimate_is_a_warning(project, capsys):
    pr = _pr(project, "PREFLIGHT-MIGRATION-SCALE: <1s N=20M table=orders")
    code, report = findings(capsys, "--pr-body", pr, "--select", "LM101,LM008", "db")
    by = {(f["code"], f["table"]): f for f in report["findings"]}
    assert by[("LM101", "orders")]["suppressed"]["by"] == "pr-scale"  # the claim still holds
    warning = by[("LM008", "orders")]
    assert warning["severity"] == "warning" and code == 0
    assert "claims <1s; lintmig estimates about 31 s building the index on orders" in warning["message"]


# --- an old snapshot -----------------------------------------------------------------------

def test_a_stale_snapshot_is_a_warning_not_an_error(project, capsys):
    snapshot_file(project, SIZES, "2026-09-01T00:00:00Z")
    code, report = findings(capsys, "--select", "LM009", "db")
    (stale,) = report["findings"]
    assert code == 0 and stale["code"] == "LM009" and stale["path"] == "stats.json"
    assert "captured 2026-09-01, 92 days ago (stats_max_age 30d)" in stale["message"]
    assert findings(capsys, "--select", "LM009", "--fail-on", "warning", "db")[0] == 1
    (project / ".lintmig.yaml").write_text("stats: stats.json\nstats_max_age: 120d\n")
    assert run(capsys, "--format", "json", "--select", "LM009", "db")[1].count('"LM009"') == 0


# --- hostile or broken snapshots -----------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("{not json", "stats.json:1:2: not valid JSON"),
    ('{"lintmig_stats": 1, "captured_at": "2026-11-20T00:00:00Z", "tables": {"orders": {"rows": -5}}}',
     "tables.orders.rows must be a whole number"),
    ('{"lintmig_stats": 1, "captured_at": "yesterday", "tables": {}}', "captured_at 'yesterday' is not a time"),
    ('{"lintmig_stats": 2, "tables": {}}', "not a lintmig stats snapshot"),
    ("[" * 100_000, "nested too deeply"),
    ('{"lintmig_stats": 1, "captured_at": "2026-11-20T00:00:00Z", "tables": {"t": {"rows": true}}}',
     "tables.t.rows must be a whole number"),
    ('{"lintmig_stats": 1, "captured_at": "2099-01-01T00:00:00Z", "tables": {}}', "is in the future"),
    ('{"lintmig_stats": 1, "captured_at": "2026-11-20T00:00:00Z", "tables": {"a\\nNo problems\\u001b[2J": 5}}',
     "tables.a\\nNo problems\\x1b[2J must be an object"),
])
def test_a_broken_snapshot_is_a_configuration_error_naming_it(project, capsys, text, message):
    (project / "stats.json").write_text(text)
    code, out, err = run(capsys, "--stats", "stats.json", "db")
    assert code == 2 and message in err and "Traceback" not in err


def test_a_missing_snapshot_says_how_to_make_one(project, capsys):
    code, _, err = run(capsys, "--stats", "nope.json", "db")
    assert code == 2 and "nope.json: cannot read the snapshot" in err and "lintmig stats --db" in err


def test_a_change_that_shrinks_the_snapshot_waits_for_approval(tmp_path, monkeypatch, capsys):
    repo = feature_branch(tmp_path / "repo", {".lintmig.yaml": "stats: stats.json\n",
                                              "db/migrations/0001_orders.sql": "CREATE TABLE orders (a int);\n"})
    snapshot_file(repo, {"orders": 12_400_000})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "snapshot")
    git(repo, "branch", "-f", "main", "HEAD")
    (repo / "db" / "migrations" / "0002_index.sql").write_text("CREATE INDEX ix_orders_a ON orders (a);\n")
    snapshot_file(repo, {"orders": 150, "audit": 3})  # orders "shrinks"; audit is new and tiny
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "index, and a snapshot that makes it look small")
    monkeypatch.chdir(repo)
    as_ci(monkeypatch)
    code, out, _ = run(capsys, "--format", "json", "--base", "main")
    report = json.loads(out)
    by = {(f["code"], f["table"]): f for f in report["findings"]}
    assert code == 1
    assert by[("LM101", "orders")]["suppressed"] is None  # the base's 12.4M rows stand
    assert by[("LM101", "orders")]["table_size"]["rows"] == 12_400_000
    changes = sorted(f["message"] for f in report["findings"] if f["code"] == "LM006")
    assert changes == ["the change weakens the gate: the stats snapshot adds audit with 3 rows (below "
                       "small_table_rows); the base's figures apply until it is approved",
                       "the change weakens the gate: the stats snapshot lowers orders from 12,400,000 to 150 rows; "
                       "the base's figures apply until it is approved"]


def test_a_refreshed_snapshot_that_grows_applies_at_once(tmp_path, monkeypatch, capsys):
    repo = feature_branch(tmp_path / "repo", {".lintmig.yaml": "stats: stats.json\n"})
    snapshot_file(repo, {"orders": 5_000})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "snapshot")
    git(repo, "branch", "-f", "main", "HEAD")
    (repo / "db" / "migrations").mkdir(parents=True)
    (repo / "db" / "migrations" / "0002_index.sql").write_text("CREATE INDEX ix_orders_a ON orders (a);\n")
    snapshot_file(repo, {"orders": 80_000})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "index, and a fresher snapshot")
    monkeypatch.chdir(repo)
    as_ci(monkeypatch)
    code, out, _ = run(capsys, "--format", "json", "--base", "main", "--select", "LM101,LM006")
    (finding,) = json.loads(out)["findings"]
    assert code == 1 and finding["suppressed"] is None and finding["table_size"]["rows"] == 80_000


def test_the_results_cache_follows_the_snapshot(project, capsys, tmp_path):
    argv = ("check", "--cache-dir", str(tmp_path / "cache"), "--stats", "stats.json", "--format", "json",
            "--select", "LM101", "db")
    main(list(argv))
    first = json.loads(capsys.readouterr()[0])
    snapshot_file(project, {**SIZES, "orders": 50}, "2026-11-21T09:30:00Z")  # (the clock is frozen)
    main(list(argv))
    second = json.loads(capsys.readouterr()[0])
    assert first["summary"].get("notes") == 1 and second["summary"]["notes"] == 2


# --- lintmig stats ---------------------------------------------------------------------------

def test_lintmig_stats_counts_sqlite_tables_read_only(tmp_path, monkeypatch, capsys):
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE orders (id integer PRIMARY KEY, a int)")
    conn.execute("CREATE INDEX ix_orders_a ON orders (a)")
    conn.execute('CREATE TABLE "odd ""name""" (x int)')
    conn.executemany("INSERT INTO orders (a) VALUES (?)", [(i,) for i in range(12_345)])
    conn.commit()
    conn.close()
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    monkeypatch.chdir(tmp_path)
    assert main(["stats", "--db", f"sqlite:///{db}"]) == 0
    assert "wrote .lintmig/stats.json: 2 tables from sqlite" in capsys.readouterr()[0]
    data = json.loads((tmp_path / ".lintmig" / "stats.json").read_text())
    assert data["tables"]["orders"]["rows"] == 12_345 and data["tables"]['odd "name"']["rows"] == 0
    assert data["tables"]["orders"]["estimated"] is False
    assert set(data["tables"]["orders"]["indexes"]) == {"ix_orders_a"}
    assert data["tables"]["orders"]["bytes"] > 12_345 * 4
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert main(["stats", "--db", f"sqlite:///{db}", "--tables", "orders", "-o", "s.json"]) == 0
    assert set(json.loads((tmp_path / "s.json").read_text())["tables"]) == {"orders"}
    assert main(["stats", "--db", f"sqlite:///{db}", "--tables", "nope"]) == 2
    assert "no table named nope" in capsys.readouterr()[1]


def test_lintmig_stats_refuses_what_it_cannot_read(tmp_path, capsys):
    assert main(["stats", "--db", f"sqlite:///{tmp_path}/missing.db"]) == 2
    assert main(["stats", "--db", "oracle://db/app"]) == 2
    assert main(["stats", "--db", "mysql://127.0.0.1:1/"]) == 2
    err = capsys.readouterr()[1]
    assert "no such database file" in err and "unsupported database URL" in err and "name the database" in err
    assert not (tmp_path / "missing.db").exists()


@pytest.mark.slow
def test_lintmig_stats_on_postgres_reads_the_catalog_and_scans_no_table(pg_cluster, tmp_path):
    import psycopg

    url = pg_cluster.create_database("stats_sizes")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE orders (id bigint PRIMARY KEY, a int)")
        conn.execute("INSERT INTO orders SELECT g, g % 7 FROM generate_series(1, 200000) g")
        conn.execute("CREATE INDEX ix_orders_a ON orders (a)")
        conn.execute("CREATE SCHEMA audit")
        conn.execute("CREATE TABLE audit.events (id bigint)")
        conn.execute("INSERT INTO audit.events SELECT generate_series(1, 3000)")
        conn.execute("CREATE TABLE metrics (at date, v int) PARTITION BY RANGE (at)")
        conn.execute("CREATE TABLE metrics_2025 PARTITION OF metrics FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')")
        conn.execute("CREATE TABLE metrics_2026 PARTITION OF metrics FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')")
        conn.execute("INSERT INTO metrics SELECT date '2025-01-01' + (g % 700), g FROM generate_series(1, 50000) g")
        conn.execute("CREATE TABLE never_analysed (x int)")
        conn.execute("ANALYZE orders, audit.events, metrics, metrics_2025, metrics_2026")
        scans_before = _seq_scans(conn)
    done = subprocess.run([sys.executable, "-m", "lintmig", "stats", "--db", url, "-o", str(tmp_path / "s.json")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "no row estimate yet for never_analysed" in done.stdout
    tables = json.loads((tmp_path / "s.json").read_text())["tables"]
    assert tables["orders"]["rows"] == pytest.approx(200_000, rel=0.05)
    assert tables["audit.events"]["rows"] == pytest.approx(3_000, rel=0.05)
    assert tables["metrics"]["rows"] == pytest.approx(50_000, rel=0.05)  # the sum of its partitions
    assert tables["never_analysed"]["rows"] is None
    assert set(tables["orders"]["indexes"]) == {"orders_pkey", "ix_orders_a"}
    assert tables["orders"]["bytes"] > 200_000 * 8
    time.sleep(0.5)
    with psycopg.connect(url, autocommit=True) as conn:
        assert _seq_scans(conn) == scans_before  # the catalog only: no table was read


def _seq_scans(conn) -> dict:
    conn.execute("SELECT pg_stat_force_next_flush()")
    conn.execute("SELECT pg_stat_clear_snapshot()")
    return dict(conn.execute("SELECT relname, seq_scan + coalesce(idx_scan, 0) FROM pg_stat_user_tables").fetchall())


def test_the_stats_command_needs_no_parser(tmp_path):
    """`lintmig stats` runs on the runner's database layer: sqlglot and libcst stay unloaded."""
    db = tmp_path / "app.db"
    sqlite3.connect(db).execute("CREATE TABLE t (x int)")
    code = ("import sys; from lintmig.cli import main; rc = main(['stats', '--db', 'sqlite:///%s', '-o', '%s']); "
            "print(rc, 'sqlglot' in sys.modules, 'libcst' in sys.modules)" % (db, tmp_path / "s.json"))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.stdout.split()[-3:] == ["0", "False", "False"], done.stdout + done.stderr


@pytest.fixture(scope="session")
def mysql_server():
    """A throwaway MariaDB server. Missing binaries are an error, never a skip: `.ci/run`
    installs them."""
    from mysqlserver import Server

    server = Server().start()
    yield server
    server.stop()


@pytest.mark.slow
def test_lintmig_stats_on_mysql_reads_information_schema(mysql_server, tmp_path):
    conn = mysql_server.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE DATABASE shop")
        cur.execute("USE shop")
        cur.execute("CREATE TABLE orders (id bigint PRIMARY KEY, a int, KEY ix_orders_a (a)) ENGINE=InnoDB")
        cur.execute("INSERT INTO orders SELECT seq, seq % 7 FROM seq_1_to_50000")
        cur.execute("CREATE TABLE flags (id int PRIMARY KEY) ENGINE=MyISAM")
        cur.execute("INSERT INTO flags SELECT seq FROM seq_1_to_40")
        cur.execute("ANALYZE TABLE orders")
    conn.close()
    done = subprocess.run([sys.executable, "-m", "lintmig", "stats", "--db", mysql_server.url("shop"),
                           "-o", str(tmp_path / "s.json")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    data = json.loads((tmp_path / "s.json").read_text())
    assert data["database"] == "mysql"
    tables = data["tables"]
    assert tables["orders"]["rows"] == pytest.approx(50_000, rel=0.2)  # InnoDB's estimate
    assert tables["orders"]["estimated"] is True and tables["orders"]["bytes"] > 50_000 * 8
    assert set(tables["orders"]["indexes"]) == {"PRIMARY", "ix_orders_a"}
    assert tables["flags"] == {"rows": 40, "bytes": tables["flags"]["bytes"], "estimated": False,
                               "indexes": {"PRIMARY": None}}
    from lintmig import stats

    assert stats.load(str(tmp_path / "s.json")).size_of("orders").rows == tables["orders"]["rows"]
    bad = subprocess.run([sys.executable, "-m", "lintmig", "stats", "--db", mysql_server.url("nope")],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "reading table sizes from MySQL" in bad.stderr and "Traceback" not in bad.stderr
