from .base import Hit, at_scale, check, doing, name


@check("LM118")
def strict_unreviewed_change(op, facts):
    if not facts.strict or id(op) in facts.flagged:
        return
    if not at_scale(op, facts):
        return
    yield Hit(op, f"strict mode: {doing(op)} on existing table {name(op)} needs an explicit decision")
