from ..model import SHARE_UPDATE_EXCLUSIVE
from .base import Hit, check, doing


@check("LM402")
def missing_lock_timeout(op, facts):
    args = op.args
    if args.get("concurrently") or (op.kind == "vacuum" and not args.get("full")):
        return
    if args.get("lock_mode") == SHARE_UPDATE_EXCLUSIVE:  # reads and writes go on while it waits
        return
    table = op.table or facts.table_of_index(args.get("name"))
    if op.kind == "create_table":
        # A new table's foreign keys lock each referenced table (SHARE ROW EXCLUSIVE): writes
        # to a hot parent table queue behind the CREATE while it waits.
        table = next((t for t in args.get("references") or () if not facts.is_new_table(t, op)), None)
        if table is None:
            return
    elif table and (facts.is_new_table(table, op) or not facts.in_use(table, op)):
        return
    setting = "lock_wait_timeout" if facts.dialect == "mysql" else "lock_timeout"
    if setting in facts.settings(op) or facts.earlier_in_statement(op):
        return  # one statement waits once: its first operation says so
    if op.kind == "create_table":
        what = f"create table {op.table} (its foreign key to {table})"
    else:
        what = f"{doing(op)} on {table}" if table else doing(op)
    yield Hit(op, f"{what} waits for its lock with no {setting} set: every query behind it queues", table)
