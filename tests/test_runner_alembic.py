"""lintmig.alembic with real Alembic against a real PostgreSQL server."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
    log = Path(pg_cluster.root) / "log"
    warned_before = log.read_text(errors="replace").count("SET LOCAL can only be used")
    done = subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=project,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    # configure() sets nothing LOCAL inside autocommit blocks (the server would warn each time)
    assert log.read_text(errors="replace").count("SET LOCAL can only be used") == warned_before

    assert sql(url, "SELECT * FROM seen ORDER BY at DESC") == [
        ("first", "3s", "30s", "10s"), ("after autocommit", "3s", "30s", "10s")]
    assert sql(url, "SELECT count(*) FROM items WHERE doubled = n * 2") == [(400_000,)]
    assert sql(url, "SELECT rows_done, done FROM lintmig_backfills") == [(400_000, True)]
    assert index_is_valid(url, "items_md5_idx")
    assert sql(url, "SELECT count(*) FROM pg_index WHERE NOT indisvalid") == [(0,)]


RECIPE = {
    "0001_base.py": """\
        revision = "0001"
        down_revision = None

        def upgrade():
            pass

        def downgrade():
            pass
        """,
    "0002_total.py": """\
        import os, signal
        import sqlalchemy as sa
        from alembic import op

        from lintmig.alembic import backfill, create_index_concurrently, forget_backfill

        revision = "0002"
        down_revision = "0001"
        BUMP = dict(set="total = total + 1", batch_size=500)

        def stop(at):
            if os.environ.get("STOP_AT") == at:
                os.kill(os.getpid(), signal.SIGKILL)

        def upgrade():
            op.add_column("items", sa.Column("total", sa.Integer(), nullable=False, server_default="0"),
                          if_not_exists=True)
            stop("after-add")
            backfill("items", **BUMP)
            stop("after-backfill")
            create_index_concurrently("items_total_idx", "items", ["total"])
            stop("after-index")

        def downgrade():
            op.drop_index("items_total_idx", table_name="items", if_exists=True)
            forget_backfill("items", set=BUMP["set"])
            op.drop_column("items", "total", if_exists=True)
        """,
}


def _project(tmp_path, url):
    project = tmp_path / "project"
    write_migrations(project / "migrations" / "versions", RECIPE)
    (project / "migrations" / "env.py").write_text(ENV_PY)
    (project / "alembic.ini").write_text(
        "[alembic]\nscript_location = migrations\n"
        f"sqlalchemy.url = {url.replace('postgresql://', 'postgresql+psycopg://')}\n")
    return project


def _alembic(project, *args, env=None, background=False):
    import os

    command = [sys.executable, "-m", "alembic", *args]
    environment = dict(os.environ, **(env or {}))
    if background:
        return subprocess.Popen(command, cwd=project, env=environment, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    return subprocess.run(command, cwd=project, env=environment, capture_output=True, text=True, timeout=600)


def _bumped_once(url, rows):
    assert sql(url, "SELECT count(*) FROM items WHERE total = 1") == [(rows,)]
    assert index_is_valid(url, "items_total_idx")
    assert sql(url, "SELECT version_num FROM alembic_version") == [("0002",)]


def test_two_concurrent_alembic_upgrades_apply_the_backfill_once(pg_cluster, tmp_path):
    url = pg_cluster.create_database("alembic_racing")
    seed_items(url, 100_000)
    project = _project(tmp_path, url)
    racers = [_alembic(project, "upgrade", "head", background=True) for _ in range(2)]
    results = [(p.wait(timeout=600), p.stderr.read()) for p in racers]
    assert 0 in [code for code, _ in results], results
    _bumped_once(url, 100_000)  # the second waited for the first and found the work done


@pytest.mark.parametrize("stop_at", ["after-add", "mid-backfill", "after-backfill", "after-index"])
def test_the_alembic_recipe_killed_at_any_step_finishes_on_rerun(pg_cluster, tmp_path, stop_at):
    from pgserver import wait_for

    url = pg_cluster.create_database(f"alembic_kill_{stop_at.replace('-', '_')}")
    seed_items(url, 100_000)
    project = _project(tmp_path, url)
    if stop_at == "mid-backfill":
        running = _alembic(project, "upgrade", "head", background=True)

        def some_batches():
            try:
                return sql(url, "SELECT rows_done FROM lintmig_backfills")[0][0] >= 2_000
            except Exception:  # not created yet
                return False
        wait_for(some_batches, 60, interval=0.01)
        running.kill()
        running.wait()
    else:
        assert _alembic(project, "upgrade", "head", env={"STOP_AT": stop_at}).returncode != 0
    done = _alembic(project, "upgrade", "head")
    assert done.returncode == 0, done.stderr
    _bumped_once(url, 100_000)


def test_downgrade_then_upgrade_runs_the_backfill_again(pg_cluster, tmp_path):
    url = pg_cluster.create_database("alembic_down_up")
    seed_items(url, 20_000)
    project = _project(tmp_path, url)
    assert _alembic(project, "upgrade", "head").returncode == 0
    done = _alembic(project, "downgrade", "0001")
    assert done.returncode == 0, done.stderr
    assert _alembic(project, "upgrade", "head").returncode == 0
    _bumped_once(url, 20_000)
