from .base import Hit, at_scale, check, name


@check("LM114")
def set_not_null(op, facts):
    if not at_scale(op, facts):
        return
    if op.kind == "add_constraint":
        yield from _primary_key_using_index(op, facts)
        return
    column = op.args.get("column")
    pg = facts.postgres_version
    if pg >= 12 and facts.change.has_validated_not_null(op.table, column, op):
        return
    yield Hit(op, f"SET NOT NULL on {name(op)}.{column} scans the whole table under an ACCESS EXCLUSIVE lock")


def _primary_key_using_index(op, facts):
    """ADD PRIMARY KEY USING INDEX marks the key's columns NOT NULL, scanning the table under
    its ACCESS EXCLUSIVE lock for any that are not NOT NULL already (measured on PostgreSQL
    15: one scan, none once SET NOT NULL ran first)."""
    args = op.args
    if args.get("type") != "primary_key" or not args.get("using_index"):
        return
    schema, here, _ = facts.schema(op)
    columns = schema.index_columns.get(args.get("index") or "")
    if columns is None:
        yield Hit(op, f"PRIMARY KEY USING INDEX {args.get('index') or ''} on {name(op)} scans the whole table under an "
                      f"ACCESS EXCLUSIVE lock for every key column not NOT NULL yet (lintmig could not tell the "
                      f"index's columns): SET NOT NULL on them first")
        return
    states = {c: schema.column(op.table, c, here) for c in columns}
    def proven(column: str) -> bool:  # a validated CHECK (col IS NOT NULL) spares the scan from PostgreSQL 12
        return facts.postgres_version >= 12 and facts.change.has_validated_not_null(op.table, column, op)

    nullable = [c for c, state in states.items() if not (state and state.not_null) and not proven(c)]
    if nullable:
        unknown = [c for c in nullable if states[c] is None]
        note = f" (lintmig could not tell whether {', '.join(unknown)} already is)" if unknown else ""
        yield Hit(op, f"PRIMARY KEY USING INDEX on {name(op)} makes {', '.join(nullable)} NOT NULL{note}, scanning the "
                      f"whole table under an ACCESS EXCLUSIVE lock: SET NOT NULL on it first, after a validated "
                      f"CHECK (col IS NOT NULL)")
