"""What the Python front ends share: parsing, positions, emitting operations, SQL strings."""
from __future__ import annotations

import re
from typing import Any, Callable, Optional

import libcst as cst

from ..model import DDL_KINDS, Comment, Operation, Span, Txn
from .pypos import positions
from .pytext import Evaluator, Text, dotted, text_or_none
from .sql import read_sql


# The names a migration's code compares the database in use with, and the dialect each means.
_DIALECTS = {"postgresql": "postgres", "postgres": "postgres", "sqlite": "sqlite", "mysql": "mysql", "mariadb": "mysql"}


_BLOCKS = (cst.BaseStatement, cst.BaseSuite, cst.ExceptHandler, cst.Else, cst.Finally)


def _statement_count(body: Any) -> int:
    """Statements in a body, nested ones included."""
    count, stack = 0, list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, cst.BaseStatement):
            count += 1
        stack.extend(child for child in node.children if isinstance(child, _BLOCKS))
    return max(count, 1)


class UnreadablePython(ValueError):
    def __init__(self, message: str, line: int = 1):
        super().__init__(message)
        self.line = line


MAX_DEPTH = 200  # brackets, as CPython's own parser allows
WALK_BUDGET = 10_000  # statements read again per file (loop passes, helper calls); see spend()
MAX_CHAIN = 1000  # operators in one expression without a separator: `a + a + ...`, `not not ...`
_CHAIN_WORDS = {"not", "lambda", "if", "else", "await", "and", "or", "in", "is", "for", "yield"}


def check_depth(text: str) -> bool:
    """Whether Python's tokenizer reads the text (False: an error it leaves to libcst, which
    knows newer syntax). Raises UnreadablePython for input nested or chained too deeply:
    libcst's native parser recurses on it and would crash the whole process.

    A token scan, linear in the text (CPython's own compile() is quadratic on f-strings
    with many fields)."""
    import io
    import tokenize

    depth, chains = 0, [0]
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            kind, value = tok.type, tok.string
            if kind == tokenize.OP:
                if value in ("(", "[", "{"):
                    chains[-1] += 1
                    depth += 1
                    chains.append(0)
                    if depth > MAX_DEPTH:
                        raise UnreadablePython(f"nested more than {MAX_DEPTH} brackets deep", tok.start[0])
                elif value in (")", "]", "}"):
                    if depth:
                        depth -= 1
                        chains.pop()
                elif value in (",", ";"):
                    chains[-1] = 0
                else:
                    chains[-1] += 1
            elif kind == tokenize.NAME and value in _CHAIN_WORDS:
                chains[-1] += 1
            elif kind == tokenize.NEWLINE:
                depth, chains = 0, [0]
            if chains[-1] > MAX_CHAIN:
                raise UnreadablePython(f"an expression chains more than {MAX_CHAIN} operators", tok.start[0])
    except (tokenize.TokenError, SyntaxError):
        return False
    return True


_OPERATOR_CHARS = "()[]{}:,;+-*/|&<>=.%~^@!"
_CHAIN_WORD = re.compile(r"\b(?:" + "|".join(sorted(_CHAIN_WORDS)) + r")\b")


def surely_shallow(text: str) -> bool:
    """Whether the text cannot exceed the depth check's limits, counting every bracket,
    operator character and chaining word anywhere in it (strings and comments too): an
    upper bound on what the token scan counts, so the scan can be skipped when it is low."""
    if sum(text.count(c) for c in "([{") > MAX_DEPTH:
        return False
    return sum(text.count(c) for c in _OPERATOR_CHARS) + len(_CHAIN_WORD.findall(text)) <= MAX_CHAIN


def parse_python(text: str) -> cst.Module:
    """libcst's tree of a Python file, after the depth check."""
    if not surely_shallow(text):
        check_depth(text)
    return parse_module(text)


def _trusted(node: cst.CSTNode) -> None:
    """What a node built by the parser runs after its fields are set: nothing."""


def parse_module(text: str) -> cst.Module:
    """cst.parse_module without the check every node runs on itself when it is built.

    That check guards trees assembled by hand; on the parser's own output it only repeated
    what the grammar had decided, took about a seventh of the parse, and rejected some
    valid Python outright (`() if 0 else(lambda:())` raised TypeError in libcst 1.9)."""
    base = cst.CSTNode
    checked = base.__dict__.get("__post_init__")
    if checked is None:  # a libcst that validates elsewhere: parse as it does
        return cst.parse_module(text)
    base.__post_init__ = _trusted
    try:
        return cst.parse_module(text)
    finally:
        base.__post_init__ = checked


def _start_of(positions: dict) -> Callable[[cst.CSTNode], Optional[tuple[int, int]]]:
    """(line, column) where a node starts, None when the position pass skipped it."""
    def start(node: cst.CSTNode) -> Optional[tuple[int, int]]:
        found = positions.get(node)
        return None if found is None else (found[0][0], found[0][1] + 1)

    return start


class PythonReader:
    """Base of a front end over one Python file; `txn` is the transaction its migration runs in."""

    txn = Txn("migration", "python")

    def __init__(self, path: str, text: str, dialect: str, skip_functions: tuple[str, ...] = (),
                 with_positions: bool = True):
        self.path, self.dialect = path, dialect
        self.module = parse_python(text)
        body = list(self.module.body)
        while body and isinstance(body[-1], cst.FunctionDef) and body[-1].name.value in skip_functions:
            body.pop()  # nothing there is reported: spare it the position pass
        self._positions: dict = {}
        self.comments: list[Comment] = []
        if with_positions:
            self._positions, self.comments, rest = positions(self.module, body)
            self.comments.extend(python_comments(text, rest))
        self.eval = Evaluator(_start_of(self._positions))  # not self.pos: no cycle to leave to the collector
        # Statements read again, in all: a loop body once per value of a literal list, a
        # helper's body at each call. Nested loops over long lists (a hostile file's 200 x 200
        # x 200) or a helper called thousands of times would otherwise be read millions of times.
        self.walk_budget = WALK_BUDGET
        self._sizes: dict[int, int] = {}
        self.ops: list[Operation] = []
        self._strings = 0
        self._begins = 0
        # Enum values an earlier SQL string added and no later one used yet: PostgreSQL
        # refuses their use in the same transaction, whichever string it is in.
        self.new_values: dict[str, Operation] = {}

    def pos(self, node: cst.CSTNode) -> Optional[tuple[int, int]]:
        return self.eval.position(node)

    def span(self, node: cst.CSTNode) -> Span:
        if not self._positions:  # a reader for facts only, reporting nothing
            return Span(1, 1, 1, 1)
        (line, col), (end_line, end_col) = self._positions[node]
        return Span(line, col + 1, end_line, max(end_col, 1))

    def header_end(self) -> int:
        """Last line before the first statement that is not a docstring, an import or a
        revision identifier (where a file-wide directive may stand)."""
        for stmt in self.module.body:
            if isinstance(stmt, cst.SimpleStatementLine) and all(_header_like(small) for small in stmt.body):
                continue
            return self.span(stmt).line - 1 if stmt in self._positions else 0
        return len(self.module.code.splitlines())

    def _emit(self, kind: str, table: Any, args: dict, ctx, site: Span) -> None:
        table = text_or_none(table)
        blocks = getattr(ctx, "blocks", ())
        if blocks:
            args = {**args, "enclosing": blocks}
        args = {k: v for k, v in args.items() if v is not None and v is not False and v != [] and v != {}}
        op = Operation(kind, table, site, args, anchor=site.line, in_loop=ctx.in_loop)
        op.txn, op.deliberate_no_txn = self.txn_here(ctx)
        self.ops.append(op)

    def txn_here(self, ctx) -> tuple[Optional[Txn], bool]:
        """(the transaction a statement runs in at this point, whether the author left the
        migration's transaction on purpose)."""
        return (None, True) if ctx.autocommit else (self.txn, False)

    def _transaction_statement(self, op: Operation) -> None:
        """`op.execute("COMMIT")` commits what ran before it (a failure later runs that
        again). What follows runs in a transaction the driver opens again before its next
        statement (psycopg 3 does; psycopg2 sends no BEGIN and runs each statement alone,
        which the old way to build an index concurrently relied on), until a BEGIN."""
        action = op.args.get("action")
        if action == "begin":
            self._begins += 1
            self.txn = Txn("explicit", str(self._begins))
        elif action in ("commit", "rollback"):
            if self.txn is not None and self.txn.kind == "migration":
                for done in self.ops:
                    done.deliberate_no_txn = True
            self._begins += 1
            self.txn = Txn("after_commit", str(self._begins))

    def spend(self, body: Any, times: int = 1) -> bool:
        """Whether `body` (a sequence of statements) may be read `times` times more within the
        file's budget, which it then spends. Past the budget a loop is read once with its
        variable unknown and a helper call is unanalyzable."""
        size = self._sizes.get(id(body))
        if size is None:
            size = self._sizes[id(body)] = _statement_count(body)
        cost = size * times
        if cost > self.walk_budget:
            return False
        self.walk_budget -= cost
        return True

    def dialect_test(self, test: cst.BaseExpression, env: dict) -> Optional[bool]:
        """True/False when the test compares the database in use with a literal (Alembic's
        `bind.dialect.name`, a URL's scheme, Django's `connection.vendor`); None otherwise."""
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            inner = self.dialect_test(test.expression, env)
            return None if inner is None else not inner
        if isinstance(test, cst.Name):
            value = env.get(test.value)
            return value if isinstance(value, bool) else None
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            comp = test.comparisons[0]
            subject, literal = dotted(test.left), text_or_none(self.eval.value(comp.comparator, env))
            if literal is None:
                return None
            if subject.endswith((".dialect.name", ".name", ".vendor")) or subject.endswith("dialect"):
                target = _DIALECTS.get(literal.lower())
                if target is None:
                    return None
                same = target == self.dialect
                if isinstance(comp.operator, cst.Equal):
                    return same
                if isinstance(comp.operator, cst.NotEqual):
                    return not same
                if isinstance(comp.operator, cst.In):
                    return None
        if isinstance(test, cst.Call) and isinstance(test.func, cst.Attribute) and test.func.attr.value == "startswith":
            subject = dotted(test.func.value.args[0].value) if isinstance(test.func.value, cst.Call) and test.func.value.args else dotted(test.func.value)
            literal = text_or_none(self.eval.value(test.args[0].value, env)) if test.args else None
            if "url" in subject and literal:
                prefix = literal.split("+")[0].split(":")[0].lower()
                target = _DIALECTS.get(prefix)
                return None if target is None else target == self.dialect
        return None

    def _sql(self, text: Text, ctx, site: Span, one_query: bool = True) -> None:
        """SQL held in a string. `one_query`: sent as one query string (PostgreSQL then runs
        its statements as one implicit transaction); Django's RunSQL splits it instead."""
        read = read_sql(text.value, self.dialect, text.locator(), new_values=self.new_values)
        self.comments.extend(read.comments)  # SQL comments inside the string count as comments
        self._strings += 1
        multi = one_query and len({(o.span.line, o.span.column) for o in read.operations}) > 1
        for op in read.operations:
            op.anchor = site.line
            op.in_loop = op.in_loop or ctx.in_loop
            if ctx.row_loop and op.kind in ("update", "delete"):
                op.args = {**op.args, "row_by_row": True}
            if multi and self.dialect == "postgres":
                op.args = {**op.args, "multi_statement": True}
            op.txn, op.deliberate_no_txn = self.txn_here(ctx)
            if op.kind == "transaction" and not ctx.autocommit:
                self._transaction_statement(op)
            elif multi and self.dialect == "postgres" and op.txn is None and op.kind != "transaction":
                op.txn = Txn("query_string", str(self._strings))  # one query string: one implicit transaction
            if getattr(ctx, "blocks", ()):
                op.args = {**op.args, "enclosing": ctx.blocks}
            self.ops.append(op)

    def _note_values(self, values: set, line: int) -> None:
        """Python string values written at `line` (a Core `.values(status="archived")`):
        a use of any new enum value among them, as a SQL literal would be."""
        for value in values & self.new_values.keys():
            self.new_values.pop(value).args["value_used_on_line"] = line

    def _mysql_commits(self) -> None:
        if self.dialect == "mysql":  # MySQL commits around every DDL statement

            for op in self.ops:
                if op.kind in DDL_KINDS:
                    op.txn = None


_HEADER_NAMES = {"revision", "down_revision", "branch_labels", "depends_on"}


def _header_like(small: cst.CSTNode) -> bool:
    if isinstance(small, (cst.Import, cst.ImportFrom, cst.Expr)):
        return True
    if isinstance(small, (cst.Assign, cst.AnnAssign)):
        target = small.targets[0].target if isinstance(small, cst.Assign) else small.target
        return isinstance(target, cst.Name) and target.value in _HEADER_NAMES
    return False


def python_comments(text: str, from_line: int = 1) -> list[Comment]:
    """`#` comments from line `from_line` on (where a top-level statement starts), read
    with Python's own tokenizer (docstrings are strings, not comments)."""
    import io
    import tokenize

    out: list[Comment] = []
    parts = text.split("\n", from_line - 1)
    if len(parts) < from_line:  # the file ends before that line
        return out
    rest = parts[-1]
    try:
        for tok in tokenize.generate_tokens(io.StringIO(rest).readline):
            if tok.type == tokenize.COMMENT:
                line = tok.start[0] + from_line - 1
                out.append(Comment(line, line, tok.string))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return out
