"""The SQL front end: a SQL text (a file, or a string held by another host) -> Operations.

It splits statements, reads each one (sql_statement), looks inside DO blocks, keeps only
the up section of goose and dbmate files, and assigns every operation the transaction it
runs in. Positions are mapped through `locate`, so SQL held in a Python or Go string
reports at the host file's lines.
"""
from __future__ import annotations

import bisect
import re
import sys
from dataclasses import dataclass, field
from typing import Callable, Optional

from ..model import DDL_KINDS, Comment, Migration, Operation, Span, Txn
from ..sql_split import SplitError, split
from . import parallel
from .sql_expr import PLACEHOLDER

Locate = Callable[[int], tuple[int, int]]

_DOLLAR_TAG = re.compile(r"\$[A-Za-z_0-9]*\$")
_PLPGSQL_START = {"UPDATE", "DELETE", "INSERT", "ALTER", "CREATE", "DROP", "TRUNCATE", "LOCK", "REINDEX",
                  "VACUUM", "CLUSTER", "SET", "RESET", "WITH", "COMMIT", "ROLLBACK", "REFRESH"}
_PLPGSQL_BOUNDARY = {"", "BEGIN", "THEN", "ELSE", "LOOP", ">>", "DECLARE"}


def line_locator(text: str, line0: int = 1, col0: int = 1) -> Locate:
    """Map an offset in `text` to a 1-based (line, column), text starting at (line0, col0)."""
    starts = [0]
    pos = text.find("\n")
    while pos >= 0:
        starts.append(pos + 1)
        pos = text.find("\n", pos + 1)

    def locate(offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(starts, offset) - 1
        col = offset - starts[i] + 1
        return (line0 + i, col + (col0 - 1 if i == 0 else 0))

    return locate


def fill_templates(text: str) -> str:
    """`{{ x }}` -> an identifier of the same length (a placeholder); `{% ... %}` -> blanks.

    A left-to-right scan with str.find that remembers where each opener and closer next
    stands, so it stays linear however many unclosed `{{` a file holds."""
    if "{{" not in text and "{%" not in text:
        return text
    pairs = {"{{": "}}", "{%": "%}"}
    opener_at = {o: -2 for o in pairs}  # next position of each opener at or after p (-1: none)
    closer_at = {c: -2 for c in pairs.values()}
    out, copied, p = [], 0, 0

    def next_at(cache: dict, key: str, start: int) -> int:
        if cache[key] != -1 and cache[key] < start:
            cache[key] = text.find(key, start)
        return cache[key]

    while True:
        found = [(at, o) for o in pairs  # an opener whose closer no longer occurs can never match
                 if closer_at[pairs[o]] != -1 and (at := next_at(opener_at, o, p)) >= 0]
        if not found:
            break
        start, opener = min(found)
        end = next_at(closer_at, pairs[opener], start + 2)
        if end < 0:
            p = start + 1
            continue
        end += 2
        out.append(text[copied:start])
        raw = text[start:end]
        if opener == "{%":
            out.append("".join("\n" if c == "\n" else " " for c in raw))
        else:
            out.append("tpl" + "".join("\n" if c == "\n" else "_" for c in raw[3:]))
        copied = p = end
    out.append(text[copied:])
    return "".join(out)


def dollar_body(text: str, start: int, end: int) -> Optional[tuple[int, int]]:
    """(start, end) of the body of the first dollar-quoted string in text[start:end]: from
    its opening tag to the last occurrence of the same tag."""
    m = _DOLLAR_TAG.search(text, start, end)
    if not m:
        return None
    close_at = text.rfind(m.group(), m.end(), end)
    return None if close_at < 0 else (m.end(), close_at)


@dataclass
class SqlRead:
    operations: list[Operation] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    directives: set[str] = field(default_factory=set)
    first_statement_line: int = 0


def read_sql(text: str, dialect: str, locate: Locate, *, lint_down: bool = False,
             new_values: Optional[dict[str, Operation]] = None) -> SqlRead:
    """Operations and comments of a SQL text, positions mapped through `locate`.

    `new_values`: the enum values that earlier texts of the same migration added and no
    statement used yet (value -> its ADD VALUE operation), shared by the texts of one
    migration and updated here; a use marks the ADD VALUE (see `_note_use`)."""

    text = fill_templates(text)
    out = SqlRead()
    try:
        statements, comments = split(text, dialect)
    except SplitError as err:
        line, col = locate(err.offset)
        span = Span(line, col, line, col)
        out.operations.append(Operation("parse_error", None, span, {"reason": str(err)}, anchor=line))
        return out
    sections: list[tuple[int, bool]] = []  # (offset, is_up)
    for c in comments:
        body = text[c.start:c.end]
        (sl, _), (el, _) = locate(c.start), locate(max(c.start, c.end - 1))
        out.comments.append(Comment(sl, el, body))
        marker = body[:64].lstrip("-#/* ").lower()  # tool directives stand at the start
        if not marker.startswith(("+goose", "migrate:", "morph:")):
            continue
        if marker.startswith("migrate:up"):
            marker = body.lstrip("-#/* ").lower()
        if marker.startswith(("+goose up", "migrate:up")):
            sections.append((c.start, True))
        elif marker.startswith(("+goose down", "migrate:down")):
            sections.append((c.start, False))
        if marker.startswith("+goose no transaction") or (marker.startswith("migrate:up") and "transaction:false" in marker.replace(" ", "")):
            out.directives.add("no_transaction")
        if marker.startswith("morph:nontransactional"):
            out.directives.add("no_transaction")
        if marker.startswith(("+goose ", "migrate:")):
            out.directives.add("tool")
    wanted = [p for p in statements if lint_down or _is_up(sections, p.start)]
    if wanted:
        out.first_statement_line = locate(wanted[0].start)[0]
    from .sql_statement import statement_ops  # here, not per statement: an import costs microseconds

    if new_values is None:
        new_values = {}  # enum values this text added so far, not used yet

    # A window at a time: the texts and parsed results of a whole 20 MB file would outweigh
    # the operations kept from them.
    for at in range(0, len(wanted), parallel.WINDOW):
        part = wanted[at:at + parallel.WINDOW]
        raw = parallel.map_statements([text[p.start:p.end] for p in part], dialect) \
            if len(part) >= parallel.MIN_STATEMENTS else None
        for i, piece in enumerate(part):
            found = raw[i] if raw is not None else statement_ops(text[piece.start:piece.end], dialect)
            if new_values:
                _note_use(new_values, text[piece.start:piece.end], dialect, locate(piece.start)[0])
            before = len(out.operations)
            _read_statement(text, piece.start, piece.end, dialect, locate, out.operations, False, found,
                            comments=out.comments)
            new_values.update((op.args["value"], op) for op in out.operations[before:]
                              if op.kind == "alter_type_add_value" and op.args.get("value"))
    return out


def _note_use(new_values: dict, statement: str, dialect: str, line: int) -> None:
    """An enum value added earlier in this text and used here as a string literal: PostgreSQL
    refuses the use in the transaction that added it ("unsafe use of new value", measured on
    15). The ADD VALUE operation keeps the line of its first use."""
    from .sql_classify import tokenize

    try:
        literals = {t.text for t in tokenize(statement, dialect) if t.token_type.name == "STRING"}
    except Exception:  # sqlglot's tokenizer refuses some text: no use seen
        return
    for value in literals & new_values.keys():
        op = new_values.pop(value)
        op.args["value_used_on_line"] = line


def _is_up(sections: list[tuple[int, bool]], offset: int) -> bool:
    state = True
    for start, is_up in sections:
        if start > offset:
            break
        state = is_up
    return state


def _span(locate: Locate, start: int, end: int) -> Span:
    (line, col), (end_line, end_col) = locate(start), locate(max(start, end - 1))
    if end_line == line:
        end_line = line  # one int object for both: a 20 MB file has hundreds of thousands of spans
    return Span(line, col, end_line, end_col)


def _read_statement(text: str, start: int, end: int, dialect: str, locate: Locate, ops: list[Operation],
                    in_loop: bool, raw: list, anchor: Optional[int] = None,
                    comments: Optional[list[Comment]] = None) -> None:
    """Operations of the statement at text[start:end], from its raw operations."""
    span = _span(locate, start, end)
    anchor = anchor or span.line
    for kind, table, args in raw:
        if kind == "do_block":
            _read_do_block(text, start, end, dialect, locate, ops, anchor, comments)
            continue
        # Absent means None/False to every check: keep only what says something (memory on big
        # files). An empty list or dict says nothing either.
        args = {k: v for k, v in args.items()
                if v is not None and v is not False and (v or not isinstance(v, (list, dict)))}
        if table and "tpl_" in table and PLACEHOLDER.match(table.rsplit(".", 1)[-1]):
            table = None  # named at run time ({{ table }}, f"{table}", %s)
        ops.append(Operation(kind, sys.intern(table) if table else None, span, args, anchor=anchor, in_loop=in_loop))


def _read_do_block(text: str, start: int, end: int, dialect: str, locate: Locate,
                   ops: list[Operation], anchor: int, comments: Optional[list[Comment]] = None) -> None:
    """A DO block runs at migration time, as one transaction: read the statements inside."""
    from .sql_classify import tokenize
    from .sql_statement import statement_ops

    found = dollar_body(text, start, end)
    if not found:
        span = _span(locate, start, end)
        ops.append(Operation("unanalyzable", None, span, {"reason": "DO block body is not dollar-quoted"}, anchor=anchor))
        return
    body_start, body = found[0], text[found[0]:found[1]]
    first = len(ops)
    try:
        pieces, inner_comments = split(body, "postgres")
    except SplitError:
        pieces, inner_comments = [], []
    if comments is not None:  # comments in the body hold PREFLIGHT lines and annotations too
        for c in inner_comments:
            (sl, _), (el, _) = locate(body_start + c.start), locate(body_start + max(c.start, c.end - 1))
            comments.append(Comment(sl, el, body[c.start:c.end]))
    loop_depth = 0
    for piece in pieces:
        words_tokens = tokenize(body[piece.start:piece.end], "postgres")
        words = [t.text.upper() for t in words_tokens]
        for i, word in enumerate(words):
            prev = words[i - 1] if i else ""
            if word == "LOOP" and prev != "END":
                loop_depth += 1
            elif word == "LOOP" and prev == "END":
                loop_depth = max(0, loop_depth - 1)
            if word in _PLPGSQL_START and prev in _PLPGSQL_BOUNDARY:
                s, e = body_start + piece.start + words_tokens[i].start, body_start + piece.end
                _read_statement(text, s, e, dialect, locate, ops, loop_depth > 0, statement_ops(text[s:e], dialect), anchor)
                break
            if word == "EXECUTE" and prev in _PLPGSQL_BOUNDARY:
                nxt = words_tokens[i + 1] if i + 1 < len(words_tokens) else None
                if nxt is not None and nxt.token_type.name == "STRING" and i + 2 == len(words_tokens):
                    s, e = body_start + piece.start + nxt.start + 1, body_start + piece.start + nxt.end
                    _read_statement(text, s, e, dialect, locate, ops, loop_depth > 0, statement_ops(text[s:e], dialect),
                                    anchor)
                elif _drops_invalid_indexes(words_tokens[i + 1:], body):
                    span = _span(locate, body_start + piece.start, body_start + piece.end)
                    for name in _literal_names(body):
                        ops.append(Operation("drop_index", None, span, {"name": name, "if_exists": True,
                                                                        "only_if_invalid": True}, anchor=anchor))
                else:
                    span = _span(locate, body_start + piece.start, body_start + piece.end)
                    ops.append(Operation("unanalyzable", None, span,
                                         {"reason": "dynamic SQL (EXECUTE of a built string) in a DO block"}, anchor=anchor))
                break
    invalid_only = any(t.text.upper() == "INDISVALID" for t in tokenize(body, "postgres"))
    for op in ops[first:]:
        op.args = {**op.args, "in_do_block": True}
        if invalid_only and op.kind == "drop_index":  # guarded by a check of pg_index.indisvalid
            op.args["only_if_invalid"] = True


def _drops_invalid_indexes(tokens, body: str) -> bool:
    """`EXECUTE format('DROP INDEX %I', name)` in a block that picks the names from
    pg_index where `NOT indisvalid`: the usual cleanup before retrying CONCURRENTLY builds."""
    from .sql_classify import tokenize

    texts = [t.text for t in tokens]
    if len(texts) < 3 or texts[0].upper() != "FORMAT" or texts[1] != "(" or tokens[2].token_type.name != "STRING":
        return False
    if not texts[2].strip("'").upper().split()[:2] == ["DROP", "INDEX"]:
        return False
    return any(t.text.upper() == "INDISVALID" for t in tokenize(body, "postgres"))


def _literal_names(body: str) -> list[str]:
    """The string literals of a block that are plain identifiers (the index names it lists)."""
    from .sql_classify import tokenize

    names = []
    for t in tokenize(body, "postgres"):
        value = t.text if t.token_type.name == "STRING" else ""  # sqlglot keeps a string's text unquoted
        if value and (value[0].isalpha() or value[0] == "_") and all(c.isalnum() or c == "_" for c in value):
            names.append(value)
    return names


def assign_transactions(ops: list[Operation], dialect: str, implicit: Optional[Txn], deliberate: bool) -> None:
    """Give every operation the transaction it runs in.

    Explicit BEGIN/COMMIT always count; outside them an operation runs in `implicit` (a
    `Txn("file")` when the tool wraps the file, or None when statements run one by
    one). MySQL commits implicitly around every DDL statement; a DO block is atomic.
    """

    explicit: Optional[Txn] = None
    count = 0
    do_label: Optional[Txn] = None
    last_do_anchor = -1
    for op in ops:
        if op.kind == "transaction":
            action = op.args.get("action")
            if action == "begin":
                count += 1
                explicit = Txn("explicit", str(count))
            else:
                explicit = None
            op.txn = explicit
            continue
        txn = explicit or implicit
        if op.args.get("in_do_block") and txn is None:
            if op.anchor != last_do_anchor:
                count += 1
                do_label, last_do_anchor = Txn("do_block", str(count)), op.anchor
            txn = do_label
        if dialect == "mysql" and op.kind in DDL_KINDS:
            explicit, txn = None, None
        op.txn = txn
        op.deliberate_no_txn = deliberate and txn is None


def extract_sql_file(path: str, text: str, dialect: str, sql_transaction: str = "none",
                     lint_down: bool = False) -> Migration:
    locate = line_locator(text)
    read = read_sql(text, dialect, locate, lint_down=lint_down)
    no_txn = "no_transaction" in read.directives
    # goose and dbmate wrap each file in a transaction unless told not to.
    mode = "none" if no_txn else ("per_file" if "tool" in read.directives else sql_transaction)
    assign_transactions(read.operations, dialect, Txn("file") if mode == "per_file" else None, deliberate=no_txn)
    header_end = (read.first_statement_line - 1) if read.first_statement_line else text.count("\n") + 1
    return Migration(path=path, host="sql", dialect=dialect, operations=read.operations,
                     comments=read.comments, header_end=header_end)
