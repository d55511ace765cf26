"""Alembic revisions as a user lints them: folders, revision order, downgrades."""
from __future__ import annotations

from conftest import make_config
from lintmig.engine import lint_paths

HEADER = '"""{doc}"""\nfrom alembic import op\nimport sqlalchemy as sa\n\nrevision = "{rev}"\ndown_revision = {down}\n\n'


def revision(tmp_path, name, rev, down, upgrade, downgrade="    pass\n", doc="a revision"):
    path = tmp_path / name
    body = HEADER.format(doc=doc, rev=rev, down=repr(down)) + "def upgrade():\n" + upgrade + "\n\ndef downgrade():\n" + downgrade
    path.write_text(body)
    return path


def codes(result):
    return sorted((f.code, f.span.line) for f in result.findings)


def test_folder_finds_revisions_by_content(tmp_path):
    versions = tmp_path / "versions"
    versions.mkdir()
    revision(versions, "abc_add_index.py", "abc", None, '    op.create_index("ix", "orders", ["a"])\n')
    (versions / "__init__.py").write_text("")
    (versions / "helpers.py").write_text("def upgrade_helper():\n    return 1\n")
    result = lint_paths([str(tmp_path)], make_config(select=["LM101"]))
    assert result.files_scanned == 1
    assert [f.code for f in result.findings] == ["LM101"]


def test_revision_order_follows_down_revision_not_file_names(tmp_path):
    # "a_" sorts first, but it revises "b_", which creates the table.
    revision(tmp_path, "a_index.py", "r2", "r1", '    op.create_index("ix", "notes", ["body"])\n')
    revision(tmp_path, "b_create.py", "r1", None,
             '    op.create_table("notes", sa.Column("id", sa.Integer, primary_key=True), sa.Column("body", sa.Text))\n')
    config = make_config(select=["LM101"])
    from lintmig.discover import paths_to_files
    from lintmig.engine import check_all, extract_all

    # As one change (diff mode adding both), the table is new for the index.
    assert check_all(extract_all(paths_to_files([str(tmp_path)], config).files, config), config) == []
    # A path run judges each revision against the ones before it: the table exists by then.
    assert [f.code for f in lint_paths([str(tmp_path)], config).findings] == ["LM101"]


def test_a_merge_revision_comes_after_both_of_its_parents(tmp_path):
    # "a_" sorts first; it revises the merge "m_" of "b_" (the table) and "c_" (an index on it).
    revision(tmp_path, "a_drop.py", "r4", "r3", '    op.drop_index("ix_notes_body")\n')
    revision(tmp_path, "m_merge.py", "r3", ("r1", "r2"), "    pass\n")
    revision(tmp_path, "b_create.py", "r1", None,
             '    op.create_table("notes", sa.Column("id", sa.Integer, primary_key=True), sa.Column("body", sa.Text))\n')
    revision(tmp_path, "c_index.py", "r2", "r1", '    op.create_index("ix_notes_body", "notes", ["body"])\n')
    config = make_config(select=["LM103"])
    from lintmig.discover import paths_to_files
    from lintmig.engine import extract_all, migration_order

    ordered = migration_order(extract_all(paths_to_files([str(tmp_path)], config).files, config))
    assert [m.path.rsplit("/", 1)[-1] for m in ordered] == ["b_create.py", "c_index.py", "m_merge.py", "a_drop.py"]
    assert ordered[2].depends_on == ("r1", "r2")
    found = lint_paths([str(tmp_path)], config).findings
    assert [(f.path.rsplit("/", 1)[-1], f.table) for f in found] == [("a_drop.py", "notes")]


def test_a_long_chain_whose_file_names_sort_newest_first_is_ordered(tmp_path):
    # Hash-named revisions can sort in any order; 1,500 in one chain, newest file first,
    # was deeper than Python lets a function call itself.
    count = 1500
    for i in range(count):
        revision(tmp_path, f"m{count - i:05d}_step.py", f"r{i}", f"r{i - 1}" if i else None,
                 f'    op.create_index("ix_{i}", "notes", ["body"])\n' if i == count - 1 else "    pass\n")
    config = make_config(select=["LM101"])
    from lintmig.discover import paths_to_files
    from lintmig.engine import extract_all, migration_order

    ordered = migration_order(extract_all(paths_to_files([str(tmp_path)], config).files, config))
    assert [m.revision for m in ordered] == [f"r{i}" for i in range(count)]
    found = lint_paths([str(tmp_path)], config).findings
    assert [(f.code, f.path.rsplit("/", 1)[-1]) for f in found] == [("LM101", "m00001_step.py")]


def test_downgrade_is_linted_only_when_asked(tmp_path):
    path = revision(tmp_path, "r.py", "r1", None, "    pass\n", downgrade='    op.drop_index("ix_orders_a")\n')
    assert lint_paths([str(path)], make_config(select=["LM103"])).findings == []
    found = lint_paths([str(path)], make_config(select=["LM103"], lint_downgrade=True)).findings
    assert [f.code for f in found] == ["LM103"]


def test_docstrings_comments_and_non_sql_strings_are_not_code(tmp_path):
    path = revision(tmp_path, "r.py", "r1", None,
                    '    """CREATE INDEX ix ON orders (a); UPDATE orders SET a = 1"""\n'
                    '    # op.create_index("ix", "orders", ["a"])\n'
                    '    print("UPDATE orders SET a = 1")\n',
                    doc="CREATE INDEX ix ON orders (a)")
    assert lint_paths([str(path)], make_config()).findings == []


def test_nothing_from_the_revision_is_executed(tmp_path):
    marker = tmp_path / "ran"
    path = revision(tmp_path, "r.py", "r1", None,
                    f'    open({str(marker)!r}, "w").write("x")\n    op.create_index("ix", "orders", ["a"])\n')
    path.write_text(f'open({str(marker)!r}, "w").write("x")\n' + path.read_text())
    lint_paths([str(path)], make_config())
    assert not marker.exists()


def test_keyword_only_and_batch_op_calls(tmp_path):
    path = revision(tmp_path, "r.py", "r1", None,
                    '    op.create_index(table_name="orders", columns=["a"], index_name="ix")\n'
                    '    with op.batch_alter_table("orders") as batch_op:\n'
                    '        batch_op.create_index("ix2", ["b"])\n')
    found = lint_paths([str(path)], make_config(select=["LM101"])).findings
    assert [(f.code, f.table, f.span.line) for f in found] == [("LM101", "orders", 9), ("LM101", "orders", 11)]


def test_revisions_of_one_upgrade_share_a_transaction_by_default(tmp_path, monkeypatch):
    """Revisions a change adds run in one upgrade, in Alembic's one transaction; a path run
    audits each revision as deployed on its own, so an earlier one's DDL is history."""
    from conftest import as_ci, feature_branch
    from lintmig.engine import lint_change

    repo = feature_branch(tmp_path / "repo", {"db/versions/r0_base.py": ""})
    versions = repo / "db" / "versions"
    (versions / "r0_base.py").unlink()
    revision(versions, "r1_column.py", "r1", None, '    op.add_column("orders", sa.Column("note", sa.Text()))\n')
    revision(versions, "r2_backfill.py", "r2", "r1", '    op.execute("UPDATE orders SET note = \'\'")\n')
    monkeypatch.chdir(repo)
    as_ci(monkeypatch)
    found = lint_change(make_config(select=["LM303"]), None, False, []).findings
    assert [(f.code, f.path.endswith("r2_backfill.py")) for f in found] == [("LM303", True)]
    assert "an earlier migration of the same run" in found[0].message
    assert lint_paths([str(versions)], make_config(select=["LM303"])).findings == []
    (repo / "db" / "env.py").write_text(
        "from alembic import context\n"
        "def run_migrations_online():\n"
        "    context.configure(connection=None, transaction_per_migration=True)\n")
    assert lint_change(make_config(select=["LM303"]), None, False, []).findings == []


def test_core_where_on_the_key_with_a_runtime_value_is_bounded(tmp_path):
    path = revision(tmp_path, "r.py", "r1", None,
                    '    flow = sa.table("flow", sa.column("id"), sa.column("name"))\n'
                    '    op.execute(sa.delete(flow).where(flow.c.id == run.flow_id))\n'
                    '    op.execute(sa.delete(flow).where(flow.c.id == deleted.c.id))\n')
    found = lint_paths([str(path)], make_config(select=["LM302"])).findings
    assert [(f.table, f.span.line) for f in found] == [("flow", 11)]  # only the join bounds nothing


def test_orm_and_row_set_loops_rewrite_the_table_row_by_row(tmp_path):
    path = revision(tmp_path, "r.py", "r1", None,
                    '    session = Session(bind=op.get_bind())\n'
                    '    for incident in session.query(Incident).all():\n'
                    '        incident.visibility = "open"\n'
                    '        incident.tags = []\n'
                    '    session.commit()\n'
                    '    rows = op.get_bind().execute(sa.text("SELECT id, name FROM tag")).fetchall()\n'
                    '    for row in rows:\n'
                    '        op.execute(sa.text("UPDATE tag SET slug = :s WHERE id = :i").bindparams(s=row.name, i=row.id))\n'
                    '    for name in ["a", "b"]:\n'
                    '        print(name)\n')
    found = lint_paths([str(path)], make_config(select=["LM301"])).findings
    assert [(f.span.line, f.table) for f in found] == [(11, None), (16, "tag")]
    assert all("one at a time" in f.message for f in found)


def test_sql_through_an_aliased_text_import_is_read(tmp_path):
    path = tmp_path / "r.py"
    path.write_text(HEADER.format(doc="alias", rev="r1", down=repr(None))
                    + "from sqlalchemy import text as sql_text\n\n\ndef upgrade():\n"
                    + "    op.execute(sql_text('CREATE INDEX ix_orders_a ON orders (a)'))\n")
    found = lint_paths([str(path)], make_config(select=["LM101", "LM004"])).findings
    assert [(f.code, f.table) for f in found] == [("LM101", "orders")]


def test_valid_python_that_libcst_validation_rejects_is_still_read(tmp_path):
    # libcst 1.9 built this expression and then raised TypeError checking it.
    path = revision(tmp_path, "r.py", "r1", None,
                    '    pick = () if 0 else(lambda:())\n    op.create_index("ix", "orders", ["a"])\n')
    assert [f.code for f in lint_paths([str(path)], make_config()).findings if f.code in ("LM001", "LM101")] == ["LM101"]
    helper = tmp_path / "helper.py"
    helper.write_text("pick = () if 0 else(lambda:())\n")
    assert lint_paths([str(helper)], make_config()).findings == []


def test_nodes_built_after_parsing_are_checked_again():
    import libcst as cst
    import pytest

    from lintmig.extract.pyreader import parse_module

    parse_module("x = 1\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")
