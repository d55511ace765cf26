from .base import Hit, at_scale, check, name


@check("LM102")
def sync_index_build(op, facts):
    if not at_scale(op, facts):
        return
    if facts.dialect == "sqlite":
        yield Hit(op, f"SQLite builds this index on existing table {name(op)} holding the database's only write lock: every writer waits")
        return
    args = op.args
    why = None
    if args.get("algorithm") == "copy":
        why = "ALGORITHM=COPY copies the table"
    elif args.get("lock") in ("shared", "exclusive"):
        why = f"LOCK={args['lock'].upper()} blocks writes"
    elif args.get("index_type") in ("fulltext", "spatial"):
        why = f"InnoDB cannot build a {args['index_type'].upper()} index online"
    if why:
        yield Hit(op, f"index build on existing table {name(op)} blocks writes for its whole duration: {why}")
