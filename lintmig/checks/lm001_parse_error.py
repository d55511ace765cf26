from .base import Hit, check


@check("LM001")
def parse_error(op, facts):
    yield Hit(op, f"could not read this migration: {op.args.get('reason', 'parse error')}")
