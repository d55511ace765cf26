from .base import Hit, at_scale, check, name


@check("LM115")
def constraint_not_valid(op, facts):
    args = op.args
    if args.get("type") not in ("foreign_key", "check") or args.get("not_valid"):
        return
    if facts.dialect == "mysql":  # even on a new column: the algorithm is chosen by foreign_key_checks
        if args["type"] == "foreign_key" and at_scale(op, facts) and facts.in_use(op.table, op) and not _checks_off(op, facts):
            yield Hit(op, f"with foreign_key_checks on, MySQL adds the foreign key on {name(op)} by copying the table "
                          f"(ALGORITHM=COPY): writes wait for the whole copy")
        return
    if facts.dialect == "sqlite":  # a CHECK can only come with a new column there
        if args.get("on_new_column") and args["type"] == "check" and at_scale(op, facts) and facts.in_use(op.table, op):
            yield Hit(op, f"SQLite checks the new column's CHECK against every row of {name(op)} while every other writer "
                          f"of the database waits: add the column without it (a CHECK cannot be added later without "
                          f"rebuilding the table), or measure it")
        return
    if args.get("on_new_column") and args["type"] == "foreign_key" and not args.get("column_has_default"):
        # Every value of a new column without a default is NULL: PostgreSQL skips the foreign
        # key's scan. An inline CHECK is still evaluated on every row under the lock.
        return
    if args.get("domain"):
        yield Hit(op, f"CHECK constraint on domain {args['domain']} is checked against every column of that type, each "
                      f"table locked SHARE (writes wait) through its scan: add it NOT VALID, which checks new values only")
        return
    if not at_scale(op, facts) or not facts.in_use(op.table, op):
        return
    if args["type"] == "foreign_key":
        ref = args.get("references") or "the referenced table"
        yield Hit(op, f"foreign key on {name(op)} validated while writes to {name(op)} and {ref} wait: add it NOT VALID")
    elif args.get("on_new_column"):
        yield Hit(op, f"an inline CHECK on a new column of {name(op)} is checked on every row while all access to it "
                      "waits: add the column, then the CHECK NOT VALID, and VALIDATE it separately")
    else:
        yield Hit(op, f"CHECK constraint on {name(op)} validated while all access to it waits: add it NOT VALID")


def _checks_off(op, facts) -> bool:
    """Whether the last `SET foreign_key_checks` before the operation turned them off."""
    here, state = facts.change.position(op), None
    for setting in facts.of_kind("set_setting"):
        if setting.args.get("name") == "foreign_key_checks" and facts.change.position(setting) < here:
            state = str(setting.args.get("value", "")).strip("'\"").lower() in ("0", "off", "false")
    return bool(state)
