from .base import Hit, at_scale, check, name


@check("LM115")
def constraint_not_valid(op, facts):
    args = op.args
    if args.get("type") not in ("foreign_key", "check") or args.get("not_valid"):
        return
    if args.get("on_new_column") and not args.get("column_has_default"):
        return  # every value of a new column without a default is NULL: nothing to scan
    if not at_scale(op, facts):
        return
    if args["type"] == "foreign_key":
        ref = args.get("references") or "the referenced table"
        yield Hit(op, f"foreign key on {name(op)} validated while writes to {name(op)} and {ref} wait: add it NOT VALID")
    else:
        yield Hit(op, f"CHECK constraint on {name(op)} validated while all access to it waits: add it NOT VALID")
