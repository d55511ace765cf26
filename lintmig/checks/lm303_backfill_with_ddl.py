from ..model import DDL_KINDS
from .base import Hit, at_scale, check, doing, name, unbounded_reason


@check("LM303")
def backfill_with_ddl(op, facts):
    if not at_scale(op, facts):
        return
    if op.kind != "insert_select" and not unbounded_reason(op, facts):
        return
    here = facts.change.position(op)
    for other in facts.same_transaction(op, DDL_KINDS):
        if facts.change.position(other) > here:
            continue  # DDL after the data change takes its lock once the data change is done
        table = _locked_table(other, facts)
        if table is None:
            continue
        verb = {"update": "UPDATE of", "delete": "DELETE from", "insert_select": "INSERT into"}[op.kind]
        where = f"line {other.span.line}" if any(o is other for o in facts.of_kind(other.kind)) else "an earlier migration of the same run"
        what = f"{doing(other)} on {other.table} ({where}), whose foreign key locks {table} against writes" \
            if other.kind == "create_table" else f"{doing(other)} on {table} ({where})"
        yield Hit(op, f"{verb} {name(op)} runs in the same transaction as {what}: that lock is held through the "
                      f"whole data change")
        return


def _locked_table(ddl, facts):
    """The table in use whose lock `ddl` holds to the commit; None when it locks only new ones."""
    if ddl.kind == "create_table":  # a new table is locked by no one else; its foreign keys' targets are
        return next((t for t in ddl.args.get("references") or () if not facts.is_new_table(t, ddl)), None)
    table = ddl.table or facts.table_of_index(ddl.args.get("name"))
    return table if table and not facts.is_new_table(table, ddl) else None
