from .base import Hit, check

_WHAT = {
    "create_index": "CREATE INDEX CONCURRENTLY", "drop_index": "DROP INDEX CONCURRENTLY",
    "reindex": "REINDEX CONCURRENTLY", "detach_partition": "DETACH PARTITION CONCURRENTLY",
}


@check("LM401")
def not_in_transaction_block(op, facts):
    if op.txn is None:
        return
    if op.kind == "vacuum":
        what = "VACUUM"
    elif op.kind == "alter_type_add_value":
        if facts.postgres_version >= 12:
            yield from _new_value_used(op, facts)
            return
        what = "ALTER TYPE ... ADD VALUE (before PostgreSQL 12)"
    elif op.kind in _WHAT and op.args.get("concurrently"):
        what = _WHAT[op.kind]
    else:
        return
    if op.args.get("in_do_block"):
        where = "a DO block, which is one transaction"
    elif op.args.get("multi_statement"):
        where = "a multi-statement query string, which is one implicit transaction"
    elif op.txn.kind == "migration" and op.txn.tool == "django":
        where = "the transaction Django wraps around an atomic migration (set atomic = False)"
    elif op.txn.kind == "migration" and op.txn.tool == "alembic":
        where = "the transaction Alembic runs the migration in (use op.get_context().autocommit_block())"
    else:
        where = op.txn.describe()
    yield Hit(op, f"{what} cannot run inside a transaction block, and here it runs inside {where}")


def _new_value_used(op, facts):
    """A new enum value used later in the transaction that added it."""
    line = op.args.get("value_used_on_line")
    if line is None:
        return
    if any(o.span.line == line and o.txn == op.txn for o in facts.migration.operations if o is not op):
        yield Hit(op, f"the new enum value '{op.args['value']}' is used on line {line}, in the transaction that adds "
                      f"it: PostgreSQL refuses that (\"unsafe use of new value\") until the ALTER TYPE is committed")
