from .base import Hit, check, name


@check("LM113")
def add_column_not_null(op, facts):
    args = op.args
    if not args.get("not_null") or args.get("has_default") or args.get("default_volatility") == "volatile" \
            or args.get("generated"):  # the database computes a generated column's every value
        return
    if facts.is_new_table(op.table, op):
        return
    yield Hit(op, f"NOT NULL column {name(op)}.{args.get('column')} has no database default: this fails on a table with rows")
