from .base import Hit, at_scale, check


@check("LM103")
def non_concurrent_index_drop(op, facts):
    if op.args.get("concurrently") or op.args.get("only_if_invalid"):
        return  # an INVALID index serves no query: dropping it after a failed build is brief
    table = op.table or facts.table_of_index(op.args.get("name"))
    if table and not at_scale(op, facts, table):
        return
    on = f" on {table}" if table else ""
    yield Hit(op, f"DROP INDEX {op.args.get('name') or ''}{on} without CONCURRENTLY takes an ACCESS EXCLUSIVE lock", table)
