from .base import Hit, at_scale, check, name, unbounded_reason


@check("LM302")
def unbounded_delete(op, facts):
    if not at_scale(op, facts):
        return
    reason = unbounded_reason(op, facts)
    if reason:
        yield Hit(op, f"DELETE from existing table {name(op)} is not bounded: {reason}")
