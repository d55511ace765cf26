from typing import Optional

from .base import Hit, check, name

# Types old code reads and writes the same way, by family; within a family a change is safe
# when the new type holds every value of the old one.
_INTEGER = {"smallint": 2, "smallserial": 2, "int": 4, "serial": 4, "mediumint": 3, "tinyint": 1, "bigint": 8,
            "bigserial": 8}
_TEXT = {"varchar", "text", "char", "nvarchar", "nchar", "string", "citext", "tinytext", "mediumtext", "longtext"}
_FLOAT = {"float": 4, "real": 4, "double": 8}
_SAME = [{"json", "jsonb"}, {"varbinary", "blob", "bytea", "longblob", "mediumblob"}, {"boolean"}, {"uuid"},
         {"date"}, {"timestamp"}, {"timestamptz"}, {"time"}, {"interval"}, {"inet", "cidr"}]


def _family(base: str) -> Optional[str]:
    if base in _INTEGER:
        return "integer"
    if base in _TEXT:
        return "text"
    if base in _FLOAT:
        return "float"
    if base == "numeric":
        return "numeric"
    for i, group in enumerate(_SAME):
        if base in group:
            return f"same{i}"
    return None


def breaking_change(old: tuple, new: tuple) -> Optional[str]:
    """Why old code cannot work with the new type (None: it can, or lintmig cannot tell)."""
    (ob, op_), (nb, np_) = (old[0], tuple(old[1] or ())), (new[0], tuple(new[1] or ()))
    if (ob, op_) == (nb, np_):
        return None
    of, nf = _family(ob), _family(nb)
    if of is None or nf is None:
        return None  # a type lintmig does not know: say nothing rather than guess
    if of != nf:
        return f"it changes kind ({ob} to {nb}): old code writes and reads {ob} values"
    if of == "integer" and _INTEGER[nb] < _INTEGER[ob] or of == "float" and _FLOAT[nb] < _FLOAT[ob]:
        return f"{nb} is narrower than {ob}: values old code writes may no longer fit"
    if of == "text":
        old_len = op_[0] if op_ and isinstance(op_[0], int) and ob != "text" else None
        new_len = np_[0] if np_ and isinstance(np_[0], int) and nb != "text" else None
        if new_len is not None and (old_len is None or new_len < old_len):
            return f"{nb}({new_len}) is shorter than {ob}{f'({old_len})' if old_len else ''}: longer values old code writes fail"
    if of == "numeric" and np_:
        if not op_:
            return f"numeric({', '.join(map(str, np_))}) bounds an unbounded numeric: values old code writes may not fit"
        p, s = (list(op_) + [0])[:2]
        q, t = (list(np_) + [0])[:2]
        if isinstance(p, int) and isinstance(q, int) and (q - t < p - s or t < s):
            return f"numeric({q}, {t}) holds less than numeric({p}, {s}): values old code writes may not fit"
    return None


@check("LM205")
def incompatible_type_change(op, facts):
    column, new = op.args.get("column"), op.args.get("new_type")
    old = op.args.get("old_type") or facts.column_type(op, column)
    if not old or not new or facts.made_in_change(op, op.table, column):
        return
    why = breaking_change(tuple(old), tuple(new))
    if why:
        yield Hit(op, f"changing the type of {name(op)}.{column} breaks the release still running during the deploy: {why}")
