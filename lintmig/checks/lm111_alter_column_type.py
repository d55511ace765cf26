from .base import Hit, at_scale, check, name

_CHEAP_HINT = ("cheap only if it is binary-coercible: varchar(n) to a longer varchar or to text, "
               "numeric(p,s) to a larger precision with the same scale; say the old type to let lintmig tell")


def _cheap(old, new, dialect):
    """Whether changing `old` to `new` keeps the stored bytes (no rewrite)."""
    (ob, op_), (nb, np_) = old, new
    if (ob, op_) == (nb, np_):
        return True
    if dialect == "mysql":
        if ob == nb == "varchar" and op_ and np_ and np_[0] >= op_[0]:
            return (op_[0] * 4 < 256) == (np_[0] * 4 < 256)
        return False
    text_like = {"varchar", "text"}
    if ob in text_like and nb in text_like:
        return nb == "text" or not np_ or (ob == "varchar" and op_ and np_[0] >= op_[0])
    if ob == nb == "numeric":
        return not np_ or (op_ and len(np_) == len(op_) and np_[0] >= op_[0] and np_[1:] == op_[1:])
    if ob == nb == "varbinary" or (ob, nb) == ("cidr", "inet"):
        return True
    return False


def _typed(found) -> str:
    base, params = found
    return f"{base}({', '.join(map(str, params))})" if params else base


@check("LM111")
def alter_column_type(op, facts):
    if not at_scale(op, facts):
        return
    args = op.args
    new, old = args.get("new_type"), args.get("old_type") or facts.column_type(op, args.get("column"))
    column = args.get("column") or "a column"
    target = _typed(new) if new else "another type"
    if args.get("using"):
        yield Hit(op, f"changing {name(op)}.{column} to {target} with USING rewrites the whole table")
    elif old is None:
        yield Hit(op, f"changing {name(op)}.{column} to {target} rewrites the table unless the old type allows it: {_CHEAP_HINT}")
    elif not _cheap(tuple(old), tuple(new), facts.dialect):
        verb = "copies" if facts.dialect == "mysql" else "rewrites"
        unless = ""
        if (old[0], new[0]) == ("timestamp", "timestamptz") and facts.dialect == "postgres" and facts.postgres_version >= 12:
            # PostgreSQL 12+ keeps the bytes when the session's TimeZone is UTC (measured on 15).
            unless = " unless the session's TimeZone is UTC (SET LOCAL TimeZone = 'UTC' first)"
        if facts.dialect == "mysql" and old[0] == new[0] == "varchar" and old[1] and new[1] \
                and old[1][0] * 4 < 256 <= new[1][0] * 4:
            unless = " (with utf8mb4 its length prefix grows from 1 to 2 bytes past 63 characters)"
        yield Hit(op, f"changing {name(op)}.{column} from {_typed(old)} to {target} {verb} the whole table{unless}")
