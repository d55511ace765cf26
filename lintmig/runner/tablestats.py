"""`lintmig stats --db URL`: the table sizes of a database, written as a snapshot to commit.

Read only, and from the catalog alone where the database keeps sizes there: PostgreSQL's
`pg_class.reltuples` (the planner's row estimate, refreshed by ANALYZE and autovacuum) and
`pg_total_relation_size`, which reads file sizes, never a table. SQLite keeps no row
estimate, so its tables are counted (`count(*)`, exact); its sizes come from the `dbstat`
table when the library has it. MySQL and MariaDB report both in
`information_schema.TABLES` (InnoDB's row count is its persistent statistics' estimate);
the runner does not apply migrations there, so this module holds the one connection it
needs, through PyMySQL (the `mysql` extra). Every connection is opened read only.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import sys
from typing import Optional

from .database import PostgresDatabase, SqliteDatabase, open_database
from .errors import RunnerError, database_error

_PG_TABLES = """
SELECT c.oid, n.nspname, c.relname, c.relkind, c.reltuples::bigint, pg_total_relation_size(c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm') AND c.relpersistence <> 't'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
"""
_PG_INDEXES = """
SELECT i.indrelid, ic.relname, pg_relation_size(i.indexrelid)
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
"""
# A partitioned table's own row estimate is empty: its leaves hold the rows.
_PG_LEAVES = "SELECT relid::oid FROM pg_partition_tree(%s::oid::regclass) WHERE isleaf"


_MYSQL_TABLES = """
SELECT TABLE_NAME, TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH, ENGINE
FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'
"""
_MYSQL_INDEXES = """
SELECT DISTINCT TABLE_NAME, INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()
"""


def capture(url: str, tables: Optional[list[str]] = None) -> dict:
    """The snapshot of the database at `url` as data (see lintmig.stats for the format)."""
    if url.split(":", 1)[0].split("+")[0] in ("mysql", "mariadb"):
        found, version, name = _mysql(url) + ("mysql",)
        return _snapshot(found, version, name, tables)
    db = open_database(url, create=False)
    if isinstance(db, SqliteDatabase):
        found, version, name = _sqlite(db.path), sqlite3.sqlite_version, "sqlite"
    elif isinstance(db, PostgresDatabase):
        (found, version), name = _postgres(db), "postgres"
    else:  # pragma: no cover (open_database knows no other)
        raise RunnerError(f"{url}: lintmig stats reads SQLite, PostgreSQL and MySQL", 2)
    return _snapshot(found, version, name, tables)


def _snapshot(found: dict, version: str, name: str, tables: Optional[list[str]]) -> dict:
    if tables:
        wanted = set(tables)
        missing = sorted(wanted - set(found))
        if missing:
            raise RunnerError(f"--tables: no table named {', '.join(missing)} in the database", 2)
        found = {k: v for k, v in found.items() if k in wanted}
    return {"lintmig_stats": 1, "captured_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "database": name, "server_version": str(version), "tables": dict(sorted(found.items()))}


def _sqlite(path: str) -> dict:
    def read() -> dict:
        uri = "file:" + os.path.abspath(path).replace("?", "%3f").replace("#", "%23") + "?mode=ro"
        conn = sqlite3.connect(uri, uri=True)
        try:
            names = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")]
            try:
                sizes = dict(conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall())
            except sqlite3.OperationalError:  # a library built without dbstat: sizes unknown
                sizes = {}
            indexes: dict[str, dict[str, int]] = {}
            for index, table in conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'"):
                indexes.setdefault(table, {})[index] = sizes.get(index, 0)
            out = {}
            for name in names:
                quoted = '"' + name.replace('"', '""') + '"'
                rows = conn.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0]
                total = sizes.get(name)
                if total is not None:
                    total += sum(indexes.get(name, {}).values())
                out[name] = {"rows": rows, "bytes": total, "estimated": False, "indexes": indexes.get(name, {})}
            return out
        finally:
            conn.close()

    return database_error(read, "reading table sizes from SQLite")


def _postgres(db: PostgresDatabase) -> tuple[dict, str]:
    conn = db.connect("stats")
    try:
        def read() -> tuple[dict, str]:
            conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            conn.execute("BEGIN READ ONLY")
            by_oid = {}
            for oid, schema, name, kind, reltuples, total in conn.execute(_PG_TABLES):
                key = name if schema == "public" else f"{schema}.{name}"
                rows = None if reltuples < 0 else int(reltuples)
                if kind == "p":
                    leaves = [r[0] for r in conn.execute(_PG_LEAVES, (oid,))]
                    rows, total = _leaf_totals(conn, leaves)
                by_oid[oid] = (key, {"rows": rows, "bytes": int(total) if total is not None else None,
                                     "estimated": True, "indexes": {}})
            for table_oid, index, size in conn.execute(_PG_INDEXES):
                if table_oid in by_oid:
                    by_oid[table_oid][1]["indexes"][index] = int(size)
            version = conn.execute("SHOW server_version")[0][0]
            conn.execute("COMMIT")
            return dict(by_oid.values()), version.split()[0]

        return database_error(read, "reading table sizes from PostgreSQL")
    finally:
        conn.close()


def _mysql(url: str) -> tuple[dict, str]:
    from urllib.parse import unquote, urlsplit

    try:
        import pymysql
    except ImportError:
        raise RunnerError("MySQL needs PyMySQL: pip install 'lintmig[mysql]'", 2) from None
    parts = urlsplit(url)
    database = unquote(parts.path.lstrip("/"))
    if not database:
        raise RunnerError(f"{url}: name the database in the URL (mysql://user@host/app)", 2)

    def read() -> tuple[dict, str]:
        conn = pymysql.connect(host=parts.hostname or "127.0.0.1", port=parts.port or 3306,
                               user=unquote(parts.username or ""), password=unquote(parts.password or ""),
                               database=database, autocommit=True, connect_timeout=30)
        try:
            with conn.cursor() as cur:
                try:  # MySQL 8 caches these figures for a day unless told not to (MariaDB has no cache)
                    cur.execute("SET SESSION information_schema_stats_expiry = 0")
                except pymysql.MySQLError:
                    pass
                cur.execute("SET SESSION TRANSACTION READ ONLY")
                cur.execute("START TRANSACTION READ ONLY")
                cur.execute(_MYSQL_TABLES)
                out = {}
                for name, rows, data, index, engine in cur.fetchall():
                    out[name] = {"rows": None if rows is None else int(rows),
                                 "bytes": None if data is None else int(data) + int(index or 0),
                                 "estimated": (engine or "").lower() != "myisam", "indexes": {}}
                cur.execute(_MYSQL_INDEXES)
                for table, index in cur.fetchall():
                    if table in out:
                        out[table]["indexes"][index] = None  # information_schema gives no size per index
                cur.execute("SELECT VERSION()")
                version = cur.fetchone()[0]
                cur.execute("COMMIT")
            return out, str(version).split("-")[0]
        finally:
            conn.close()

    return database_error(read, "reading table sizes from MySQL")


def _leaf_totals(conn, leaves: list) -> tuple[Optional[int], int]:
    rows, total, unknown = 0, 0, False
    for leaf in leaves:
        estimate, size = conn.execute("SELECT reltuples::bigint, pg_total_relation_size(%s::oid) FROM pg_class WHERE oid = %s::oid",
                                      (leaf, leaf))[0]
        unknown = unknown or estimate < 0
        rows += max(estimate, 0)
        total += size
    return (None if unknown and not rows else rows), total


def command(args) -> int:
    """The CLI: write the snapshot, say where and what it holds; exit 2 when it cannot."""
    from .. import configfile
    from ..config import UsageError
    from ..stats import DEFAULT_PATH

    try:
        target = args.output or configfile.load(None).stats or DEFAULT_PATH
        tables = [t.strip() for t in args.tables.split(",") if t.strip()] if args.tables else None
        data = capture(args.db, tables)
    except (RunnerError, UsageError) as err:
        print(f"lintmig: error: {err}", file=sys.stderr)
        return 2  # it writes nothing to the database: every failure is a setup problem
    try:
        os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
        with open(target, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=False)
            fh.write("\n")
    except OSError as err:
        print(f"lintmig: error: cannot write {target}: {err.strerror or err}", file=sys.stderr)
        return 2
    unknown = [name for name, t in data["tables"].items() if t["rows"] is None]
    print(f"wrote {target}: {len(data['tables'])} tables from {data['database']} {data['server_version']}, "
          f"captured {data['captured_at']}")
    if unknown:
        print(f"note: no row estimate yet for {', '.join(unknown[:10])}{' ...' if len(unknown) > 10 else ''} "
              "(never analysed: run ANALYZE on the server, then capture again)")
    return 0
