"""The statement splitter: quotes, comments, bodies, tool markers."""
from __future__ import annotations

import pytest

from lintmig.sql_split import SplitError, split


def statements(text, dialect="postgres"):
    return [text[p.start:p.end] for p in split(text, dialect)[0]]


@pytest.mark.parametrize("text,dialect,expected", [
    ("SELECT 1; SELECT 2", "postgres", ["SELECT 1", "SELECT 2"]),
    ("INSERT INTO t VALUES ('a;b', 'it''s;');", "postgres", ["INSERT INTO t VALUES ('a;b', 'it''s;')"]),
    ("SELECT E'\\';'; SELECT 2;", "postgres", ["SELECT E'\\';'", "SELECT 2"]),
    ("SELECT 'a\\';'; SELECT 2;", "mysql", ["SELECT 'a\\';'", "SELECT 2"]),
    ('SELECT "a;b" FROM t; SELECT 2', "postgres", ['SELECT "a;b" FROM t', "SELECT 2"]),
    ("SELECT `a;b` FROM t; SELECT 2", "mysql", ["SELECT `a;b` FROM t", "SELECT 2"]),
    ("-- a; b\nSELECT 1; /* c; /* nested; */ d; */ SELECT 2;", "postgres", ["SELECT 1", "SELECT 2"]),
    ("# note; here\nSELECT 1;", "mysql", ["SELECT 1"]),
    ("DO $body$ BEGIN UPDATE t SET a = 1; END $body$; SELECT 2;", "postgres",
     ["DO $body$ BEGIN UPDATE t SET a = 1; END $body$", "SELECT 2"]),
    ("SELECT $1, $2; SELECT 3", "postgres", ["SELECT $1, $2", "SELECT 3"]),
    ("CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE u SET n = CASE WHEN 1 THEN 2 END; END; SELECT 1;", "sqlite",
     ["CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE u SET n = CASE WHEN 1 THEN 2 END; END", "SELECT 1"]),
    ("BEGIN; UPDATE t SET a = 1; END;", "sqlite", ["BEGIN", "UPDATE t SET a = 1", "END"]),
    ("DELIMITER //\nCREATE PROCEDURE p() BEGIN IF 1 THEN SELECT 1; END IF; END //\nDELIMITER ;\nSELECT 2;", "mysql",
     ["CREATE PROCEDURE p() BEGIN IF 1 THEN SELECT 1; END IF; END", "SELECT 2"]),
    ("-- +goose StatementBegin\nCREATE FUNCTION f() AS 'a; b';\nSELECT 1;\n-- +goose StatementEnd\nSELECT 2;", "postgres",
     ["CREATE FUNCTION f() AS 'a; b';\nSELECT 1;", "SELECT 2"]),
    ("SELECT 1;\n\\connect other\nSELECT 2;", "postgres", ["SELECT 1", "SELECT 2"]),
    ("  \n\n-- only a comment\n", "postgres", []),
])
def test_split(text, dialect, expected):
    assert statements(text, dialect) == expected


@pytest.mark.parametrize("text", ["SELECT 'open", "SELECT $$ open", "/* open", "-- +goose StatementBegin\nSELECT 1;"])
def test_unterminated_input_raises_with_offset(text):
    with pytest.raises(SplitError) as err:
        split(text)
    assert err.value.offset >= 0


def test_comments_are_returned():
    text = "-- one\nSELECT 1; /* two */"
    assert [text[c.start:c.end] for c in split(text)[1]] == ["-- one", "/* two */"]
