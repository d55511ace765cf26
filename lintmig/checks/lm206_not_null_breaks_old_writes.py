from .base import Hit, check, name


@check("LM206")
def not_null_breaks_old_writes(op, facts):
    args, table, column = op.args, op.table, op.args.get("column") or op.args.get("not_null_column")
    if op.kind == "add_constraint" and not args.get("not_null_column"):
        return
    if facts.made_in_change(op, table) and op.kind != "retire_column":
        return
    schema, here, start = facts.schema(op)
    if op.kind == "retire_column":
        if args.get("not_null") and not args.get("has_default"):
            yield Hit(op, f"the code stops writing {name(op)}.{column}, which is NOT NULL without a database default: "
                          f"every INSERT of the new release fails")
    elif op.kind == "add_column":
        if facts.dialect == "mysql" and args.get("not_null") and not args.get("has_default") \
                and not args.get("default_func") and not args.get("generated"):
            yield Hit(op, f"{name(op)}.{column} is NOT NULL without a default: MySQL fills the rows with 0 or '', and "
                          f"the running release's INSERTs, which do not name it, fail in strict mode (\"doesn't have a "
                          f"default value\")")
        elif args.get("not_null") and args.get("default_dropped"):
            yield Hit(op, f"{name(op)}.{column} is NOT NULL and its default is dropped once the rows are filled: "
                          f"the running release's INSERTs, which do not name it, fail")
    elif op.kind == "drop_default":
        state = schema.column(table, column, here)
        if state is not None and state.not_null and state.born >= start:
            yield Hit(op, f"{name(op)}.{column} is new and NOT NULL: without its default the running release's "
                          f"INSERTs, which do not name it, fail")
    else:  # set_not_null, or CHECK (col IS NOT NULL)
        state = schema.column(table, column, here)
        if args.get("restated") and (state is None or state.not_null is not False):
            return  # MySQL MODIFY repeating NOT NULL: a change only if the column was known nullable
        if state is not None and state.born >= start:
            if not state.has_default:
                yield Hit(op, f"{name(op)}.{column} is new and has no database default: the running release's "
                              f"INSERTs, which do not name it, write NULL and fail")
        elif not schema.not_null_enforced(table, column, start):
            yield Hit(op, f"refusing NULL in {name(op)}.{column} breaks any write of the running release that "
                          f"leaves it NULL")
