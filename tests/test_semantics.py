"""What counts as one change: a path run judges each migration against the ones before it;
diff mode judges the migrations a change adds as one change."""
from __future__ import annotations

from conftest import as_ci, feature_branch, make_config
from lintmig.engine import lint_change, lint_paths

CREATE = "CREATE TABLE orders (id bigint PRIMARY KEY, a int);\n"
INDEX = "CREATE INDEX ix_orders_a ON orders (a);\n"


def test_a_folder_run_judges_each_migration_against_the_ones_before_it(tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_create.sql").write_text(CREATE)
    (folder / "0002_index.sql").write_text(INDEX)
    (folder / "0003_both.sql").write_text(CREATE.replace("orders", "invoices") + INDEX.replace("orders", "invoices"))
    found = lint_paths([str(folder)], make_config(select=["LM101"])).findings
    assert [(f.path.rsplit("/", 1)[-1], f.table) for f in found] == [("0002_index.sql", "orders")]


def test_in_diff_mode_the_migrations_a_change_adds_are_one_change(tmp_path, monkeypatch):
    repo = feature_branch(tmp_path / "repo", {"db/migrations/0000_base.sql": "SELECT 1;\n"})
    (repo / "db" / "migrations" / "0001_create.sql").write_text(CREATE)
    (repo / "db" / "migrations" / "0002_index.sql").write_text(INDEX)
    monkeypatch.chdir(repo)
    as_ci(monkeypatch)
    assert lint_change(make_config(select=["LM101"]), None, False, []).findings == []
