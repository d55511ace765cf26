from .base import Hit, check, name


@check("LM207")
def unique_breaks_old_writes(op, facts):
    args = op.args
    if op.kind == "add_constraint" and (args.get("type") not in ("unique", "primary_key") or args.get("using_index")):
        return
    if op.kind == "create_index" and not args.get("unique"):
        return
    columns = [c for c in args.get("columns") or [] if c]
    if facts.made_in_change(op, op.table) or (columns and all(facts.made_in_change(op, op.table, c) for c in columns)):
        return
    what = f"({', '.join(columns)})" if columns else "its columns"
    yield Hit(op, f"a new uniqueness rule on {name(op)}{what} makes the running release's writes of duplicates fail")
