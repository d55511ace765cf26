from .base import Hit, check


@check("LM406")
def concurrently_refused(op, facts):
    args = op.args
    if not args.get("concurrently"):
        return
    if op.kind == "drop_index" and (args.get("several") or args.get("cascade")):
        if facts.earlier_in_statement(op):
            return  # one statement fails once: its first index says so
        what = "several indexes at once" if args.get("several") else "CASCADE"
        yield Hit(op, f"DROP INDEX CONCURRENTLY fails with {what}: drop one index a statement, without CASCADE")
        return
    table = op.table or facts.table_of_index(args.get("name"))
    if not facts.is_partitioned(table, op):
        return
    what = "CREATE INDEX CONCURRENTLY" if op.kind == "create_index" else "DROP INDEX CONCURRENTLY"
    yield Hit(op, f"{what} fails on partitioned table {table}: PostgreSQL builds and drops a partitioned table's "
                  f"indexes only without CONCURRENTLY", table)
