from .base import Hit, at_scale, check, name, unbounded_reason


@check("LM301")
def unbounded_update(op, facts):
    if not at_scale(op, facts):
        return
    reason = unbounded_reason(op, facts)
    if reason:
        yield Hit(op, f"UPDATE of existing table {name(op)} is not bounded: {reason}")
