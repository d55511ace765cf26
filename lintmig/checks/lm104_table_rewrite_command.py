from .base import Hit, at_scale, check


@check("LM104")
def table_rewrite_command(op, facts):
    if op.table and not at_scale(op, facts):
        return
    args, what = op.args, None
    if op.kind == "reindex" and not args.get("concurrently") and facts.dialect == "postgres":
        what = "REINDEX without CONCURRENTLY blocks writes (and reads through the index) while it rebuilds"
    elif op.kind == "vacuum" and args.get("full") and facts.dialect == "postgres":
        what = "VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock"
    elif op.kind == "cluster" and facts.dialect == "postgres":
        what = "CLUSTER rewrites the table under an ACCESS EXCLUSIVE lock"
    elif op.kind == "lock_table" and facts.dialect == "postgres":
        what = "LOCK TABLE holds its lock until the transaction ends"
    elif op.kind == "optimize_table" and facts.dialect == "mysql":
        what = "OPTIMIZE TABLE rebuilds the whole table"
    elif op.kind == "alter_table" and args.get("action") in ("SET LOGGED", "SET UNLOGGED") and facts.dialect == "postgres":
        what = f"{args['action']} rewrites the whole table under an ACCESS EXCLUSIVE lock"
    elif op.kind == "refresh_materialized_view" and not args.get("concurrently") and facts.dialect == "postgres":
        what = "REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks every read of the view until it is rebuilt"
    elif op.kind == "detach_partition" and not args.get("concurrently") and facts.dialect == "postgres":
        what = "DETACH PARTITION without CONCURRENTLY (PostgreSQL 14+) takes an ACCESS EXCLUSIVE lock on the parent table"
    if what:
        on = f" ({op.table})" if op.table else ""
        yield Hit(op, what + on)
