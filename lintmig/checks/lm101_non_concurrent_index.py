from .base import Hit, at_scale, check, name


@check("LM101")
def non_concurrent_index(op, facts):
    if op.args.get("concurrently") or op.args.get("only") or not at_scale(op, facts) or not facts.in_use(op.table, op):
        return
    if facts.is_partitioned(op.table, op):  # CONCURRENTLY is refused there: build it per partition
        yield Hit(op, f"index on partitioned table {name(op)} built on every partition at once, writes waiting for the "
                      f"whole build: CREATE INDEX ... ON ONLY {name(op)}, then CREATE INDEX CONCURRENTLY on each "
                      f"partition and ALTER INDEX ... ATTACH PARTITION")
        return
    yield Hit(op, f"index on existing table {name(op)} built without CONCURRENTLY: writes to it wait for the whole build")
