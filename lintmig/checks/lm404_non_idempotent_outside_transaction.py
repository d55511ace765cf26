from .base import Hit, check, doing

_GUARD = {
    "create_table": "if_not_exists", "add_column": "if_not_exists", "drop_column": "if_exists",
    "drop_table": "if_exists", "drop_index": "if_exists", "drop_constraint": "if_exists",
    "alter_type_add_value": "if_not_exists",  # measured: 'enum label "a" already exists'
}


@check("LM404")
def non_idempotent_outside_transaction(op, facts):
    if not op.deliberate_no_txn or op.args.get("in_do_block"):
        return
    guard = _GUARD.get(op.kind)
    if guard and op.args.get(guard):
        return
    what = doing(op)
    fix = "IF EXISTS" if guard == "if_exists" else "IF NOT EXISTS" if guard else "a guard on the catalog"
    if op.txn is not None:  # it ran in a transaction that a later autocommit block or COMMIT commits early
        yield Hit(op, f"{what} is committed early by the autocommit block or COMMIT that follows, so a failure after it "
                      f"re-runs it, and it cannot be re-run: add {fix}")
    else:
        yield Hit(op, f"{what} runs outside a transaction on purpose but cannot be re-run after a failure: add {fix}")
