from ..model import DDL_KINDS
from .base import Hit, check, doing, name


@check("LM119")
def validate_in_same_transaction(op, facts):
    for other in facts.same_transaction(op, DDL_KINDS):
        if other.table == op.table and other.kind != "validate_constraint":
            line = other.span.line
            yield Hit(op, f"VALIDATE CONSTRAINT {op.args.get('name') or ''} runs in the same transaction as "
                          f"{doing(other)} on {name(op)} (line {line}): its stronger lock is held through the scan")
            return
