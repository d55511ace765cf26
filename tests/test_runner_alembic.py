"""lintmig.alembic with real Alembic against a real PostgreSQL server."""
from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import seed_items, sql, write_migrations
from test_runner import index_is_valid

# Real databases (or a hook environment built from the package index): `pytest -m "not slow"` skips them.
pytestmark = pytest.mark.slow

ENV_PY = """\
from alembic import context
from sqlalchemy import create_engine

from lintmig.alembic import configure


engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
with engine.connect() as connection:
    configure(context, connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
"""
REVISIONS = {
    "0001_seen.py": """\
        from alembic import op

        revision = "0001"
        down_revision = None

        def upgrade():
            op.execute("CREATE TABLE seen (at TEXT, lock_timeout TEXT, statement_timeout TEXT, idle TEXT)")
            op.execute("INSERT INTO seen SELECT 'first', current_setting('lock_timeout'), "
                       "current_setting('statement_timeout'), current_setting('idle_in_transaction_session_timeout')")
        """,
    "0002_doubled.py": """\
        import sqlalchemy as sa
        from alembic import op

        from lintmig.alembic import backfill, create_index_concurrently

        revision = "0002"
        down_revision = "0001"

        def upgrade():
            op.add_column("items", sa.Column("doubled", sa.Integer()))
            backfill("items", set="doubled = n * 2", where="doubled IS NULL", batch_size=50_000)
            create_index_concurrently("items_md5_idx", "items", "md5(n::text), md5(doubled::text)")
            op.execute("INSERT INTO seen SELECT 'after autocommit', current_setting('lock_timeout'), "
                       "current_setting('statement_timeout'), current_setting('idle_in_transaction_session_timeout')")
        """,
}


def test_alembic_with_the_env_helper_backfill_and_concurrent_index(pg_cluster, tmp_path):
    import psycopg

    url = pg_cluster.create_database("alembic_project")
    seed_items(url, 400_000)
    with psycopg.connect(url, autocommit=True) as conn:  # a failed earlier attempt left an INVALID index
        conn.execute("SET statement_timeout = '20ms'")
        try:
            conn.execute("CREATE INDEX CONCURRENTLY items_md5_idx ON items (md5(n::text))")
        except psycopg.errors.QueryCanceled:
            pass
    assert sql(url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_md5_idx'::regclass") == [(False,)]
    sql(url, "ALTER DATABASE alembic_project SET statement_timeout = '100ms'")  # the session-wide trap

    project = tmp_path / "project"
    write_migrations(project / "migrations" / "versions", REVISIONS)
    (project / "migrations" / "env.py").write_text(ENV_PY)
    (project / "alembic.ini").write_text(
        "[alembic]\nscript_location = migrations\n"
        f"sqlalchemy.url = {url.replace('postgresql://', 'postgresql+psycopg://')}\n")
    done = subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=project,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr

    assert sql(url, "SELECT * FROM seen ORDER BY at DESC") == [
        ("first", "3s", "30s", "10s"), ("after autocommit", "3s", "30s", "10s")]
    assert sql(url, "SELECT count(*) FROM items WHERE doubled = n * 2") == [(400_000,)]
    assert sql(url, "SELECT rows_done, done FROM lintmig_backfills") == [(400_000, True)]
    assert index_is_valid(url, "items_md5_idx")
    assert sql(url, "SELECT count(*) FROM pg_index WHERE NOT indisvalid") == [(0,)]
