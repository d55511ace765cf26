"""Positions of the libcst nodes the Python front ends report, and the file's `#`
comments, in one code generation pass.

libcst's PositionProvider records a range for every node of the tree through its metadata
machinery; that was 80% of the time spent on an Alembic revision. This state records
only statements (their syntactic start, after leading comment lines), calls and string
literals, which is all a front end ever points at, and each comment's line (a second
pass of Python's tokenizer over the file cost about a tenth of its reading).
"""
from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Optional

import libcst as cst
from libcst._nodes.internal import CodegenState

from ..model import Comment

Range = tuple[tuple[int, int], tuple[int, int]]  # ((line, column0), (line, column0))
# Exact types, not isinstance: libcst's classes use ABCMeta, whose checks dominated this pass.
_NODES = frozenset({cst.Call, cst.SimpleString, cst.FormattedString, cst.FormattedStringText, cst.ConcatenatedString})
_STATEMENTS = frozenset({cst.SimpleStatementLine, cst.With, cst.If, cst.For, cst.While, cst.Try, cst.FunctionDef, cst.ClassDef})


@dataclass(frozen=False)
class _PositionState(CodegenState):
    positions: dict = field(default_factory=dict)
    line: int = 1
    column: int = 0
    stack: list = field(default_factory=list)
    comments: list = field(default_factory=list)

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.column += len(token)

    def add_token(self, value: str) -> None:
        newlines = value.count("\n")
        if newlines:
            self.line += newlines
            self.column = len(value) - value.rfind("\n") - 1
        else:
            self.column += len(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        kind = type(node)
        if kind in _NODES:
            self.stack.append((self.line, self.column))
        elif kind is cst.Comment:
            self.comments.append(Comment(self.line, self.line, node.value))

    def after_codegen(self, node: cst.CSTNode) -> None:
        if type(node) in _NODES:
            start = self.stack.pop()
            self.positions.setdefault(node, (start, (self.line, self.column)))

    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: Optional[cst.CSTNode] = None,
                                  end_node: Optional[cst.CSTNode] = None) -> Any:
        # Called for most nodes; a generator context manager each cost a tenth of the pass.
        return _StatementRange(self, node) if type(node) in _STATEMENTS else _NOTHING


class _StatementRange:
    __slots__ = ("state", "node", "start")

    def __init__(self, state: _PositionState, node: cst.CSTNode):
        self.state, self.node = state, node

    def __enter__(self) -> None:
        self.start = (self.state.line, self.state.column)

    def __exit__(self, *exc: object) -> None:
        self.state.positions[self.node] = (self.start, (self.state.line, self.state.column))


_NOTHING = nullcontext()


class _Parenthesized:
    """BaseExpression._parenthesize for this pass, without a generator: an expression's
    parentheses around its code (every expression opens one, and libcst's generator-based
    context manager cost a third of the pass). Its syntactic position is not recorded:
    this state records statements only."""

    __slots__ = ("node", "state")

    def __init__(self, node: cst.BaseExpression, state: _PositionState):
        self.node, self.state = node, state

    def __enter__(self) -> None:
        for lpar in self.node.lpar:
            lpar._codegen(self.state)

    def __exit__(self, *exc: object) -> None:
        for rpar in self.node.rpar:
            rpar._codegen(self.state)


# The libcst class that defines _parenthesize (a private base of every expression); None in
# a libcst that parenthesizes some other way, which then codegens as it always does.
_PARENTHESIZE_OWNER = next((k for k in cst.BaseExpression.__mro__ if "_parenthesize" in k.__dict__), None)


def _parenthesized(node: cst.BaseExpression, state: _PositionState) -> _Parenthesized:
    return _Parenthesized(node, state)


def positions(module: cst.Module, body: list[cst.BaseStatement]) -> tuple[dict[cst.CSTNode, Range], list[Comment], int]:
    """Positions and comments of the module's header and of `body`, its first statements
    (those after it report nothing), and the line where the rest of the file starts."""
    state = _PositionState(default_indent=module.default_indent, default_newline=module.default_newline)
    owner = _PARENTHESIZE_OWNER
    if owner is not None:
        parenthesize = owner.__dict__["_parenthesize"]
        owner._parenthesize = _parenthesized
    try:
        # No trailing newline: this state keeps no tokens, so the module would add one more.
        module.with_changes(body=body, footer=(), has_trailing_newline=False)._codegen(state)
    finally:
        if owner is not None:
            owner._parenthesize = parenthesize
    return state.positions, state.comments, state.line
