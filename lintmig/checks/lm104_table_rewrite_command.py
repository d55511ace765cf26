from .base import Hit, at_scale, check


@check("LM104")
def table_rewrite_command(op, facts):
    table = op.args.get("partition") if op.kind == "attach_partition" else op.table  # the one read or rewritten
    if table and not at_scale(op, facts, table):
        return
    args, what = op.args, None
    if op.kind == "reindex" and not args.get("concurrently") and facts.dialect == "postgres":
        what = "REINDEX without CONCURRENTLY blocks writes (and reads through the index) while it rebuilds"
    elif op.kind == "vacuum" and args.get("full") and facts.dialect == "postgres":
        what = "VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock"
    elif op.kind == "vacuum" and facts.dialect == "sqlite":
        what = "VACUUM rewrites the whole database file while every other writer waits"
    elif op.kind == "reindex" and facts.dialect == "sqlite":
        what = "REINDEX rebuilds the indexes from every row while every other writer of the database waits"
    elif op.kind == "cluster" and facts.dialect == "postgres":
        what = "CLUSTER rewrites the table under an ACCESS EXCLUSIVE lock"
    elif op.kind == "lock_table" and facts.dialect == "postgres":
        what = "LOCK TABLE holds its lock until the transaction ends"
    elif op.kind == "optimize_table" and facts.dialect == "mysql":
        what = "OPTIMIZE TABLE rebuilds the whole table"
    elif op.kind == "alter_table" and str(args.get("action", "")).startswith("CONVERT TO") and facts.dialect == "mysql":
        what = "CONVERT TO CHARACTER SET copies the whole table (ALGORITHM=COPY) and blocks writes until it is done"
    elif op.kind == "alter_table" and facts.dialect == "mysql" and args.get("action") == "DropPrimaryKey":
        what = "DROP PRIMARY KEY copies the whole table (ALGORITHM=COPY) and blocks writes until it is done"
    elif op.kind == "alter_table" and facts.dialect == "mysql" and args.get("action") in _MYSQL_REBUILDS:
        what = f"{args['action']} rebuilds the whole table as OPTIMIZE TABLE does: in place, writes go on, but every row is copied"
    elif op.kind == "alter_table" and facts.dialect == "mysql" and str(args.get("action", "")).startswith("ENGINE="):
        what = f"{args['action']} copies the whole table into another engine (ALGORITHM=COPY) and blocks writes until it is done"
    elif op.kind == "alter_table" and args.get("action") in ("SET LOGGED", "SET UNLOGGED") and facts.dialect == "postgres":
        what = f"{args['action']} rewrites the whole table under an ACCESS EXCLUSIVE lock"
    elif op.kind == "alter_table" and args.get("action") == "SET EXPRESSION" and facts.dialect == "postgres":
        what = "SET EXPRESSION recomputes the generated column for every row, rewriting the table under an ACCESS EXCLUSIVE lock"
    elif op.kind == "alter_table" and args.get("action") == "SET TABLESPACE" and facts.dialect == "postgres":
        what = "SET TABLESPACE copies the whole table to the new tablespace under an ACCESS EXCLUSIVE lock"
    elif op.kind == "attach_partition" and facts.dialect == "postgres" and not _proven(op, facts):
        what = (f"ATTACH PARTITION reads every row of {args.get('partition') or 'the partition'} under an ACCESS "
                f"EXCLUSIVE lock to check the bound, unless a validated CHECK constraint already proves it")
    elif op.kind == "refresh_materialized_view" and not args.get("concurrently") and facts.dialect == "postgres":
        what = "REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks every read of the view until it is rebuilt"
    elif op.kind == "detach_partition" and not args.get("concurrently") and facts.dialect == "postgres":
        what = "DETACH PARTITION without CONCURRENTLY (PostgreSQL 14+) takes an ACCESS EXCLUSIVE lock on the parent table"
    if what:
        on = f" ({op.table})" if op.table else ""
        yield Hit(op, what + on)


# ALTER TABLE forms that rebuild an InnoDB table in place, as OPTIMIZE TABLE does (a
# "null rebuild"): ENGINE=InnoDB on an InnoDB table, FORCE, and the row format options.
_MYSQL_REBUILDS = {"ENGINE=innodb", "FORCE", "ROW_FORMAT", "KEY_BLOCK_SIZE", "TABLESPACE"}


def _proven(op, facts) -> bool:
    """A validated CHECK on the partition from before the attach (the documented way to skip
    the scan; lintmig does not compare it with the bound)."""
    schema, here, _ = facts.schema(op)
    return any(c.type == "check" and c.validated for c in schema.constraints(op.args.get("partition"), here).values())
