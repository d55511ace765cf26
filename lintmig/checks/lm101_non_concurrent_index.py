from .base import Hit, at_scale, check, name


@check("LM101")
def non_concurrent_index(op, facts):
    if op.args.get("concurrently") or op.args.get("only") or not at_scale(op, facts) or not facts.in_use(op.table, op):
        return
    yield Hit(op, f"index on existing table {name(op)} built without CONCURRENTLY: writes to it wait for the whole build")
