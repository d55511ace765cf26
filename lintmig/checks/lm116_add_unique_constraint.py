from .base import Hit, at_scale, check, name


@check("LM116")
def add_unique_constraint(op, facts):
    args = op.args
    if args.get("type") not in ("unique", "primary_key", "exclude") or args.get("using_index"):
        return
    if not at_scale(op, facts) or not facts.in_use(op.table, op):
        return
    if args["type"] == "exclude":
        yield Hit(op, f"EXCLUDE constraint on {name(op)} builds its index under an ACCESS EXCLUSIVE lock (reads and "
                      f"writes wait), and no index built CONCURRENTLY can stand in for it: add it while the table is "
                      f"small, or in a window where the table may be locked")
        return
    kind = "PRIMARY KEY" if args["type"] == "primary_key" else "UNIQUE"
    yield Hit(op, f"{kind} on {name(op)} builds its index under an ACCESS EXCLUSIVE lock: build it CONCURRENTLY and add it USING INDEX")
