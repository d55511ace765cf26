"""Measure the throughput figures lintmig's size estimates use, on a PostgreSQL server.

lintmig estimates how long a finding's lock or rewrite lasts from the table's size (a
`lintmig stats` snapshot) and five throughput figures (`throughput:` in the config). This
script measures them: it fills a scratch table and times an index build, a rewrite, a NOT
NULL scan, a foreign key validation and a whole-table UPDATE, then prints the figures as a
config block. Run it on a scratch database of a server like production's (it creates and
drops its own tables); without --db it starts a throwaway cluster (PostgreSQL binaries
needed, as for the test suite).

    python benchmarks/bench_throughput.py [--db postgresql://...] [--rows 1000000]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def timed(conn, sql: str) -> float:
    start = time.perf_counter()
    conn.execute(sql)
    return time.perf_counter() - start


def measure(url: str, rows: int) -> dict:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS lintmig_bench_child, lintmig_bench_parent")
        conn.execute("CREATE TABLE lintmig_bench_parent (id int PRIMARY KEY)")
        parents = max(1, rows // 10)  # a foreign key checked against a parent a tenth the size
        conn.execute(f"INSERT INTO lintmig_bench_parent SELECT g FROM generate_series(0, {parents - 1}) g")
        conn.execute("CREATE TABLE lintmig_bench_child (id bigint PRIMARY KEY, a int, b text, c timestamptz)")
        conn.execute(f"INSERT INTO lintmig_bench_child SELECT g, g % {parents}, md5(g::text), now() "
                     f"FROM generate_series(1, {rows}) g")
        conn.execute("VACUUM ANALYZE lintmig_bench_child")
        figures = {
            "index_build": rows / timed(conn, "CREATE INDEX lintmig_bench_ix ON lintmig_bench_child (b)"),
            "table_scan": rows / timed(conn, "ALTER TABLE lintmig_bench_child ALTER COLUMN b SET NOT NULL"),
            "constraint_validation": rows / timed(
                conn, "ALTER TABLE lintmig_bench_child ADD CONSTRAINT lintmig_bench_fk "
                      "FOREIGN KEY (a) REFERENCES lintmig_bench_parent (id)"),
            "row_write": rows / timed(conn, "UPDATE lintmig_bench_child SET c = c + interval '1 second'"),
        }
        conn.execute("VACUUM FULL lintmig_bench_child")  # the rewrite below reads a table of the measured size
        size = conn.execute("SELECT pg_total_relation_size('lintmig_bench_child')").fetchone()[0]
        figures["table_rewrite"] = size / timed(conn, "ALTER TABLE lintmig_bench_child ALTER COLUMN a TYPE bigint")
        conn.execute("DROP TABLE lintmig_bench_child, lintmig_bench_parent")
        number = conn.info.server_version
        version = f"{number // 10000}.{number % 10000}"
    return {"figures": figures, "bytes": size, "server": version}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", help="a scratch PostgreSQL database (default: a throwaway cluster)")
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    cluster = None
    url = args.db
    if url is None:
        from pgserver import Cluster

        cluster = Cluster().start()
        url = cluster.url()
    try:
        found = measure(url, args.rows)
    finally:
        if cluster is not None:
            cluster.stop()
    figures = found["figures"]
    print(f"# {args.rows:,} rows ({found['bytes'] / 1e6:.0f} MB with indexes), PostgreSQL {found['server']}")
    print("throughput:")
    for name in ("index_build", "table_scan", "constraint_validation", "row_write"):
        print(f"  {name}: {figures[name]:.0f}      # rows/s")
    print(f"  table_rewrite: {figures['table_rewrite'] / 1e6:.0f}MB   # per second")


if __name__ == "__main__":
    main()
