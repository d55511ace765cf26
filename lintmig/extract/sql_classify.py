"""Token-level reading of statements sqlglot falls back on, raises on, or misreads.

sqlglot turns many migration statements into an opaque `exp.Command` (REINDEX, VACUUM,
LOCK, DO, VALIDATE CONSTRAINT, ...), raises on others (`CREATE INDEX ... ON ONLY`,
`CLUSTER t USING i`, `START TRANSACTION ISOLATION LEVEL ...`) and misreads a few
(`CLUSTER t` as an alias). These are read here from sqlglot's own tokens, so comments
and string contents never count as words.
"""
from __future__ import annotations

from typing import Any, Optional

import sqlglot
from sqlglot.tokens import Token, TokenType

from ..model import SHARE_UPDATE_EXCLUSIVE
from .sql_objects import (NOTHING_DEPENDS, alter_domain, cascading_drop, column_action, on_table,
                          takes_share_update_exclusive)

RawOp = tuple[str, Optional[str], dict[str, Any]]

# Statements whose first word sends them here before sqlglot is asked.
FIRST_WORDS = {
    "REINDEX", "VACUUM", "CLUSTER", "LOCK", "DO", "ANALYZE", "REFRESH", "OPTIMIZE", "RENAME",
    "RESET", "START", "BEGIN", "END", "ABORT", "SAVEPOINT", "RELEASE", "CHECKPOINT", "DISCARD",
    "GRANT", "REVOKE", "COMMENT", "PRAGMA", "CALL", "EXPLAIN", "SHOW", "USE", "NOTIFY", "LISTEN",
    "SECURITY", "COPY", "ROLLBACK", "COMMIT", "DEALLOCATE", "PREPARE", "EXECUTE",
    "UNLISTEN", "LOAD", "ATTACH", "DETACH",
}
# Words that make an unreadable statement worth a warning rather than a shrug.
CHANGE_WORDS = {
    "CREATE", "ALTER", "DROP", "UPDATE", "DELETE", "INSERT", "TRUNCATE", "REINDEX", "CLUSTER",
    "VACUUM", "LOCK", "RENAME", "MERGE", "UPSERT", "REPLACE", "OPTIMIZE", "REFRESH",
}
# Statements that do nothing lintmig judges.
HARMLESS = {
    "ANALYZE", "GRANT", "REVOKE", "COMMENT", "PRAGMA", "CALL", "EXPLAIN", "SHOW", "USE", "NOTIFY",
    "LISTEN", "UNLISTEN", "SECURITY", "CHECKPOINT", "DISCARD", "SAVEPOINT", "RELEASE", "COPY",
    "DEALLOCATE", "PREPARE", "EXECUTE", "SELECT", "VALUES", "LOAD", "ATTACH", "DETACH",
}
_NAME_TYPES = {TokenType.VAR, TokenType.IDENTIFIER}
_COMMANDS = {TokenType.COMMAND, TokenType.LOCK, TokenType.RENAME, TokenType.SHOW, TokenType.EXECUTE, TokenType.FETCH, TokenType.REPLACE}
_HARMLESS_CREATE = {
    "EXTENSION", "SCHEMA", "ROLE", "USER", "SEQUENCE", "TYPE", "DOMAIN", "VIEW", "COLLATION",
    "POLICY", "PUBLICATION", "SUBSCRIPTION", "SERVER", "CAST", "OPERATOR", "AGGREGATE",
    "STATISTICS", "DATABASE", "TABLESPACE", "RULE", "FUNCTION", "PROCEDURE", "EVENT", "LANGUAGE",
    "MATERIALIZED", "RECURSIVE", "TEMP", "TEMPORARY", "TEXT", "CONVERSION", "ACCESS", "FOREIGN",
}


_DIALECTS: dict[str, "sqlglot.Dialect"] = {}


def get_dialect(name: str) -> "sqlglot.Dialect":
    """sqlglot's dialect object, looked up once per name."""
    found = _DIALECTS.get(name)
    if found is None:
        found = _DIALECTS[name] = sqlglot.Dialect.get_or_raise(name)
    return found


_TOOLS: dict[str, tuple] = {}


def _tools(name: str) -> tuple:
    """(tokenizer, parser) of a dialect, made once: both reset themselves on every use, and
    making them for each statement cost a fifth of the parsing."""
    found = _TOOLS.get(name)
    if found is None:
        dialect = get_dialect(name)
        found = _TOOLS[name] = (dialect.tokenizer(), dialect.parser())
    return found


# sqlglot's tokenizer fails on a statement that ends in '' after a $1 parameter
# (`UPDATE media SET provider = $1 WHERE provider = ''`, sqlglot 30.30) and reads it with
# anything after the quotes: every statement gets a line end of its own.
_END = "\n"


def parse_one(sql: str, dialect: str):
    """sqlglot.parse_one(sql, read=dialect), with the dialect's tokenizer and parser reused."""
    tokenizer, parser = _tools(dialect)
    sql += _END
    result = parser.parse(tokenizer.tokenize(sql), sql)
    if len(result) == 1 and result[0] is not None:
        return result[0]
    return sqlglot.parse_one(sql, read=get_dialect(dialect))  # none or several: its own error or Block


def tokenize(sql: str, dialect: str) -> list[Token]:
    """sqlglot's tokens, with the text after a "command" keyword tokenized too (sqlglot
    keeps it as one string token)."""
    tokens = _tools(dialect)[0].tokenize(sql + _END)
    if len(tokens) >= 2 and tokens[-1].token_type == TokenType.STRING and tokens[-2].token_type in _COMMANDS:
        offset = tokens[-2].end + 1  # the string token's own start is not reliable
        tail = _tools(dialect)[0].tokenize(sql[offset:] + _END)
        for tok in tail:
            tok.start += offset
            tok.end += offset
        tokens = tokens[:-1] + tail
    return tokens


class Words:
    """A cursor over a statement's tokens, matching upper-cased words."""

    def __init__(self, tokens: list[Token], sql: str = ""):
        self.toks = tokens
        self.sql = sql
        self.words = [t.text.upper() if t.token_type != TokenType.STRING else "" for t in tokens]
        self.i = 0

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.words[j] if j < len(self.words) else ""

    def accept(self, *words: str) -> bool:
        if all(self.peek(k) == w for k, w in enumerate(words)):
            self.i += len(words)
            return True
        return False

    def skip_parens(self) -> None:
        if self.peek() != "(":
            return
        depth = 0
        while self.i < len(self.toks):
            w = self.words[self.i]
            depth += (w == "(") - (w == ")")
            self.i += 1
            if depth == 0:
                return

    def name(self) -> Optional[str]:
        """A possibly qualified name; lower-cased unless quoted; `public.` dropped."""
        parts = []
        while self.i < len(self.toks):
            tok = self.toks[self.i]
            if tok.token_type == TokenType.IDENTIFIER:
                parts.append(tok.text)
            elif tok.token_type in _NAME_TYPES or tok.text.replace("_", "").isalnum():
                parts.append(tok.text.lower())
            else:
                break
            self.i += 1
            if self.peek() != ".":
                break
            self.i += 1
        if not parts:
            return None
        if len(parts) > 1 and parts[-2] == "public":
            parts = parts[-1:]
        return ".".join(parts[-2:])

    def find(self, word: str) -> int:
        try:
            return self.words.index(word, self.i)
        except ValueError:
            return -1


def classify(sql: str, dialect: str) -> Optional[list[RawOp]]:
    """Operations of one statement read at token level; None when not understood."""
    try:
        tokens = tokenize(sql, dialect)
    except Exception:
        return None
    if not tokens:
        return []
    w = Words(tokens, sql)
    first = w.peek()
    handler = _HANDLERS.get(first)
    if handler is not None:
        result = handler(w, dialect)
        if result is not None:
            return result
    w.i = 0
    if first in HARMLESS:
        return []
    if first == "CREATE" and (w.peek(1) in _HARMLESS_CREATE or w.peek(3) in _HARMLESS_CREATE):
        return []
    return None


def mentions_change(sql: str, dialect: str) -> bool:
    try:
        tokens = tokenize(sql, dialect)
    except Exception:
        return any(word in sql.upper() for word in CHANGE_WORDS)
    return any(t.text.upper() in CHANGE_WORDS for t in tokens if t.token_type != TokenType.STRING)


def _transaction(w: Words, dialect: str) -> Optional[list[RawOp]]:
    first = w.peek()
    if first in ("START", "BEGIN"):
        if first == "START" and w.peek(1) != "TRANSACTION":
            return None
        mode = w.peek(1) if w.peek(1) in ("EXCLUSIVE", "IMMEDIATE", "DEFERRED") else None
        return [("transaction", None, {"action": "begin", "mode": mode})]
    if first in ("COMMIT", "END"):
        return [("transaction", None, {"action": "commit"})]
    if first in ("ROLLBACK", "ABORT"):
        if "TO" in w.words:  # ROLLBACK TO SAVEPOINT keeps the transaction open
            return []
        return [("transaction", None, {"action": "rollback"})]
    return None


def _reindex(w: Words, dialect: str) -> list[RawOp]:
    w.accept("REINDEX")
    concurrently = "CONCURRENTLY" in w.words
    w.skip_parens()
    target = w.peek() if w.peek() in ("INDEX", "TABLE", "SCHEMA", "DATABASE", "SYSTEM") else "INDEX"
    w.accept(target)
    w.accept("CONCURRENTLY")
    name = w.name()
    table = name if target == "TABLE" else None
    return [("reindex", table, {"concurrently": concurrently, "target": target.lower(), "name": name})]


def _vacuum(w: Words, dialect: str) -> list[RawOp]:
    w.accept("VACUUM")
    if dialect == "sqlite" and "INTO" in w.words:
        return []  # VACUUM [schema] INTO 'file' writes a copy and leaves the database as it is
    full = False
    if w.peek() == "(":
        start = w.i
        w.skip_parens()
        full = "FULL" in w.words[start:w.i]
    while w.peek() in ("FULL", "FREEZE", "VERBOSE", "ANALYZE"):
        full = full or w.peek() == "FULL"
        w.i += 1
    tables = []
    while True:
        name = w.name()
        if name is None:
            break
        tables.append(name)
        w.skip_parens()
        if not w.accept(","):
            break
    return [("vacuum", t, {"full": full}) for t in tables] or [("vacuum", None, {"full": full})]


def _cluster(w: Words, dialect: str) -> list[RawOp]:
    w.accept("CLUSTER")
    w.accept("VERBOSE")
    w.skip_parens()
    return [("cluster", w.name(), {})]


def _lock(w: Words, dialect: str) -> Optional[list[RawOp]]:
    if dialect == "mysql":  # LOCK TABLES t WRITE: a client-level lock, not DDL
        return [("lock_table", None, {"mysql": True})] if w.peek(1) == "TABLES" else None
    w.accept("LOCK")
    w.accept("TABLE")
    w.accept("ONLY")
    ops = []
    while True:
        name = w.name()
        if name is None:
            break
        ops.append(("lock_table", name, {}))
        w.accept("*")
        if not w.accept(","):
            break
    return ops or None


def _do(w: Words, dialect: str) -> list[RawOp]:
    return [("do_block", None, {})]  # the SQL front end reads the body


def _refresh(w: Words, dialect: str) -> list[RawOp]:
    concurrently = "CONCURRENTLY" in w.words
    w.accept("REFRESH")
    w.accept("MATERIALIZED")
    w.accept("VIEW")
    w.accept("CONCURRENTLY")
    view = w.name()
    w.i = len(w.words) - 1
    return [("refresh_materialized_view", view, {"concurrently": concurrently})]


def _reset(w: Words, dialect: str) -> list[RawOp]:
    w.accept("RESET")
    name = "all" if w.accept("ALL") else w.name()
    return [("reset_setting", None, {"name": name})]


def _optimize(w: Words, dialect: str) -> list[RawOp]:
    w.accept("OPTIMIZE")
    w.accept("NO_WRITE_TO_BINLOG") or w.accept("LOCAL")
    w.accept("TABLE")
    return [("optimize_table", w.name(), {})]


def _rename(w: Words, dialect: str) -> Optional[list[RawOp]]:
    """MySQL RENAME TABLE a TO b[, c TO d ...]."""
    if not w.accept("RENAME", "TABLE"):
        return None
    ops: list[RawOp] = []
    while True:
        old = w.name()
        if old is None or not w.accept("TO"):
            break
        ops.append(("rename_table", old, {"new_name": w.name()}))
        if not w.accept(","):
            break
    return ops or None


def _create(w: Words, dialect: str) -> Optional[list[RawOp]]:
    w.accept("CREATE")
    w.accept("OR", "REPLACE")
    unique = w.accept("UNIQUE")
    kind = w.peek() if w.peek() in ("FULLTEXT", "SPATIAL") else None
    if kind:
        w.i += 1
    if w.accept("INDEX"):
        return _create_index(w, unique, kind)
    w.accept("CONSTRAINT")
    if w.accept("TRIGGER"):
        on = w.find("ON")
        w.i = on + 1 if on >= 0 else len(w.words)
        return [("create_trigger", w.name(), {})]
    if w.peek() in ("POLICY", "RULE"):
        return on_table(w, "CREATE")
    if w.accept("MATERIALIZED", "VIEW"):  # a form the parser does not take (WITH NO DATA, ...)
        if_not_exists = w.accept("IF", "NOT", "EXISTS")
        view = w.name()
        return [("create_table", view, {"if_not_exists": if_not_exists, "as_select": True})] if view else None
    temporary = w.accept("TEMPORARY") or w.accept("TEMP")
    w.accept("UNLOGGED") or w.accept("VIRTUAL")
    if w.accept("TABLE"):  # a definition the parser does not take (PostgreSQL 18 syntax and the like)
        if_not_exists = w.accept("IF", "NOT", "EXISTS")
        table = w.name()
        if table and w.accept("USING"):  # SQLite: CREATE VIRTUAL TABLE t USING fts5(...)
            w.name()
        if table and _balanced_to_end(w):
            return [("create_table", table, {"if_not_exists": if_not_exists, "temporary": temporary})]
    return None


# What may follow a table definition's parentheses (PostgreSQL, MySQL, SQLite).
_TABLE_TAIL = {"WITH", "INHERITS", "PARTITION", "TABLESPACE", "WITHOUT", "STRICT", "ENGINE", "DEFAULT", "CHARSET",
               "CHARACTER", "COLLATE", "ON", "USING", "COMMENT", "AUTO_INCREMENT", "ROW_FORMAT"}


def _balanced_to_end(w: Words) -> bool:
    """A parenthesised definition that closes, followed by nothing or a known table option."""
    if w.peek() != "(":
        return False
    depth = 0
    for j in range(w.i, len(w.words)):
        depth += (w.words[j] == "(") - (w.words[j] == ")")
        if depth == 0:
            rest = [x for x in w.words[j + 1:] if x != ";"]
            return not rest or rest[0] in _TABLE_TAIL
    return False


def _create_index(w: Words, unique: bool, kind: Optional[str]) -> list[RawOp]:
    concurrently = w.accept("CONCURRENTLY")
    if_not_exists = w.accept("IF", "NOT", "EXISTS")
    name = None if w.peek() == "ON" else w.name()
    w.accept("ON")
    only = w.accept("ONLY")
    table = w.name()
    rest = w.words[w.i:]
    method = rest[rest.index("USING") + 1].lower() if "USING" in rest[:2] and len(rest) > 1 else None
    args: dict[str, Any] = {
        "name": name, "concurrently": concurrently, "if_not_exists": if_not_exists,
        "unique": unique, "only": only, "method": method, "index_type": kind and kind.lower(),
    }
    for opt in ("ALGORITHM", "LOCK"):
        if opt in rest:
            j = rest.index(opt) + 1
            j += rest[j:j + 1] == ["="]
            args[opt.lower()] = rest[j].lower() if j < len(rest) else None
    return [("create_index", table, args)]


def _drop(w: Words, dialect: str) -> Optional[list[RawOp]]:
    w.accept("DROP")
    if w.accept("INDEX"):
        concurrently = w.accept("CONCURRENTLY")
        if_exists = w.accept("IF", "EXISTS")
        names = []
        while True:
            name = w.name()
            if name is None:
                break
            names.append(name)
            if not w.accept(","):
                break
        table = w.name() if w.accept("ON") else None
        args = {"concurrently": concurrently, "if_exists": if_exists, "several": len(names) > 1,
                "cascade": w.accept("CASCADE")}
        return [("drop_index", table, {**args, "name": n}) for n in names] or None
    if w.accept("TRIGGER"):
        if_exists = w.accept("IF", "EXISTS")
        name = w.name()
        table = w.name() if w.accept("ON") else None
        return [("drop_trigger", table, {"name": name, "if_exists": if_exists})]
    if w.peek() in ("POLICY", "RULE"):
        return on_table(w, "DROP")
    if w.accept("SCHEMA"):  # several at once (sqlglot reads a single one)
        if_exists, names = w.accept("IF", "EXISTS"), []
        while (name := w.name()) is not None:
            names.append(name)
            if not w.accept(","):
                break
        cascade = w.accept("CASCADE")
        w.accept("RESTRICT")
        if not names or w.i < len(w.words):
            return None
        return [("drop_schema", None, {"name": n, "what": "schema", "cascade": cascade, "if_exists": if_exists})
                for n in names]
    kind = w.peek()
    if kind in _HARMLESS_DROP:
        # routines, types, extensions, roles: no table is locked or rewritten, unless CASCADE
        # takes along whatever uses them
        return [cascading_drop(kind)] if w.words[-1] == "CASCADE" and kind not in NOTHING_DEPENDS else []
    return None


# Objects whose DROP (without CASCADE) touches no table's rows and takes no lock that
# blocks reads or writes (DROP STATISTICS takes SHARE UPDATE EXCLUSIVE on its table).
_HARMLESS_DROP = {"FUNCTION", "PROCEDURE", "AGGREGATE", "ROUTINE", "EXTENSION", "ROLE", "USER", "COLLATION",
                  "OPERATOR", "LANGUAGE", "CAST", "TEXT", "EVENT", "TYPE", "DOMAIN", "SEQUENCE", "STATISTICS",
                  "PUBLICATION", "SUBSCRIPTION", "SERVER", "TABLESPACE", "CONVERSION", "ACCESS", "TRANSFORM"}
# ALTER of an object that is not a table: nothing the rules judge (a materialized view's
# rename is judged no more than a view's).
_ALTERED_OBJECTS = frozenset({
    "INDEX", "SEQUENCE", "VIEW", "MATERIALIZED", "FUNCTION", "ROLE", "SCHEMA", "DEFAULT", "DATABASE", "SYSTEM",
    "EXTENSION", "DOMAIN", "USER", "GROUP", "PROCEDURE", "AGGREGATE", "ROUTINE", "COLLATION", "LANGUAGE",
    "OPERATOR", "STATISTICS", "PUBLICATION", "SUBSCRIPTION", "SERVER", "POLICY", "TEXT", "CONVERSION",
    "TABLESPACE", "EVENT", "RULE",
})


def _alter(w: Words, dialect: str) -> Optional[list[RawOp]]:
    w.accept("ALTER")
    if w.accept("TYPE"):
        w.name()
        if w.accept("ADD", "VALUE"):
            args: dict[str, Any] = {"if_not_exists": w.accept("IF", "NOT", "EXISTS")}
            if w.i < len(w.toks) and w.toks[w.i].token_type == TokenType.STRING:
                args["value"] = w.toks[w.i].text  # sqlglot keeps a string's text unquoted
            return [("alter_type_add_value", None, args)]
        return []
    if w.accept("TRIGGER"):  # ALTER TRIGGER t ON table RENAME TO u: a lock on the table, briefly
        w.name()
        table = w.name() if w.accept("ON") else None
        return [("alter_table", table, {"action": "ALTER TRIGGER"})] if table else None
    if w.peek() in ("POLICY", "RULE"):
        return on_table(w, "ALTER")
    if w.accept("DOMAIN"):
        return alter_domain(w)
    if not w.accept("TABLE"):
        return [] if w.peek() in _ALTERED_OBJECTS else None
    if_exists = w.accept("IF", "EXISTS")
    w.accept("ONLY")
    table = w.name()
    w.accept("*")
    if table is None:
        return None
    ops: list[RawOp] = []
    for action in split_actions(w):
        ops.append(_alter_action(action, table, if_exists))
    return ops


def split_actions(w: Words) -> list[Words]:
    """The comma-separated actions of an ALTER TABLE, each as its own cursor."""
    actions, start, depth = [], w.i, 0
    for j in range(w.i, len(w.toks) + 1):
        word = w.words[j] if j < len(w.toks) else ","
        depth += (word == "(") - (word == ")")
        if word == "," and depth == 0:
            if j > start:
                actions.append(Words(w.toks[start:j], w.sql))
            start = j + 1
    return actions


def _alter_action(a: Words, table: str, if_exists: bool) -> RawOp:
    if a.accept("VALIDATE", "CONSTRAINT"):
        return ("validate_constraint", table, {"name": a.name()})
    if a.accept("ADD"):
        name = a.name() if a.accept("CONSTRAINT") else None
        # sqlglot's tokenizer reads PRIMARY KEY as one word
        ctype = {"UNIQUE": "unique", "PRIMARY": "primary_key", "PRIMARY KEY": "primary_key", "FOREIGN": "foreign_key",
                 "CHECK": "check", "EXCLUDE": "exclude"}.get(a.peek())
        if ctype:
            using = a.find("USING")
            using_index = using >= 0 and a.words[using + 1:using + 2] == ["INDEX"]
            not_valid = "VALID" in a.words and a.words[a.words.index("VALID") - 1] == "NOT"
            args = {"name": name, "type": ctype, "using_index": using_index, "not_valid": not_valid}
            if using_index:
                a.i = using + 2
                args["index"] = a.name()
            return ("add_constraint", table, args)
        if a.accept("NOT", "NULL"):  # PostgreSQL 18's named NOT NULL constraint: SET NOT NULL by another name
            return ("set_not_null", table, {"column": a.name()})
    if a.accept("DETACH", "PARTITION"):
        part = a.name()
        return ("detach_partition", table, {"partition": part, "concurrently": a.accept("CONCURRENTLY")})
    if a.accept("ATTACH", "PARTITION"):
        return ("attach_partition", table, {"partition": a.name()})
    if a.accept("DROP", "CONSTRAINT"):
        return ("drop_constraint", table, {"if_exists": a.accept("IF", "EXISTS"), "name": a.name()})
    text = a.sql[a.toks[0].start:a.toks[-1].end + 1] if a.sql else ""
    a.i = 0
    if a.peek() not in _ALTER_ACTION_WORDS:
        return ("unanalyzable", table, {"reason": f"unknown ALTER TABLE action {a.peek() or '(empty)'}"})
    args = {"action": " ".join(x for x in a.words[:3] if x), "action_sql": text}
    if (column_action(a.words) or [])[:2] == ["SET", "EXPRESSION"]:
        args["action"] = "SET EXPRESSION"  # PostgreSQL 17: a stored generated column, recomputed for every row
    elif takes_share_update_exclusive(a.words):
        args["lock_mode"] = SHARE_UPDATE_EXCLUSIVE
    return ("alter_table", table, args)


# ALTER TABLE actions of PostgreSQL, MySQL and SQLite (others make the statement LM004).
_ALTER_ACTION_WORDS = {
    "ADD", "DROP", "ALTER", "RENAME", "SET", "RESET", "OWNER", "ENABLE", "DISABLE", "REPLICA",
    "CLUSTER", "INHERIT", "NO", "OF", "NOT", "FORCE", "VALIDATE", "ATTACH", "DETACH", "MODIFY",
    "CHANGE", "ALGORITHM", "LOCK", "ENGINE", "CONVERT", "CHARACTER", "DEFAULT", "COMMENT",
    "AUTO_INCREMENT", "ROW_FORMAT", "ORDER", "DISCARD", "IMPORT", "COALESCE", "REORGANIZE",
    "EXCHANGE", "ANALYZE", "CHECK", "OPTIMIZE", "REBUILD", "REPAIR", "REMOVE", "UPGRADE",
    "TRUNCATE", "PARTITION", "COLLATE", "KEY_BLOCK_SIZE", "STATS_PERSISTENT", "FORCE",
}

_HANDLERS = {
    "REINDEX": _reindex, "VACUUM": _vacuum, "CLUSTER": _cluster, "LOCK": _lock, "DO": _do,
    "REFRESH": _refresh, "RESET": _reset, "OPTIMIZE": _optimize, "RENAME": _rename,
    "START": _transaction, "BEGIN": _transaction, "COMMIT": _transaction, "END": _transaction,
    "ROLLBACK": _transaction, "ABORT": _transaction, "CREATE": _create, "DROP": _drop,
    "ALTER": _alter,
}
