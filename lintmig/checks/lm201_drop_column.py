from .base import Hit, check, name


@check("LM201")
def drop_column(op, facts):
    column = op.args.get("column")
    if op.args.get("retired") or facts.made_in_change(op, op.table, column):
        return
    yield Hit(op, f"dropping {name(op)}.{column or 'a column'} breaks the release still running during the deploy: "
                  f"it still reads and writes that column")
