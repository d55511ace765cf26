"""Static values of Python expressions, for the Python front ends (libcst).

Nothing is imported or run. A value is a plain Python value (str, int, bool, None, list,
dict), a `Text` (a string whose pieces remember where they stand in the file, with
placeholders for the parts that cannot be resolved), a `Call` record, or UNKNOWN.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import libcst as cst

UNKNOWN: Any = type("Unknown", (), {"__repr__": lambda self: "UNKNOWN"})()
PLACEHOLDER = "tpl_____"
_FORMAT_FIELD = re.compile(r"\{([^{}]*)\}")  # one pass, no backtracking: linear on any string


def _field_name(inner: str) -> str:
    """`name!r:>10` -> `name`: the leading word of a format field."""
    end = 0
    while end < len(inner) and (inner[end].isalnum() or inner[end] == "_"):
        end += 1
    return inner[:end]
Pos = tuple[int, int]  # 1-based line and column in the host file


@dataclass
class Text:
    """A string built from pieces; each piece knows where its first character stands."""

    pieces: list[tuple[str, Optional[Pos]]] = field(default_factory=list)
    dynamic: bool = False  # some part could not be resolved
    is_sql: bool = False  # came through sa.text() / literal_column(): a SQL expression, not a value

    @property
    def value(self) -> str:
        return "".join(p for p, _ in self.pieces)

    def __add__(self, other: "Text") -> "Text":
        return Text(self.pieces + other.pieces, self.dynamic or other.dynamic)

    def substitute(self, pattern: re.Pattern, fill: Callable[[re.Match, int], Optional["Text"]]) -> "Text":
        """Replace the fields `pattern` finds (`%s`, `{}`, ...) by `fill(match, index)`, or by a
        placeholder where that is None; escaped `%%`, `{{`, `}}` stay as they are."""
        pieces: list[tuple[str, Optional[Pos]]] = []
        dynamic, index = self.dynamic, 0
        for piece, pos in self.pieces:
            last = 0
            locate = Text([(piece, pos)]).locator() if pos else None
            for m in pattern.finditer(piece):
                if m.group() in ("%%", "{{", "}}"):
                    continue
                if m.start() > last:
                    pieces.append((piece[last:m.start()], locate(last) if locate else None))
                value = fill(m, index)
                index += 1
                if value is None:
                    value = Text([(PLACEHOLDER, locate(m.start()) if locate else None)], dynamic=True)
                pieces.extend(value.pieces)
                dynamic = dynamic or value.dynamic
                last = m.end()
            if last < len(piece):
                pieces.append((piece[last:], locate(last) if locate else None))
        return Text(pieces, dynamic)

    def locator(self) -> Callable[[int], Pos]:
        """Offset in `value` -> position in the host file (logarithmic per call: a string
        from a pull request may hold many thousands of fields)."""
        import bisect

        offsets, offset = [], 0
        for piece, _ in self.pieces:
            offsets.append(offset)
            offset += len(piece)
        fallback = next((p for _, p in self.pieces if p), (1, 1))
        newlines: dict[int, list[int]] = {}

        def locate(at: int) -> Pos:
            if not self.pieces:
                return fallback
            i = max(bisect.bisect_right(offsets, at) - 1, 0)
            piece, pos = self.pieces[i]
            pos = pos or fallback
            rel = min(max(at - offsets[i], 0), max(len(piece) - 1, 0))
            if i not in newlines:
                newlines[i] = [k for k, c in enumerate(piece) if c == "\n"]
            before = bisect.bisect_left(newlines[i], rel)
            if before:
                return (pos[0] + before, rel - newlines[i][before - 1])
            return (pos[0], pos[1] + rel)

        return locate


@dataclass
class Call:
    """A call we keep as data: `sa.Column(...)`, `sa.text(...)`, `sa.func.now()`, ..."""

    name: str  # last dotted part, e.g. "Column"
    dotted: str
    args: list[Any]
    kwargs: dict[str, Any]
    node: cst.Call


def dotted(node: cst.BaseExpression) -> str:
    """`op.get_bind().execute` -> "op.get_bind().execute"; "" when not a plain chain."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr.value}" if base else ""
    if isinstance(node, cst.Call):
        base = dotted(node.func)
        return f"{base}()" if base else ""
    return ""


def literal_value(node: cst.SimpleString) -> str:
    """The value of a (non-bytes) string literal."""
    quote = node.quote
    return _value_of(node, _opening(node, quote), quote)


def _opening(node: cst.SimpleString, quote: str) -> int:
    """Where the literal's body starts: after its prefix and opening quote."""
    return node.value.index(quote[0]) + len(quote)


def _value_of(node: cst.SimpleString, opening: int, quote: str) -> str:
    """A body with no backslash and no carriage return is its own value; only the rest goes
    through ast.literal_eval, whose helper closures are reference cycles that the
    collector, not reference counting, frees."""
    body = node.value[opening:-len(quote)]
    if "\\" in body or "\r" in body:
        return node.evaluated_value
    return body


# Calls that change only the whitespace around or inside a SQL text, which SQL ignores:
# the text stays as written, so its positions stay exact.
_TRIMS = frozenset({"strip", "lstrip", "rstrip"})
_SAME_SQL_METHODS = frozenset({"bindparams", "execution_options", "columns"}) | _TRIMS
_LAYOUT_ONLY = frozenset({"dedent", "cleandoc"})  # textwrap.dedent, inspect.cleandoc


# One escape sequence of a Python string literal (whatever follows a backslash).
_ESCAPE = re.compile(r"\\(N\{[^}]*\}|U[0-9A-Fa-f]{8}|u[0-9A-Fa-f]{4}|x[0-9A-Fa-f]{2}|[0-7]{1,3}|[\s\S])")


# What may follow a backslash in an escape Python decodes (any other stays as written).
_ESCAPE_STARTS = frozenset("\\'\"abfnrtv\n01234567xuUN")


def _escape_value(m: re.Match) -> str:
    seq = m.group(0)
    if seq[1] not in _ESCAPE_STARTS:  # `\{`: kept, as Python keeps it (and warns)
        return seq
    try:
        return seq.encode("ascii").decode("unicode_escape")
    except UnicodeError:  # not ASCII after the backslash, or a name Python does not know
        return seq


def _unescaped(body: str, raw: bool = False) -> str:
    """The text an f-string's literal part stands for, as Python reads it: a line ends in
    `\\n` whatever the file's line ends, and (unless raw) escapes such as `\\n` are decoded.
    A body with no backslash and no carriage return is its own text."""
    if "\r" in body:
        body = body.replace("\r\n", "\n").replace("\r", "\n")
    if raw or "\\" not in body:
        return body
    return _ESCAPE.sub(_escape_value, body)


STRING_NODES = frozenset({cst.SimpleString, cst.ConcatenatedString, cst.FormattedString})
_SEQUENCES = frozenset({cst.List, cst.Tuple, cst.Set})


class Evaluator:
    """Evaluates expressions against an environment of names."""

    def __init__(self, position: Callable[[cst.CSTNode], Optional[Pos]]):
        self.position = position
        # Names imported under another name (`from sqlalchemy import text as sql_text`).
        self.aliases: dict[str, str] = {}

    def string(self, node: cst.BaseString, env: dict[str, Any]) -> Any:
        if isinstance(node, cst.ConcatenatedString):
            parts: list = []
            while isinstance(node, cst.ConcatenatedString):  # `'a' 'b' 'c'` nests to the left
                parts.append(node.right)
                node = node.left
            parts.append(node)
            texts = [self.string(part, env) for part in reversed(parts)]
            if not all(isinstance(t, Text) for t in texts):
                return UNKNOWN
            return Text([piece for t in texts for piece in t.pieces], any(t.dynamic for t in texts))
        if isinstance(node, cst.SimpleString):
            quote = node.quote  # (libcst works it and the prefix out from the text at every use)
            opening = _opening(node, quote)
            if "b" in node.value[:opening].lower():
                return UNKNOWN
            value = _value_of(node, opening, quote)
            at = self.position(node)
            # With escapes in the literal, positions inside it are approximate; its start is exact.
            start = (at[0], at[1] + opening) if at else None
            return Text([(value, start)])
        if isinstance(node, cst.FormattedString):
            return self._fstring(node, env)
        return UNKNOWN

    def _fstring(self, node: cst.FormattedString, env: dict[str, Any]) -> Text:
        text = Text()
        raw = "r" in node.prefix.lower()
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                # `{{` is a brace whatever escapes say (`\x7b\x7b` is two of them)
                value = _unescaped(part.value.replace("{{", "{").replace("}}", "}"), raw)
                text.pieces.append((value, self.position(part)))
            else:
                value = self.as_text(part.expression, env)
                text.pieces.extend(value.pieces)
                text.dynamic = text.dynamic or value.dynamic
        return text

    def as_text(self, node: cst.BaseExpression, env: dict[str, Any]) -> Text:
        """A value spliced into SQL: its text when known, else a placeholder."""
        value = self.value(node, env)
        if isinstance(value, Text):
            return value
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return Text([(str(value), self.position(node))])
        return Text([(PLACEHOLDER, self.position(node))], dynamic=True)

    def value(self, node: Optional[cst.BaseExpression], env: dict[str, Any]) -> Any:
        if node is None:
            return None
        # Exact types (the parser makes no subclasses): isinstance on libcst's ABCMeta
        # classes was a fifth of reading an Alembic revision's calls.
        kind = type(node)
        if kind in STRING_NODES:
            return self.string(node, env)
        if kind is cst.Integer:
            return int(node.value.replace("_", ""), 0)
        if kind is cst.Name:
            if node.value in ("True", "False", "None"):
                return {"True": True, "False": False, "None": None}[node.value]
            return env.get(node.value, UNKNOWN)
        if kind in _SEQUENCES:
            return [self.value(e.value, env) for e in node.elements if type(e) is not cst.StarredElement]
        if kind is cst.Dict:
            out = {}
            for e in node.elements:
                if isinstance(e, cst.DictElement):
                    key = self.value(e.key, env)
                    if isinstance(key, Text):
                        key = key.value
                    if isinstance(key, (str, int)):
                        out[key] = self.value(e.value, env)
            return out
        if kind is cst.BinaryOperation:
            return self._binary(node, env)
        if kind is cst.Call:
            return self._call(node, env)
        if kind is cst.Attribute:
            return env.get(dotted(node), UNKNOWN)
        return UNKNOWN

    def _binary(self, node: cst.BinaryOperation, env: dict[str, Any]) -> Any:
        left = self.value(node.left, env)
        if isinstance(node.operator, cst.Add):
            right = self.value(node.right, env)
            if isinstance(left, Text) or isinstance(right, Text):
                return self.as_text(node.left, env) + self.as_text(node.right, env)
            if isinstance(left, (int, list)) and type(left) is type(right):
                return left + right
            return UNKNOWN
        if isinstance(node.operator, cst.Modulo) and isinstance(left, Text):
            right = node.right
            items = right.elements if isinstance(right, cst.Tuple) else None
            if isinstance(right, cst.Dict):
                mapping = {}
                for e in right.elements:
                    if isinstance(e, cst.DictElement):
                        key = self.value(e.key, env)
                        mapping[key.value if isinstance(key, Text) else key] = e.value
                return self._substitute(left, re.compile(r"%\((\w+)\)[sdr]"), lambda m, i: mapping.get(m.group(1)), env)
            values = [e.value for e in items] if items is not None else [right]
            return self._substitute(left, re.compile(r"%[sdr]"), lambda m, i: values[i] if i < len(values) else None, env)
        return UNKNOWN

    def _substitute(self, template: Text, pattern: re.Pattern, pick, env: dict[str, Any]) -> Text:
        """Fill a template's fields with the text of the expressions `pick` chooses."""
        def fill(m: re.Match, index: int) -> Optional[Text]:
            expr = pick(m, index)
            return None if expr is None else self.as_text(expr, env)

        return template.substitute(pattern, fill)

    def _call(self, node: cst.Call, env: dict[str, Any]) -> Any:
        name = dotted(node.func)
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "format":
            template = self.value(node.func.value, env)
            if isinstance(template, Text):
                positional = [a.value for a in node.args if a.keyword is None and not a.star]
                named = {a.keyword.value: a.value for a in node.args if a.keyword is not None}

                def pick(m, i):
                    key = _field_name(m.group(1))
                    if key.isdigit():
                        return positional[int(key)] if int(key) < len(positional) else None
                    if key:
                        return named.get(key)
                    return positional[i] if i < len(positional) else None

                return self._substitute(template, _FORMAT_FIELD, pick, env)
            return UNKNOWN
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in _SAME_SQL_METHODS:
            inner = self.value(node.func.value, env)
            # sa.text("...").bindparams(...), "...".strip(): still that SQL
            if isinstance(inner, Text) and (node.func.attr.value not in _TRIMS or not node.args):
                return inner
        args = [self.value(a.value, env) for a in node.args if a.keyword is None and not a.star]
        kwargs = {a.keyword.value: self.value(a.value, env) for a in node.args if a.keyword is not None}
        last = name.rsplit(".", 1)[-1] if name else ""
        last = self.aliases.get(name, last)
        if last in ("text", "literal_column") and args and isinstance(args[0], Text):
            return Text(args[0].pieces, args[0].dynamic, is_sql=True)
        if last == "f" and args:  # op.f("ix_name"): a name marked as already final
            return args[0]
        if last == "str" and args:  # whatever it is given, a Python string
            return args[0] if isinstance(args[0], Text) else self.as_text(node.args[0].value, env)
        if last in _LAYOUT_ONLY and len(args) == 1 and not kwargs and isinstance(args[0], Text):
            return args[0]
        return Call(last, name, args, kwargs, node)


def text_or_none(value: Any) -> Optional[str]:
    if isinstance(value, Text):
        return value.value
    return value if isinstance(value, str) else None
