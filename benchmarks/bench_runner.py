"""Runner benchmark: time until boot can serve, and time until everything is done.

For tables of 10k, 100k and 1M rows on SQLite (and PostgreSQL with --postgres URL), the
same change (add a column, fill it from another column, index it) is applied two ways:
- naive: one transaction with ALTER TABLE ... ADD COLUMN, UPDATE, CREATE INDEX; boot waits for all of it;
- runner: Runner(...).run(background=True) returns after the schema phase (boot can serve),
  the backfill and the index build go on in a thread until done.

    python benchmarks/bench_runner.py [--sizes 10000,100000,1000000] [--postgres URL]
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import textwrap
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from lintmig.runner import Runner  # noqa: E402

MIGRATION = textwrap.dedent("""\
    def schema(m):
        m.execute("ALTER TABLE items ADD COLUMN doubled INTEGER")

    def data(m):
        m.backfill("items", set="doubled = n * 2", where="doubled IS NULL", batch_size=2000)
        m.create_index("items_doubled_idx", "items", ["doubled"])
    """)
JOURNAL = "wal"
NAIVE = ["ALTER TABLE items ADD COLUMN doubled INTEGER", "UPDATE items SET doubled = n * 2",
         "CREATE INDEX items_doubled_idx ON items (doubled)"]


def seed_sqlite(path: str, rows: int) -> str:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA journal_mode = {JOURNAL}")  # the runner keeps SQLite in WAL: compare like with like
    conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, payload TEXT)")
    conn.execute("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?) "
                 "INSERT INTO items SELECT i, i, hex(randomblob(40)) FROM s", (rows,))
    conn.commit()
    conn.close()
    return f"sqlite:///{path}"


def naive_sqlite(url: str) -> float:
    began = time.perf_counter()
    conn = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
    conn.execute("BEGIN")
    for statement in NAIVE:
        conn.execute(statement)
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - began


def seed_postgres(base: str, name: str, rows: int) -> str:
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = base.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, payload TEXT)")
        conn.execute(f"INSERT INTO items SELECT i, i, md5(i::text) || md5(i::text) FROM generate_series(1, {rows}) i")
        conn.execute("VACUUM ANALYZE items")
    return url


def naive_postgres(url: str) -> float:
    import psycopg

    began = time.perf_counter()
    with psycopg.connect(url) as conn:
        for statement in NAIVE:
            conn.execute(statement)
    return time.perf_counter() - began


def runner(url: str, folder: str) -> tuple[float, float]:
    began = time.perf_counter()
    r = Runner(url, folder)
    r.run(background=True)
    boot = time.perf_counter() - began
    r.wait()
    assert r.report.finished, "the background work did not finish"
    return boot, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--journal", default="wal", help="SQLite journal mode of the seeded files (wal, delete)")
    parser.add_argument("--postgres", metavar="URL", help="also measure on this server (a database to create others from)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    global JOURNAL
    JOURNAL = args.journal
    print(f"{'database':<9} {'rows':>9} | {'naive boot=done':>15} | {'runner boot':>11} {'runner done':>11} {'done/naive':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "migrations")
        os.mkdir(folder)
        with open(os.path.join(folder, "0001_doubled.py"), "w") as fh:
            fh.write(MIGRATION)
        for rows in sizes:
            cases = [("sqlite", lambda tag: seed_sqlite(os.path.join(tmp, f"{tag}{rows}.db"), rows), naive_sqlite)]
            if args.postgres:
                cases.append(("postgres", lambda tag: seed_postgres(args.postgres, f"bench_{tag}{rows}", rows),
                              naive_postgres))
            for name, seed, naive in cases:
                naive_time = naive(seed("naive"))
                boot, done = runner(seed("runner"), folder)
                print(f"{name:<9} {rows:>9} | {naive_time * 1000:>12.0f} ms | {boot * 1000:>8.1f} ms "
                      f"{done * 1000:>8.0f} ms {done / naive_time:>9.2f}x", flush=True)


if __name__ == "__main__":
    main()
