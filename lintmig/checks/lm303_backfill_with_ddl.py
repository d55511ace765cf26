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
        if (other.table or facts.table_of_index(other.args.get("name"))):
            table = other.table or facts.table_of_index(other.args.get("name"))
            if facts.is_new_table(table, other):
                continue
            verb = {"update": "UPDATE of", "delete": "DELETE from", "insert_select": "INSERT into"}[op.kind]
            where = f"line {other.span.line}" if any(o is other for o in facts.of_kind(other.kind)) else "an earlier migration of the same run"
            yield Hit(op, f"{verb} {name(op)} runs in the same transaction as {doing(other)} on {table} "
                          f"({where}): that lock is held through the whole data change")
            return
