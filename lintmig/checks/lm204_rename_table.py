from .base import Hit, check, name


@check("LM204")
def rename_table(op, facts):
    new = op.args.get("new_name")
    if facts.made_in_change(op, op.table):
        return
    # A swap (old table renamed away, another renamed or created into its name in the same
    # transaction): the running release finds a table of that name throughout.
    if any(_together(o, op) and (o.args.get("new_name") == op.table or (o.kind == "create_table" and o.table == op.table))
           for o in facts.after(op, "rename_table", "create_table")):
        return
    schema, here, _ = facts.schema(op)
    if schema.name_freed(new, here):
        return  # the second half of a rebuild: the running release gets a table of its name back
    # The second half of a swap: renamed into the name an earlier rename of this transaction freed.
    if any(_together(o, op) and o.table == new for o in facts.of_kind("rename_table")
           if facts.change.position(o) < facts.change.position(op)):
        return
    if any(o.args.get("new_name") == op.table for o in facts.after(op, "rename_table")):
        yield Hit(op, f"renaming table {name(op)} away before another takes its name, outside one transaction: "
                      f"the running release's queries fail in between (swap both inside BEGIN ... COMMIT)")
        return
    yield Hit(op, f"renaming table {name(op)} to {new} breaks the release still running during the deploy: "
                  f"it still queries {name(op)}")


def _together(a, b) -> bool:
    """One statement (MySQL's RENAME TABLE a TO b, c TO a is atomic) or one transaction."""
    return a.span == b.span or (a.txn is not None and a.txn == b.txn)
