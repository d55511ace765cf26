"""Split SQL text into statements without parsing it.

sqlglot must never see a whole large file (its cost grows quadratically with the number of
"command" statements in one string), so statements are cut here first. The splitter is a
small lexer: it knows quotes ('', E'', MySQL backslash escapes, "" and `` identifiers),
dollar quotes, nested block comments, `BEGIN ... END` bodies of triggers and routines,
goose's StatementBegin/End and MySQL's DELIMITER lines. Scanning is driven by one compiled
pattern, so it stays linear on files of many megabytes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_DOLLAR = r"\$(?:[^\W\d]\w*)?\$"
_KEYWORDS = r"|(?<![\w$])(?:begin|end|case)(?![\w$])"
_BASE = {
    "postgres": r"--|/\*|'|\"|;|(?m:^\\)|" + _DOLLAR,
    "sqlite": r"--|/\*|'|\"|`|\[|;",
    "mysql": r"--|/\*|'|\"|`|#|;|(?im:^delimiter[ \t])",
}
_PATTERNS: dict[str, tuple[re.Pattern, re.Pattern]] = {}


def _patterns(dialect: str) -> tuple[re.Pattern, re.Pattern]:
    """Compiled on first use: a run reads one or two dialects."""
    if dialect not in _PATTERNS:
        base = _BASE.get(dialect, _BASE["postgres"])
        _PATTERNS[dialect] = (re.compile(base), re.compile(base + _KEYWORDS, re.I))
    return _PATTERNS[dialect]
_BLOCK_START = re.compile(
    r"create\s+(?:or\s+replace\s+)?(?:definer\s*=\s*[^\s;]+\s+)?(?:temp(?:orary)?\s+)?"
    r"(?:constraint\s+)?(?:trigger|procedure|function|event)\b",
    re.I,
)
_COPY_STDIN = re.compile(r"copy\s[^;]*\bfrom\s+stdin\b", re.I)
_COPY_END = re.compile(r"^\\\.[ \t\r]*$", re.M)
_EMPTY = re.compile(r"[\s;]*")
_LOOP_END = re.compile(r"\s+(?:if|loop|while|repeat|for)(?![\w$])", re.I)



@dataclass(slots=True)
class Piece:
    """A statement (`kind="stmt"`) or a comment, by offsets into the text."""

    start: int
    end: int


class SplitError(ValueError):
    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.offset = offset


def split(text: str, dialect: str = "postgres") -> tuple[list[Piece], list[Piece]]:
    """Return (statements, comments) as offset ranges; statements exclude the final `;`."""
    base, with_keywords = _patterns(dialect)
    backslash_strings = dialect == "mysql"
    statements: list[Piece] = []
    comments: list[Piece] = []
    n = len(text)
    pos = 0
    stmt_start = -1  # offset of the current statement's first significant character
    last_sig = 0  # end offset of the last significant character
    depth = 0  # BEGIN/CASE nesting inside a trigger or routine body
    pattern = base
    goose_block = False
    delimiter = ";"

    def note(start: int, end: int) -> None:
        """Significant text from start to end belongs to the current statement."""
        nonlocal stmt_start, pattern, depth, last_sig
        if stmt_start < 0:
            stmt_start = start
            depth = 0
            pattern = with_keywords if _BLOCK_START.match(text, start) else base
            if delimiter != ";":
                pattern = re.compile(re.escape(delimiter) + "|" + pattern.pattern, pattern.flags)
        last_sig = end

    def close() -> None:
        nonlocal stmt_start, pattern, pos
        if stmt_start >= 0:
            statements.append(Piece(stmt_start, last_sig))
            if dialect == "postgres" and _COPY_STDIN.match(text, stmt_start, last_sig):
                # psql's COPY ... FROM stdin: data rows follow, up to a line "\."
                end = _COPY_END.search(text, pos)
                pos = end.end() if end else n
        stmt_start = -1
        pattern = base if delimiter == ";" else re.compile(re.escape(delimiter) + "|" + base.pattern)

    while pos < n:
        if stmt_start < 0 and delimiter == ";" and not goose_block:
            pos = _EMPTY.match(text, pos).end()  # runs of `;` with no statement: nothing to close
            if pos >= n:
                break
        m = pattern.search(text, pos)
        tok_start = n if m is None else m.start()
        gap = text[pos:tok_start]
        if gap.strip():
            lead = len(gap) - len(gap.lstrip())
            before = pattern
            note(pos + lead, pos + len(gap.rstrip()))
            if pattern is not before:  # a routine body starts: scan it again with keywords
                pos += lead
                continue
        if m is None:
            break
        tok = m.group()
        pos = m.end()
        if tok == delimiter and (delimiter != ";" or (depth == 0 and not goose_block)):
            close()
        elif tok == ";":
            note(tok_start, pos)
        elif tok in ("--", "#"):
            end = text.find("\n", tok_start)
            end = n if end < 0 else end
            comments.append(Piece(tok_start, end))
            body = text[pos:end].strip().lower()
            if body.startswith("> statement-breakpoint"):  # drizzle's separator
                close()
            elif body.startswith("+goose statementbegin"):
                close()
                goose_block = True
            elif body.startswith("+goose statementend"):
                close()
                goose_block = False
            pos = end
        elif tok == "/*":
            pos = _block_comment_end(text, tok_start, nested=dialect == "postgres")
            comments.append(Piece(tok_start, pos))
        elif tok == "\\" or tok[:1] in "dD":
            # A psql meta-command line, or MySQL's client-side DELIMITER line.
            close()
            end = text.find("\n", tok_start)
            end = n if end < 0 else end
            if tok != "\\":
                delimiter = text[pos:end].strip() or ";"
                close()
            pos = end
        elif tok in ("'", '"', "`", "["):
            escapes = (backslash_strings and tok != "`") or (tok == "'" and _is_escape_string(text, tok_start))
            pos = _quote_end(text, tok_start, "]" if tok == "[" else tok, escapes)
            note(tok_start, pos)
        elif tok.startswith("$"):
            close_at = text.find(tok, pos)
            if close_at < 0:
                raise SplitError(f"unterminated dollar-quoted string {tok}", tok_start)
            pos = close_at + len(tok)
            note(tok_start, pos)
        else:  # BEGIN / CASE / END inside a routine or trigger body
            if tok.lower() != "end":
                depth += 1
            else:
                follow = _LOOP_END.match(text, pos)
                if follow:
                    pos = follow.end()
                else:
                    depth = max(0, depth - 1)
            note(tok_start, pos)
    if goose_block and stmt_start >= 0:
        raise SplitError("goose StatementBegin without StatementEnd", stmt_start)
    close()
    return statements, comments


def _is_escape_string(text: str, quote_at: int) -> bool:
    """E'...' (PostgreSQL) takes backslash escapes."""
    if quote_at == 0 or text[quote_at - 1] not in "eE":
        return False
    return quote_at < 2 or not (text[quote_at - 2].isalnum() or text[quote_at - 2] in "_$")


def _quote_end(text: str, start: int, quote: str, escapes: bool) -> int:
    pos = start + 1
    while True:
        close_at = text.find(quote, pos)
        if close_at < 0:
            raise SplitError("unterminated quoted string", start)
        if escapes:
            run = 0
            k = close_at - 1
            while k > start and text[k] == "\\":
                run += 1
                k -= 1
            if run % 2:
                pos = close_at + 1
                continue
        if text.startswith(quote, close_at + 1) and quote != "]":
            pos = close_at + 2
            continue
        return close_at + 1


def _block_comment_end(text: str, start: int, nested: bool) -> int:
    depth = 0
    pos = start
    while True:
        close_at = text.find("*/", pos)
        if close_at < 0:
            raise SplitError("unterminated block comment", start)
        if nested:
            opened = text.count("/*", pos, close_at)
            depth += opened
        else:
            depth = 1
        depth -= 1
        pos = close_at + 2
        if depth <= 0:
            return pos
