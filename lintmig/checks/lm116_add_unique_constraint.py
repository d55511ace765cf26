from .base import Hit, at_scale, check, name


@check("LM116")
def add_unique_constraint(op, facts):
    args = op.args
    if args.get("type") not in ("unique", "primary_key") or args.get("using_index"):
        return
    if not at_scale(op, facts) or not facts.in_use(op.table, op):
        return
    kind = "PRIMARY KEY" if args["type"] == "primary_key" else "UNIQUE"
    yield Hit(op, f"{kind} on {name(op)} builds its index under an ACCESS EXCLUSIVE lock: build it CONCURRENTLY and add it USING INDEX")
