"""SQL embedded in Go, TypeScript/JavaScript and Rust code, read with tree-sitter grammars.

Which strings are SQL: those a database call executes (`db.Exec`, `ExecContext`, `query`,
`execute`, `batch_execute`, tagged `sql` templates, ...), directly or through a constant or
variable; and any other string literal that starts with a SQL keyword and reads as DDL or
DML (migration arrays and objects). Concatenation, `fmt.Sprintf`, template substitutions
and `format!` leave placeholders where values are not known. Transactions come from
`BEGIN`/`COMMIT` strings, `Begin()`...`Commit()` and `transaction(callback)` wrappers.
Nothing is compiled or run.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from ..model import DDL_KINDS, Comment, Migration, Operation, Txn
from .pytext import PLACEHOLDER, Text
from .sql import read_sql

EXTRA = "pip install 'lintmig[embedded]'"
_LANGUAGES = {".go": "go", ".ts": "typescript", ".tsx": "tsx", ".js": "javascript", ".mjs": "javascript",
              ".cjs": "javascript", ".rs": "rust"}
_EXEC = {
    "Exec", "ExecContext", "MustExec", "MustExecContext", "Query", "QueryContext", "QueryRow",
    "QueryRowContext", "Queryx", "QueryRowx", "NamedExec", "exec", "execSync", "execute", "executeMany",
    "run", "query", "queryRaw", "executeRaw", "$executeRawUnsafe", "$executeRaw", "$queryRawUnsafe", "raw",
    "unsafe", "batch_execute", "execute_batch", "prepare", "sql", "none", "one", "any", "many",
}
_BEGIN = {"Begin", "BeginTx", "BeginTxx", "Beginx", "begin"}
_END = {"Commit", "Rollback", "commit", "rollback"}
_CALLBACK_TXN = {"transaction", "Transaction", "withTransaction", "transact", "RunInTx", "WithTx"}
_LOOPS = {"for_statement", "for_in_statement", "while_statement", "do_statement", "for_expression",
          "while_expression", "loop_expression"}
_FUNCTIONS = {"function_declaration", "method_declaration", "func_literal", "arrow_function",
              "function_expression", "method_definition", "function_item", "closure_expression",
              "generator_function_declaration"}
_ANONYMOUS = {"func_literal", "arrow_function", "function_expression", "closure_expression"}
_STRINGS = {"interpreted_string_literal", "raw_string_literal", "string", "template_string", "string_literal"}
_COMMENTS = {"comment", "line_comment", "block_comment"}
_SQL_START = re.compile(
    r"\s*(?:--[^\n]*\n\s*)*(create|alter|drop|update|delete|insert|begin|commit|set|truncate|reindex|vacuum|"
    r"with|cluster|lock|pragma|rename|start)\b", re.I)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "'": "'", "\\": "\\", "`": "`", "0": "\0"}


def _parser(suffix: str):
    import tree_sitter

    name = _LANGUAGES[suffix]
    if name == "go":
        import tree_sitter_go as grammar
        lang = grammar.language()
    elif name in ("typescript", "tsx"):
        import tree_sitter_typescript as grammar
        lang = grammar.language_tsx() if name == "tsx" else grammar.language_typescript()
    elif name == "javascript":
        import tree_sitter_javascript as grammar
        lang = grammar.language()
    else:
        import tree_sitter_rust as grammar
        lang = grammar.language()
    return tree_sitter.Parser(tree_sitter.Language(lang))


def available() -> bool:
    try:
        import tree_sitter  # noqa: F401  (only asks whether the extra is installed)
    except ImportError:
        return False
    return True


@dataclass
class _Found:
    """One piece of SQL found in the code, with what surrounds it."""

    text: Text
    node: object
    strict: bool  # handed to a database call: report everything, even what cannot be read
    ops: list[Operation] = field(default_factory=list)


class EmbeddedReader:
    def __init__(self, path: str, source: str, dialect: str, calls: tuple[str, ...] = ()):
        self.path, self.dialect = path, dialect
        self.exec_names = _EXEC | set(calls)
        self.source = source.encode("utf-8")
        suffix = "." + path.rsplit(".", 1)[-1]
        self.tree = _parser(suffix).parse(self.source)
        self.env: dict[str, object] = {}  # name -> value node (consts, vars, lets)
        self.consumed: set[tuple[int, int]] = set()

    # Values.

    def _text_of(self, node) -> str:
        return self.source[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def _pos(self, node) -> tuple[int, int]:
        return (node.start_point[0] + 1, node.start_point[1] + 1)

    def value(self, node, depth: int = 0) -> Optional[Text]:
        """The string a node evaluates to, placeholders for unknown parts; None if not a string."""
        if node is None or depth > 8:
            return None
        kind = node.type
        if kind in _STRINGS:
            self.consumed.add((node.start_byte, node.end_byte))
            return self._literal(node)
        if kind in ("parenthesized_expression", "await_expression"):
            return self.value(node.named_children[0] if node.named_children else None, depth + 1)
        if kind == "binary_expression":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            op = node.child_by_field_name("operator")
            if (op is None or self._text_of(op) == "+") and left is not None and right is not None:
                lv, rv = self.value(left, depth + 1), self.value(right, depth + 1)
                if lv is None and rv is None:
                    return None
                return (lv or self._placeholder(left)) + (rv or self._placeholder(right))
            return None
        if kind == "identifier":
            target = self.env.get(self._text_of(node))
            return self.value(target, depth + 1) if target is not None else None
        if kind == "call_expression" and self._callee(node) == "Sprintf":
            args = self._args(node)
            return self._format(args[0], args[1:], re.compile(r"%[-+ #0-9.]*[a-zA-Z]"), depth) if args else None
        if kind == "macro_invocation" and self._text_of(node).startswith(("format!", "format_args!")):
            parts = [c for c in node.named_children if c.type == "token_tree"]
            inner = [c for c in parts[0].named_children] if parts else []
            if inner and inner[0].type in _STRINGS:
                return self._format(inner[0], inner[1:], re.compile(r"\{[^{}]*\}"), depth)
        return None

    def _placeholder(self, node) -> Text:
        return Text([(PLACEHOLDER, self._pos(node))], dynamic=True)

    def _format(self, template, args, pattern: re.Pattern, depth: int) -> Optional[Text]:
        """fmt.Sprintf / format!: the template with each field filled by its argument."""
        base = self.value(template, depth + 1)
        if base is None:
            return None

        def fill(m: re.Match, index: int) -> Optional[Text]:
            return self.value(args[index], depth + 1) if index < len(args) else None

        return base.substitute(pattern, fill)

    def _literal(self, node) -> Text:
        """A string literal's pieces, each at its place in the file (escapes decoded)."""
        text = Text()
        kids = node.children
        content = [c for c in kids if c.type not in ('"', "'", "`", "r#\"", "\"#")]
        if not content and node.type in ("raw_string_literal",):
            raw = self._text_of(node)
            return Text([(raw.strip("`"), (node.start_point[0] + 1, node.start_point[1] + 2))])
        for child in content:
            ctype = child.type
            if ctype in ("template_substitution",):
                inner = child.named_children[0] if child.named_children else None
                text = text + (self.value(inner) or self._placeholder(child))
            elif ctype == "escape_sequence":
                raw = self._text_of(child)
                text.pieces.append((_ESCAPES.get(raw[1:2], raw[1:]), self._pos(child)))
            elif ctype in ("string_fragment", "string_content", "interpreted_string_literal_content",
                           "raw_string_literal_content"):
                text.pieces.append((self._text_of(child), self._pos(child)))
        return text

    # Calls.

    def _callee(self, call) -> str:
        fn = call.child_by_field_name("function")
        if fn is None:
            return ""
        for name in ("field", "property", "name"):
            sub = fn.child_by_field_name(name)
            if sub is not None:
                return self._text_of(sub)
        text = self._text_of(fn)
        return text.rsplit("::", 1)[-1].rsplit(".", 1)[-1]

    def _args(self, call) -> list:
        args = call.child_by_field_name("arguments")
        if args is None:
            return []
        if args.type in _STRINGS:  # a tagged template: sql`...`
            return [args]
        return [a for a in args.named_children if a.type not in _COMMENTS]

    # The walk.

    def read(self) -> Migration:
        comments: list[Comment] = []
        calls, strings = [], []
        stack = [self.tree.root_node]
        while stack:
            node = stack.pop()
            kind = node.type
            if kind in _COMMENTS:
                comments.append(Comment(node.start_point[0] + 1, node.end_point[0] + 1, self._text_of(node)))
                continue
            if kind in ("const_spec", "var_spec", "variable_declarator", "let_declaration", "const_item", "static_item"):
                name = node.child_by_field_name("name") or node.child_by_field_name("pattern")
                value = node.child_by_field_name("value")
                if name is not None and value is not None:
                    self.env[self._text_of(name)] = value.named_children[0] if value.type == "expression_list" else value
            elif kind == "short_var_declaration":
                left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                if left is not None and right is not None and left.named_children and right.named_children:
                    self.env[self._text_of(left.named_children[0])] = right.named_children[0]
            if kind == "call_expression":
                calls.append(node)
            if kind in _STRINGS:
                strings.append(node)
                if kind != "template_string":
                    continue
            stack.extend(reversed(node.children))
        found: list[_Found] = []
        for call in calls:
            if self._callee(call) in self.exec_names:
                for arg in self._args(call):
                    text = self.value(arg)
                    if text is not None and text.value.strip():
                        found.append(_Found(text, call, strict=_SQL_START.match(text.value) is not None))
                        break
        for node in strings:
            if (node.start_byte, node.end_byte) in self.consumed:
                continue
            text = self._literal(node)
            if _SQL_START.match(text.value):
                found.append(_Found(text, node, strict=False))
        ops = self._operations(found, calls)
        return Migration(path=self.path, host="embedded", dialect=self.dialect, operations=ops, comments=comments,
                         header_end=self._header_end())

    def _header_end(self) -> int:
        """Before the first code that is not a package clause, an import or a comment."""
        for child in self.tree.root_node.named_children:
            if child.type not in _COMMENTS and child.type not in (
                    "package_clause", "import_declaration", "import_statement", "use_declaration"):
                return child.start_point[0]
        return self.tree.root_node.end_point[0] + 1

    def _operations(self, found: list[_Found], calls: list) -> list[Operation]:
        markers = [(c.start_byte, "begin") for c in calls if self._begins(c)]
        markers += [(c.start_byte, "end") for c in calls if self._callee(c) in _END]
        out: list[tuple[int, Operation]] = []
        new_values: dict[str, Operation] = {}  # enum values added by an earlier string, not used yet
        for item in sorted(found, key=lambda f: f.node.start_byte):
            read = read_sql(item.text.value, self.dialect, item.text.locator(), new_values=new_values)
            ops = read.operations
            if not item.strict and (not ops or any(o.kind in ("parse_error", "unanalyzable") for o in ops)
                                    or not _reads_as_statement(item.text.value, self.dialect)):
                continue  # a string that only looks like SQL: a log line, a message
            anchor, enclosing = self._statement_lines(item.node)
            loop = self._in_loop(item.node)
            scope = self._scope(item.node)
            callback = self._callback_txn(item.node)
            calls = self._enclosing_calls(item.node)
            for op in ops:
                op.anchor = anchor
                op.in_loop = op.in_loop or loop
                op.args = {**op.args, "enclosing": enclosing, "scope": scope, "calls": calls,
                           **({"txn_callback": callback} if callback else {})}
                out.append((item.node.start_byte, op))
        for byte, action in markers:
            out.append((byte, Operation("transaction", None, _zero(), {"action": "begin" if action == "begin" else "commit",
                                                                        "scope": self._scope_at(byte)})))
        out.sort(key=lambda pair: pair[0])
        return self._transactions([op for _, op in out])

    def _begins(self, call) -> bool:
        """`db.Begin()`, `pool.begin()`; Rust's `client.transaction()` (postgres, rusqlite),
        which takes no callback, unlike `db.transaction(() => ...)`."""
        callee = self._callee(call)
        if callee == "transaction":
            return not self._args(call)
        return callee in _BEGIN and not self._args_sql(call)

    def _args_sql(self, call) -> bool:
        return any(self.value(a) is not None for a in self._args(call))

    def _transactions(self, ops: list[Operation]) -> list[Operation]:
        """Explicit BEGIN/COMMIT (strings or Begin()/Commit() calls) and transaction callbacks,
        tracked per function; MySQL commits around DDL."""

        state: dict[int, Optional[Txn]] = {}
        count = 0
        kept: list[Operation] = []
        for op in ops:
            scope = op.args.get("scope", 0)
            if op.kind == "transaction":
                if op.args.get("action") == "begin":
                    count += 1
                    state[scope] = Txn("explicit", str(count))
                else:
                    state[scope] = None
                if op.span.line:  # a BEGIN/COMMIT string, not a Begin() call: keep it
                    op.txn = state[scope]
                    kept.append(op)
                continue
            callback = op.args.get("txn_callback")
            op.txn = state.get(scope) or (Txn("callback", callback) if callback else None)
            if self.dialect == "mysql" and op.kind in DDL_KINDS:
                op.txn = None
            kept.append(op)
        return kept

    # Where a node stands.

    def _ancestors(self, node):
        node = node.parent
        while node is not None:
            yield node
            node = node.parent

    def _statement_lines(self, node) -> tuple[int, tuple[int, ...]]:
        """The first line of the statement holding the SQL (its anchor) and of every statement
        around it, through anonymous functions: a PREFLIGHT above `if err := runAsync(func()
        {...}); ...` covers the SQL inside the function literal. A named function ends it."""
        lines = []
        for parent in self._ancestors(node):
            if parent.type in _FUNCTIONS and parent.type not in _ANONYMOUS:
                break
            if parent.type.endswith(("statement", "declaration", "expression_statement")) or parent.type in _LOOPS:
                if parent.type not in _FUNCTIONS:
                    lines.append(parent.start_point[0] + 1)
        anchor = lines[0] if lines else node.start_point[0] + 1
        return anchor, tuple(lines)

    def _in_loop(self, node) -> bool:
        for parent in self._ancestors(node):
            if parent.type in _FUNCTIONS:
                return False
            if parent.type in _LOOPS:
                return True
        return False

    def _scope(self, node) -> int:
        for parent in self._ancestors(node):
            if parent.type in _FUNCTIONS:
                return parent.start_byte + 1
        return 0

    def _scope_at(self, byte: int) -> int:
        node = self.tree.root_node.descendant_for_byte_range(byte, byte)
        return self._scope(node) if node is not None else 0

    def _enclosing_calls(self, node) -> tuple[str, ...]:
        """Callees whose function arguments hold this SQL (for configured safe calls)."""
        names, inside_function = [], False
        for parent in self._ancestors(node):
            if parent.type in _FUNCTIONS:
                inside_function = True
            elif parent.type == "call_expression" and inside_function:
                names.append(self._callee(parent))
        return tuple(names)

    def _callback_txn(self, node) -> Optional[str]:
        """Inside the function passed to `db.transaction(...)`: that transaction."""
        for parent in self._ancestors(node):
            if parent.type == "call_expression" and self._callee(parent) in _CALLBACK_TXN:
                return f"cb{parent.start_byte}"
        return None


# The words a statement cannot do without, for strings no database call vouches for.
_NEEDS = {
    "UPDATE": {"SET"}, "DELETE": {"FROM"}, "INSERT": {"INTO"}, "WITH": {"AS"}, "SET": {"=", "TO"},
    "TRUNCATE": {"TABLE"}, "REINDEX": {"INDEX", "TABLE"}, "PRAGMA": {"="}, "DROP": {"TABLE", "INDEX", "VIEW", "TRIGGER"},
}
_OBJECT_NEEDS = {"INDEX": {"ON"}, "TABLE": {"(", "AS", "LIKE", "ADD", "DROP", "ALTER", "RENAME", "VALIDATE", "SET"},
                 "VIEW": {"AS"}, "TRIGGER": {"ON"}, "TYPE": {"AS", "ADD", "RENAME"}, "EXTENSION": set(), "SCHEMA": set()}


def _reads_as_statement(text: str, dialect: str) -> bool:
    """Whether a string no database call executes is written like SQL, not like prose."""
    from .sql_classify import tokenize

    try:
        tokens = tokenize(text, dialect)
    except Exception:
        return False
    if not tokens or tokens[0].text not in (tokens[0].text.upper(), tokens[0].text.lower()):
        return False  # "Create index failed": a sentence
    words = [t.text.upper() for t in tokens]
    if words[0] in ("BEGIN", "COMMIT", "START"):
        return len(words) <= 3 or words[1] == ";"
    if words[0] in ("CREATE", "ALTER"):
        rest = [w for w in words[1:] if w not in ("OR", "REPLACE", "UNIQUE", "TEMP", "TEMPORARY")]
        needed = _OBJECT_NEEDS.get(rest[0]) if rest else None
        return needed is not None and (not needed or any(w in needed for w in rest[2:]))
    needed = _NEEDS.get(words[0])
    return needed is None or any(w in needed for w in words[1:])


def _zero():
    from ..model import Span

    return Span(0, 0, 0, 0)


def extract_embedded(path: str, text: str, dialect: str, calls: tuple[str, ...] = ()) -> Migration:
    return EmbeddedReader(path, text, dialect, calls).read()
