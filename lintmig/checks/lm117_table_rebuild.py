from .base import Hit, at_scale, check


@check("LM117")
def table_rebuild(op, facts):
    if op.kind == "batch_alter":
        if op.args.get("recreate") and at_scale(op, facts):
            why = f" ({op.args['why']})" if op.args.get("why") else ""
            yield Hit(op, f"batch mode recreates {op.table}: it copies every row into a new table and swaps it in{why}")
        return
    # insert_select: INSERT INTO new SELECT FROM old, then old is dropped and new renamed to it.
    if not facts.is_new_table(op.table, op):
        return
    later = facts.after(op, "drop_table", "rename_table")
    for source in op.args.get("sources") or []:
        if not at_scale(op, facts, source):
            continue
        # The old table is dropped or renamed away, or the copy is renamed over it.
        swapped = any(o.table == source or o.args.get("new_name") == source for o in later)
        if not swapped:
            continue
        if facts.dialect == "sqlite":
            cost = "while every writer waits (SQLite has one writer for the whole database)"
        else:  # the copy reads a snapshot: writes go on, and miss the copy
            cost = (f"and rows written to {source} while it runs are missing from {op.table} when it is swapped in, "
                    "unless writes are locked out for the whole copy")
        yield Hit(op, f"copy-and-swap rebuild of existing table {source}: every row is copied into {op.table} {cost}",
                  source)
