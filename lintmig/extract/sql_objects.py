"""Statements on PostgreSQL objects around a table, read at token level: policies, rules
and domains lock or read tables the way ALTER TABLE does; a DROP ... CASCADE takes along
what uses the object; some ALTER TABLE actions take only SHARE UPDATE EXCLUSIVE. Every fact
here was measured on PostgreSQL 15 (docs/engine-facts.md lists them).

The functions take sql_classify's word cursor (`Words`) and return raw operations.
"""
from __future__ import annotations

from typing import Optional

# What no table can depend on: CASCADE takes nothing of a table along.
NOTHING_DEPENDS = {"PROCEDURE", "ROLE", "USER", "PUBLICATION", "SUBSCRIPTION", "STATISTICS", "TABLESPACE", "EVENT"}


def cascading_drop(kind: str) -> tuple:
    """DROP <object> ... CASCADE (measured on PostgreSQL 15: DROP TYPE and DROP DOMAIN drop
    every column of that type, DROP SEQUENCE and DROP FUNCTION the column defaults that use
    them): which tables lose what, the SQL does not say."""
    return ("unanalyzable", None, {
        "reason": f"DROP {kind} ... CASCADE also drops whatever uses it (columns of that type, column defaults, "
                  f"constraints, indexes, triggers), on tables the SQL does not name"})


def on_table(w, verb: str) -> Optional[list]:
    """CREATE / ALTER / DROP POLICY name ON table and CREATE / DROP RULE name ... ON|TO table:
    each takes ACCESS EXCLUSIVE on the table (measured on PostgreSQL 15), as ALTER TABLE does."""
    what = w.peek()
    w.i += 1
    w.accept("IF", "EXISTS")
    if w.name() is None:
        return None
    if what == "RULE" and verb == "CREATE":  # CREATE RULE name AS ON event TO table
        if not (w.accept("AS") and w.accept("ON")) or not w.peek():
            return None
        w.i += 1
        if not w.accept("TO"):
            return None
    elif not w.accept("ON"):
        return None
    table = w.name()
    if table is None:
        return None
    statement = f"{verb} {what}"
    return [("alter_table", table, {"action": statement, "statement": statement})]


def alter_domain(w) -> Optional[list]:
    """ALTER DOMAIN d ADD CHECK, SET NOT NULL and VALIDATE CONSTRAINT check every column of
    that type, each table locked SHARE (writes wait) through its scan; ADD ... NOT VALID
    checks nothing and locks no table (measured on PostgreSQL 15). Which tables have such
    columns, the SQL does not say."""
    domain = w.name()
    if domain is None:
        return None
    if w.accept("ADD"):
        name = w.name() if w.accept("CONSTRAINT") else None
        if w.peek() not in ("CHECK", "NOT"):
            return None
        if w.words[-2:] == ["NOT", "VALID"]:
            return []
        return [("add_constraint", None, {"name": name, "type": "check", "not_valid": False, "domain": domain})]
    scans = "SET NOT NULL" if w.accept("SET", "NOT", "NULL") else \
        "VALIDATE CONSTRAINT" if w.accept("VALIDATE", "CONSTRAINT") else None
    if scans is None:
        return []  # SET/DROP DEFAULT, DROP NOT NULL, DROP CONSTRAINT, RENAME, OWNER: no table is read
    return [("unanalyzable", None, {
        "reason": f"ALTER DOMAIN {domain} {scans} reads every column of that type, each table locked SHARE "
                  f"(writes wait) through its scan, on tables the SQL does not name"})]


# ALTER TABLE actions that take only SHARE UPDATE EXCLUSIVE, which lets reads and writes go on
# (only other DDL, VACUUM and ANALYZE wait on it). Measured on PostgreSQL 15: every table storage parameter but
# user_catalog_table, SET STATISTICS, a column's SET/RESET (n_distinct), CLUSTER ON and
# SET WITHOUT CLUSTER. Any other action takes a lock that stops writes or reads.
_LIGHT_PARAMETERS = {"fillfactor", "toast_tuple_target", "parallel_workers", "log_autovacuum_min_duration",
                     "vacuum_index_cleanup", "vacuum_truncate", "n_distinct", "n_distinct_inherited"}


def light_parameter(name: str) -> bool:
    """A storage parameter whose SET or RESET takes SHARE UPDATE EXCLUSIVE."""
    name = name.lower()
    if name.startswith("toast."):
        name = name[len("toast."):]
    return name in _LIGHT_PARAMETERS or name.startswith("autovacuum_")


def column_action(words: list[str]) -> Optional[list[str]]:
    """The words after `ALTER [COLUMN] c` of an ALTER TABLE action (None: not a column's)."""
    if words[:1] != ["ALTER"]:
        return None
    return words[3 if words[1:2] == ["COLUMN"] else 2:]


def takes_share_update_exclusive(words: list[str]) -> bool:
    """From an action's words: RESET (...), ALTER [COLUMN] c SET STATISTICS n,
    ALTER [COLUMN] c SET|RESET (...), CLUSTER ON index."""
    if words[:2] == ["CLUSTER", "ON"]:
        return True
    column = column_action(words)
    if column is not None:
        if column[:2] == ["SET", "STATISTICS"]:
            return True
        words = column
    if words[:1] not in (["SET"], ["RESET"]) or words[1:2] != ["("] or words[-1:] != [")"]:
        return False
    names, item = [], []
    for word in words[2:-1] + [","]:  # name [= value], ...: a name's words before its "=" (toast . x)
        if word == ",":
            names.append("".join(item[:item.index("=")] if "=" in item else item).lower())
            item = []
        else:
            item.append(word)
    return all(name and light_parameter(name) for name in names)
