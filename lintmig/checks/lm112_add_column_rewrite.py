from .base import Hit, at_scale, check, name


def _mysql_version(raw: str):
    parts = [int(p) for p in raw.split(".") if p.isdigit()]
    # "8.0" means the newest 8.0 release: users name the line they run, not a patch level.
    return tuple(parts + [999] * (3 - len(parts)))


@check("LM112")
def add_column_rewrite(op, facts):
    if not at_scale(op, facts):
        return
    args = op.args
    column = f"{name(op)}.{args.get('column')}"
    if facts.dialect == "mysql":
        version = _mysql_version(facts.mysql_version)
        if args.get("default_func") == "identity column":
            yield Hit(op, f"adding the AUTO_INCREMENT column {column} rebuilds the table and blocks writes until it is done")
        elif args.get("default_func") == "generated column":
            yield Hit(op, f"adding the STORED generated column {column} copies the table (ALGORITHM=COPY) and blocks "
                          f"writes until it is done: a VIRTUAL one is instant")
        elif args.get("algorithm") in ("copy", "inplace"):
            yield Hit(op, f"adding {column} with ALGORITHM={args['algorithm'].upper()} rebuilds the table")
        elif version < (8, 0, 12):
            yield Hit(op, f"MySQL {facts.mysql_version} rebuilds the table to add {column} (instant ADD COLUMN needs 8.0.12)")
        elif version < (8, 0, 29) and args.get("position") in ("first", "after"):
            yield Hit(op, f"adding {column} with FIRST/AFTER rebuilds the table before MySQL 8.0.29")
        return
    vol, func = args.get("default_volatility"), args.get("default_func")
    pg = facts.postgres_version
    if args.get("has_default") and pg < 11:
        yield Hit(op, f"before PostgreSQL 11 adding {column} with a default rewrites the whole table")
    elif vol == "volatile" and func in ("identity column", "generated column"):
        what = "an identity column" if func == "identity column" else "a stored generated column"
        yield Hit(op, f"adding {column} as {what} computes a value for every row: a full table rewrite")
    elif vol == "volatile":
        yield Hit(op, f"adding {column} with the volatile default {func} computes it for every row: a full table rewrite")
    elif vol == "unknown":
        yield Hit(op, f"adding {column} with default {func}: lintmig does not know this function and counts it as volatile, which rewrites the whole table")
