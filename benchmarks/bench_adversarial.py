"""Time lintmig on adversarial input of every kind a pull request controls.

    python benchmarks/bench_adversarial.py [--size BYTES]

Each case is written to a temporary file and linted in this process (parsers imported
once, before timing), cold (no cache), at a tenth of the size and at the size (default
1 MB). Targets: every case that only scans text (PR bodies, comments, templates, strings,
SQL splitting) within a second at 1 MB; cases marked `parse` build full syntax trees
(libcst for every Python case, sqlglot, tree-sitter) and are judged on growth alone: ten
times the input costs at most 15 times as long (n log n from position look-ups and sorts
leaves headroom over 10; a quadratic step would show as 100).
Prints one row per case and exits 1 if any target is missed.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lintmig.config import Config  # noqa: E402
from lintmig.engine import lint_paths  # noqa: E402
from lintmig.pullrequest import PullRequest  # noqa: E402

LIMIT_SECONDS = 1.0


PARSE_SQL = {"SQL: many small statements", "SQL: DO with paired tags", "SQL: create definer= no spaces"}
MAX_GROWTH = 15


def cases(size: int) -> list[tuple[str, str, str, str]]:
    """(name, file name, file text, PR body)."""
    def fill(unit: str) -> str:
        return unit * max(1, size // len(unit))

    index = "CREATE INDEX ix ON t (a);\n"
    py_head = "from alembic import op\nrevision = 'a'\ndown_revision = None\n\n\ndef upgrade():\n"
    out = [
        ("PR body: unclosed <!--", "0001.sql", index, fill("<!--")),
        ("PR body: --> runs", "0001.sql", index, "x<!--" + fill("-->")),
        ("PR body: scale lines", "0001.sql", index, fill("PREFLIGHT-MIGRATION-SCALE: <30s N=80K table=t\n")),
        ("PR body: N= digits", "0001.sql", index, "PREFLIGHT-MIGRATION-SCALE: <30s N=" + fill("1,") + "x"),
        ("PR body: fences and quotes", "0001.sql", index, fill("```\n> PREFLIGHT-MIGRATION-SCALE: <1s N=1\n")),
        ("PREFLIGHT: one long word", "0001.sql", "-- PREFLIGHT: " + fill("a") + "\n" + index, ""),
        ("PREFLIGHT: key= pairs", "0001.sql", "-- PREFLIGHT: " + fill("a= ") + "\n" + index, ""),
        ("PREFLIGHT: unclosed quotes", "0001.sql", "-- PREFLIGHT: " + fill('reason="') + "\n" + index, ""),
        ("PREFLIGHT: many lines", "0001.sql", fill("-- PREFLIGHT: async=true reason=\"x y z\"\n") + index, ""),
        ("unsafe-ack: long", "0001.sql", "-- migration-unsafe-ack: " + fill("word ") + "\n" + index, ""),
        ("SQL: unclosed {{", "0001.sql", "SELECT '" + fill("{{") + "';\n" + index, ""),
        ("SQL: {{ }} pairs then {%", "0001.sql", fill("{{a}}") + "{%\n;" + index, ""),
        ("SQL: DO with many $tags$", "0001.sql",
         "DO $$ BEGIN PERFORM " + "".join(f"$a{i}$ x " for i in range(size // 10)) + "; END $$;\n" + index, ""),
        ("SQL: DO with paired tags", "0001.sql",
         "DO $$ BEGIN " + "".join(f"PERFORM $a{i}$ x $a{i}$; " for i in range(size // 25)) + "END $$;\n" + index, ""),
        ("SQL: nested /* comments", "0001.sql", fill("/* ")[:size // 2] + fill("*/ ")[:size // 2] + "\n" + index, ""),
        ("SQL: many comments", "0001.sql", fill("-- PREFLIGHT\n/* x */\n") + index, ""),
        ("SQL: create definer= no spaces", "0001.sql", fill("create definer=a;"), ""),
        ("SQL: empty statements", "0001.sql", fill(";"), ""),
        ("SQL: quotes", "0001.sql", fill("''") + "\n" + index, ""),
        ("SQL: many small statements", "0001.sql", fill(index), ""),
        ("SQL: deep parentheses", "0001.sql", "SELECT " + fill("(") + ";\n" + index, ""),
        ("SQL: BEGIN in a function body", "0001.sql",
         "CREATE FUNCTION f() RETURNS void AS $$ " + fill("BEGIN ") + " $$ LANGUAGE plpgsql;\n" + index, ""),
        ("Python: %s fields", "0001_a.py", py_head + "    op.execute('" + fill("%s ") + "' % (x,))\n", ""),
        ("Python: .format fields", "0001_a.py", py_head + "    op.execute('" + fill("{} ") + "'.format(x))\n", ""),
        ("Python: unclosed {name", "0001_a.py", py_head + "    op.execute('{" + fill("a") + "'.format(x))\n", ""),
        ("Python: f-string fields", "0001_a.py", py_head + "    op.execute(f'" + fill("{x} ") + "')\n", ""),
        ("Python: adjacent literals", "0001_a.py", py_head + "    op.execute(" + fill("'UPDATE t ' ") + ")\n", ""),
        ("Python: many op calls", "0001_a.py", py_head + fill("    op.create_index('ix', 't', ['a'])\n"), ""),
        ("Python: deep brackets", "0001_a.py", py_head + "    x = " + fill("[") + "\n", ""),
        ("Python: comment lines", "0001_a.py", py_head + fill("    # PREFLIGHT: async=true\n") + "    pass\n", ""),
        ("Django: many fields", "0001_d.py",
         "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    operations = [\n"
         + fill("        migrations.AddField('o', 'f', models.IntegerField(null=True)),\n") + "    ]\n", ""),
        ("Go: %s fields", "db.go", 'package m\nfunc f() { db.Exec(fmt.Sprintf("UPDATE t SET ' + fill("a=%s,")
         + '", x)) }\n', ""),
    ]
    return out


def _time(name: str, filename: str, text: str, body: str, folder: str, runs: int = 1) -> float:
    """Best of `runs`, each after a full garbage collection (the machine is shared)."""
    import gc

    path = Path(folder) / filename
    path.write_text(text)
    config = Config(cache=False, embedded=["**/*.go"], max_file_size=64 * 1000**2)
    pr = PullRequest(body, labels=[]) if body else None
    best = float("inf")
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        lint_paths([str(path)], config, pr)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    args = parser.parse_args()
    import libcst  # noqa: F401  (imports are not what is measured)
    import sqlglot  # noqa: F401

    missed = 0
    print(f"{'case':<34} {'bytes':>10} {'1/10 size':>9} {'seconds':>8} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as folder:
        small = {c[0]: c for c in cases(args.size // 10)}
        for name, filename, text, body in cases(args.size):
            tenth = _time(*small[name], folder, runs=3)
            full = _time(name, filename, text, body, folder, runs=2)
            ratio = full / max(tenth, 0.005)  # below 5 ms, fixed costs dominate
            parse = name in PARSE_SQL or filename.endswith((".py", ".go"))
            over = ratio > MAX_GROWTH if parse else full > LIMIT_SECONDS
            missed += over
            kind = "parse" if parse else ""
            print(f"{name:<34} {len(text) + len(body):>10,} {tenth:>9.3f} {full:>8.3f} {ratio:>6.1f}"
                  f" {kind}{'  OVER' if over else ''}", flush=True)
    print(f"{missed} case(s) over target")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
