"""Property tests: generated and mutated migrations (SQL, Alembic, Django) through the whole
`lintmig check` pipeline. Whatever the bytes, no exception escapes, the exit code is 0, 1 or
2, and every file handed over is accounted for in `files_scanned`."""
from __future__ import annotations

import io
import json
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES
from lintmig.cli import main

SEEDS = {
    "sql": sorted((FIXTURES / "sql" / "postgres").glob("*.sql")),
    "alembic": sorted((FIXTURES / "alembic" / "postgres").glob("*.py")),
    "django": sorted((FIXTURES / "django" / "shop" / "migrations").glob("0*.py")),
}
# Pieces that mean something to a lexer or a front end: quotes, dollar quotes, comments,
# brackets, statement ends, templates, format fields, opt-outs, odd characters.
PIECES = ["'", '"', "`", "$$", "$a$", "/*", "*/", "--", "#", ";", "(", ")", "[", "]", "{", "}", "{{", "}}",
          "{%", "%}", "%s", "%(x)s", "\\", "\n", "\r\n", "\t", " ", "BEGIN", "END", "COMMIT", "DO $$", "CONCURRENTLY",
          "PREFLIGHT: async=true reason=\"", "migration-unsafe-ack:", "op.execute(", "f'", "lambda:", "é", "\u2028",
          "\x00", "\ufeff", "CREATE INDEX ix ON t (a)", "UPDATE t SET a = 1", "def upgrade():\n    ", "atomic = False"]


@st.composite
def mutated(draw, host: str) -> bytes:
    text = draw(st.sampled_from(SEEDS[host])).read_text()
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "repeat"]))
        if action == "insert":
            text = text[:at] + draw(st.sampled_from(PIECES)) * draw(st.integers(1, 40)) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 200)):]
        else:
            chunk = text[at:at + draw(st.integers(1, 80))]
            text = text[:at] + chunk * draw(st.integers(2, 30)) + text[at:]
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()) and data:  # sometimes bytes that are not UTF-8 at all
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    return data


def _check(files: dict[str, bytes], *extra: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for name, data in files.items():
            path = Path(folder) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            paths.append(str(path))
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["check", "--no-cache", "--format", "json", *extra, *paths])
        assert code in (0, 1, 2), err.getvalue()
        assert "Traceback" not in err.getvalue()
        if code in (0, 1):
            report = json.loads(out.getvalue())
            assert report["files_scanned"] + report.get("files_skipped", 0) == len(files)


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(data=mutated("sql"), dialect=st.sampled_from(["postgres", "sqlite", "mysql"]))
def test_mutated_sql(data, dialect):
    _check({"0001_m.sql": data, "0002_ok.sql": b"CREATE INDEX ix ON t (a);\n"}, "--dialect", dialect)


@SETTINGS
@given(data=mutated("alembic"))
def test_mutated_alembic_revisions(data):
    _check({"versions/a1_m.py": data})


@SETTINGS
@given(first=mutated("django"), second=mutated("django"))
def test_mutated_django_migrations(first, second):
    _check({"shop/migrations/0001_a.py": first, "shop/migrations/0002_b.py": second})


@SETTINGS
@given(text=st.text(max_size=400))
def test_arbitrary_text_as_every_host(text):
    data = text.encode("utf-8", "surrogatepass")
    _check({"0001_any.sql": data, "0002_any.py": data, "migrations/0003_any.py": data})


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(["(", ")", "[", "{", "}", "]", " not ", " lambda: ", "+", "-", ".", ",", "\n", "x",
                                 "'s(", "# (", '"""((', "not_x", "1.5", " and "]), max_size=1500))
@example(["("] * 201)
@example(["x", "+"] * 1001)
@example([" not "] * 1001)
def test_the_depth_checks_shortcut_never_skips_an_input_the_scan_refuses(pieces):
    from lintmig.extract.pyreader import UnreadablePython, check_depth, surely_shallow

    text = "".join(pieces)
    try:
        check_depth(text)
    except UnreadablePython:
        assert not surely_shallow(text)


_TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30)


@settings(max_examples=300, deadline=None)
@given(code=_TEXT, path=_TEXT, message=_TEXT, table=st.none() | _TEXT, line=st.integers(1, 10**9),
       by=st.none() | _TEXT, reason=_TEXT, rows=st.none() | st.integers(0, 10**12),
       seconds=st.none() | st.floats(0, 1e9, allow_nan=False))
def test_the_json_reporter_writes_exactly_what_json_dumps_would(code, path, message, table, line, by, reason, rows,
                                                                seconds):
    import json

    from lintmig.model import Finding, Span, Suppression, TableSize
    from lintmig.report.json import finding_json

    finding = Finding(code=code, name=code + "-x", severity="error", path=path, span=Span(line, 2, line + 1, 3),
                      message=message, help=reason, table=table, anchor=line,
                      suppressed=None if by is None else Suppression(by, reason),
                      size=None if rows is None else TableSize(table or "t", rows, rows, "2026-11-20", seconds,
                                                               "index_build"))
    assert finding_json(finding) == json.dumps(finding.to_json())


_PY_LINES = ["x = 1", "x = 1  # trailing", "# a comment line", "", "s = '# not a comment'", 's = """doc\n# inside\n"""',
             "call(  # in brackets\n    a,  # after a\n    b,\n)", "if x:  # guard\n    y = 2\n    # end of block",
             "def upgrade():\n    op.execute('SELECT 1')  # lintmig: ignore LM101", "class C:\n    pass",
             "def downgrade():\n    # undo\n    pass", "@decorator  # deco\ndef f():\n    pass", "x = (1 +\n     2)  # sum",
             "\\\n    # after continuation", "s = f'{x}#'  # f", "t = r'\\d+'  # raw"]


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(st.sampled_from(_PY_LINES), max_size=12), newline_at_end=st.booleans(), data=st.data())
def test_comments_of_the_position_pass_and_the_rest_match_the_tokenizer(lines, newline_at_end, data):
    """The reader takes comments from its position pass over the first statements and
    tokenizes only the rest of the file; together they are every comment, on its line."""
    import libcst as cst

    from lintmig.extract.pypos import positions
    from lintmig.extract.pyreader import python_comments

    text = "\n".join(lines) + ("\n" if newline_at_end else "")
    try:
        module = cst.parse_module(text)
        compile(text, "<test>", "exec")
    except (cst.ParserSyntaxError, SyntaxError):
        return
    body = list(module.body)
    cut = data.draw(st.integers(0, len(body)))
    _, comments, rest = positions(module, body[:cut])
    found = [(c.line, c.text) for c in comments + python_comments(text, rest)]
    assert found == [(c.line, c.text) for c in python_comments(text)]


@settings(max_examples=500, deadline=None)
@given(prefix=st.sampled_from(["", "r", "u", "R", "U"]), quote=st.sampled_from(["'", '"', "'''", '"""']),
       body=st.text(alphabet=st.sampled_from(["a", " ", "#", "\\", "n", "'", '"', "\r", "\n", "\t", "é", "{", "0"]),
                    max_size=20))
def test_string_literals_read_without_literal_eval_have_its_value(prefix, quote, body):
    import ast
    import warnings

    import libcst as cst

    from lintmig.extract.pytext import literal_value

    source = f"{prefix}{quote}{body}{quote}"
    try:
        node = cst.parse_expression(source)
    except cst.ParserSyntaxError:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences: still a value
        try:
            expected = ast.literal_eval(source)
        except (SyntaxError, ValueError):
            return
        if isinstance(node, cst.SimpleString):
            assert literal_value(node) == expected


@settings(max_examples=500, deadline=None)
@given(prefix=st.sampled_from(["f", "F", "rf", "fR"]), quote=st.sampled_from(["'", '"', "'''", '"""']),
       parts=st.lists(st.lists(st.sampled_from(["a", " ", "\\", "n", "t", "x", "0", "'", '"', "\r", "\n", "é", "\U0001f600",
                                                "{{", "}}"]),
                               max_size=8).map("".join), min_size=1, max_size=3))
def test_f_string_text_is_what_python_reads(prefix, quote, parts):
    """The literal parts of an f-string, escapes and doubled braces decoded, as Python's own
    parser reads them (fields in between are left alone)."""
    import ast
    import warnings

    import libcst as cst

    from lintmig.extract.pytext import PLACEHOLDER, Evaluator

    source = prefix + quote + "{x}".join(parts) + quote
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences: still a value
        try:
            tree = ast.parse(source, mode="eval").body
            node = cst.parse_expression(source)
        except (SyntaxError, ValueError, cst.ParserSyntaxError):
            return
    if not isinstance(tree, ast.JoinedStr) or not isinstance(node, cst.FormattedString):
        return
    expected = "".join(v.value if isinstance(v, ast.Constant) else PLACEHOLDER for v in tree.values)
    text = Evaluator(lambda n: None).value(node, {})
    assert text.value == expected
