from .base import Hit, check, name, together


@check("LM204")
def rename_table(op, facts):
    new = op.args.get("new_name")
    if facts.made_in_change(op, op.table):
        return
    # A swap (old table renamed away, another renamed or created into its name in the same
    # transaction): the running release finds a table of that name throughout.
    if any(together(o, op) and (o.args.get("new_name") == op.table or (o.kind == "create_table" and o.table == op.table))
           for o in facts.after(op, "rename_table", "create_table")):
        return
    schema, here, _ = facts.schema(op)
    if schema.name_freed(new, here):
        return  # the second half of a swap or rebuild: the running release gets a table of its name back
    if any(o.args.get("new_name") == op.table for o in facts.after(op, "rename_table")):
        yield Hit(op, f"renaming table {name(op)} away before another takes its name, outside one transaction: "
                      f"the running release's queries fail in between (swap both inside BEGIN ... COMMIT)")
        return
    yield Hit(op, f"renaming table {name(op)} to {new} breaks the release still running during the deploy: "
                  f"it still queries {name(op)}")

