from .base import Hit, check, name, together


@check("LM202")
def drop_table(op, facts):
    if op.kind == "drop_schema":
        what = f"{op.args.get('what', 'schema')} {op.args.get('name')}"
        yield Hit(op, f"dropping {what} drops every table in it{' (CASCADE)' if op.args.get('cascade') else ''}: "
                      f"the release still running during the deploy fails on each")
        return
    if facts.made_in_change(op, op.table):
        return
    # A swap: another table renamed into its name in the same transaction (SQLite's rebuild).
    if any(together(o, op) and o.args.get("new_name") == op.table for o in facts.after(op, "rename_table")):
        return
    yield Hit(op, f"dropping table {name(op)} breaks the release still running during the deploy: it still queries it")
