from .base import Hit, at_scale, check, name


@check("LM114")
def set_not_null(op, facts):
    if not at_scale(op, facts):
        return
    column = op.args.get("column")
    pg = facts.postgres_version
    if pg >= 12 and facts.change.has_validated_not_null(op.table, column, op):
        return
    yield Hit(op, f"SET NOT NULL on {name(op)}.{column} scans the whole table under an ACCESS EXCLUSIVE lock")
