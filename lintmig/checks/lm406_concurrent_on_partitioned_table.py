from .base import Hit, check


@check("LM406")
def concurrent_on_partitioned_table(op, facts):
    if not op.args.get("concurrently"):
        return
    table = op.table or facts.table_of_index(op.args.get("name"))
    if not facts.is_partitioned(table, op):
        return
    what = "CREATE INDEX CONCURRENTLY" if op.kind == "create_index" else "DROP INDEX CONCURRENTLY"
    yield Hit(op, f"{what} fails on partitioned table {table}: PostgreSQL builds and drops a partitioned table's "
                  f"indexes only without CONCURRENTLY", table)
