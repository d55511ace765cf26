from .base import Hit, check


@check("LM403")
def statement_timeout_blocks_concurrent(op, facts):
    if not op.args.get("concurrently"):
        return
    value, scope = facts.settings(op).get("statement_timeout", (None, None))
    if value is None or scope == "local":
        return
    yield Hit(op, f"a session statement_timeout of {value} is in force and will cancel this concurrent build, leaving an INVALID index")
