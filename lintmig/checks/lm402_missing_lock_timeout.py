from .base import Hit, check


@check("LM402")
def missing_lock_timeout(op, facts):
    args = op.args
    if args.get("concurrently") or (op.kind == "vacuum" and not args.get("full")):
        return
    table = op.table or facts.table_of_index(args.get("name"))
    if table and facts.is_new_table(table, op):
        return
    setting = "lock_wait_timeout" if facts.dialect == "mysql" else "lock_timeout"
    if setting in facts.settings(op):
        return
    on = f" on {table}" if table else ""
    yield Hit(op, f"{op.kind.replace('_', ' ')}{on} waits for its lock with no {setting} set: every query behind it queues", table)
