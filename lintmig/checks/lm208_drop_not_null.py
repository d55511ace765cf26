from .base import Hit, check, name


@check("LM208")
def drop_not_null(op, facts):
    column = op.args.get("column")
    if facts.made_in_change(op, op.table, column):
        return
    schema, here, _ = facts.schema(op)
    state = schema.column(op.table, column, here)
    if state is not None and state.not_null is False:
        return  # already nullable
    if op.args.get("restated") and (state is None or state.not_null is None):
        return  # MySQL MODIFY restating NULL: a change only if the column was known NOT NULL
    yield Hit(op, f"{name(op)}.{column} may now hold NULL: code of the running release that reads it does not expect one")
