"""SQL in Go/TS/Rust code: which files, which strings, and the extra."""
from __future__ import annotations

import pytest

from conftest import make_config
from lintmig.engine import lint_paths

GO = 'package main\nfunc m(db *sql.DB) {\n\tdb.Exec("CREATE INDEX ix ON orders (a)")\n}\n'


def test_named_code_file_is_read(tmp_path):
    path = tmp_path / "db.go"
    path.write_text(GO)
    found = lint_paths([str(path)], make_config(select=["LM101"])).findings
    assert [(f.code, f.span.line) for f in found] == [("LM101", 3)]


def test_folders_read_code_only_through_embedded_globs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cmd" / "ingestor").mkdir(parents=True)
    (tmp_path / "cmd" / "ingestor" / "db.go").write_text(GO)
    (tmp_path / "cmd" / "ingestor" / "main.go").write_text(GO)
    assert lint_paths(["cmd"], make_config()).files_scanned == 0
    result = lint_paths(["cmd"], make_config(embedded=["cmd/**/db.go"], select=["LM101"]))
    assert result.files_scanned == 1 and [f.code for f in result.findings] == ["LM101"]


def test_without_the_extra_a_named_code_file_is_a_usage_error(tmp_path, monkeypatch):
    import lintmig.extract.embedded as embedded
    from lintmig.config import UsageError

    monkeypatch.setattr(embedded, "available", lambda: False)
    path = tmp_path / "db.go"
    path.write_text(GO)
    with pytest.raises(UsageError, match=r"db\.go: .*pip install 'lintmig\[embedded\]'"):
        lint_paths([str(path)], make_config())


def test_strings_that_only_look_like_sql_are_ignored(tmp_path):
    path = tmp_path / "app.ts"
    path.write_text('console.log("UPDATE failed, retrying");\nconst label = "Create index failed";\n'
                    'throw new Error("DELETE everything now");\n')
    assert lint_paths([str(path)], make_config()).findings == []


def test_drizzle_statement_breakpoints_separate_statements(tmp_path):
    path = tmp_path / "0001_drizzle.sql"
    path.write_text("CREATE INDEX ix_a ON orders (a)\n--> statement-breakpoint\nCREATE INDEX ix_b ON orders (b)\n")
    found = lint_paths([str(path)], make_config(select=["LM101"])).findings
    assert [f.span.line for f in found] == [1, 3]


def test_configured_execution_calls(tmp_path):
    path = tmp_path / "db.go"
    # Only the call tells that this is SQL: the template does not start with a keyword.
    path.write_text('package main\nfunc m(s *Store) {\n\ts.ApplyDDL(fmt.Sprintf("%s INDEX ix ON orders (a)", "CREATE"))\n}\n')
    assert lint_paths([str(path)], make_config(select=["LM101"])).findings == []
    found = lint_paths([str(path)], make_config(select=["LM101"], embedded_calls=["ApplyDDL"])).findings
    assert [f.code for f in found] == ["LM101"]


def test_boot_time_code_counts_every_key_its_file_makes(tmp_path):
    """Functions run in an order the text does not show: a backfill written above the
    CREATE TABLE that makes its key is still bounded by that key. (In a migration file,
    a key made after the UPDATE would not be.)"""
    go = ('package db\n\nfunc backfill(db *sql.DB, id int) {\n'
          '\tdb.Exec("UPDATE messages SET hash = $1 WHERE message_id = $2", "x", id)\n}\n\n'
          'func migrate(db *sql.DB) {\n'
          '\tdb.Exec("CREATE TABLE IF NOT EXISTS messages (message_id bigint PRIMARY KEY, hash text)")\n}\n')
    path = tmp_path / "db.go"
    path.write_text(go)
    assert lint_paths([str(path)], make_config(select=["LM301"])).findings == []
    sql = tmp_path / "0002_fill.sql"
    sql.write_text("UPDATE messages SET hash = 'x' WHERE message_id = 7;\n"
                   "ALTER TABLE messages ADD CONSTRAINT messages_id UNIQUE (message_id);\n")
    found = lint_paths([str(sql)], make_config(select=["LM301"])).findings
    assert [f.code for f in found] == ["LM301"]
