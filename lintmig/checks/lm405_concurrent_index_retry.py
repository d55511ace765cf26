from .base import Hit, at_scale, check


@check("LM405")
def concurrent_index_retry(op, facts):
    args = op.args
    if not args.get("concurrently") or args.get("drops_invalid") or not at_scale(op, facts):
        return
    index = args.get("name")
    dropped_first = index and facts.dropped_index_before(index, op)
    if dropped_first:
        return
    if index is None:
        yield Hit(op, "an unnamed concurrent build cannot be retried cleanly: a failed attempt leaves an INVALID index and the retry adds another")
    elif args.get("if_not_exists"):
        yield Hit(op, f"IF NOT EXISTS keeps the INVALID index {index} a failed build leaves behind: drop it first")
    else:
        yield Hit(op, f"a failed build leaves an INVALID index {index} and the retry fails with 'already exists': drop it first (IF EXISTS)")
