from .base import Hit, check


@check("LM004")
def unanalyzable_sql(op, facts):
    yield Hit(op, f"lintmig cannot decide on this SQL: {op.args.get('reason', 'not understood')}")
