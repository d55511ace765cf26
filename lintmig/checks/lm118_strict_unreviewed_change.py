from .base import Hit, at_scale, check, name


@check("LM118")
def strict_unreviewed_change(op, facts):
    if not facts.strict or id(op) in facts.flagged:
        return
    if not at_scale(op, facts):
        return
    yield Hit(op, f"strict mode: {op.kind.replace('_', ' ')} on existing table {name(op)} needs an explicit decision")
