from .base import Hit, check, name, together


@check("LM203")
def rename_column(op, facts):
    old, new = op.args.get("column"), op.args.get("new_name")
    if facts.made_in_change(op, op.table, old):
        return
    # Renamed back later in the same transaction: no other session ever sees the new name.
    if any(together(o, op) and o.table == op.table and o.args.get("column") == new and o.args.get("new_name") == old
           for o in facts.after(op, "rename_column")):
        return
    yield Hit(op, f"renaming {name(op)}.{old} to {new} breaks the release still running during the deploy: "
                  f"it still reads and writes {old}")
