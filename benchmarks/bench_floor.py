"""How fast lintmig's parsers alone can read the benchmark corpora, next to the peer tools.

lintmig reads SQL with sqlglot and Python with libcst. This prints, for the 2,000 SQL files
of bench_sql.py and the 2,000 Alembic revisions of bench_alembic.py, the wall time of a
process that only imports the parser, forks one worker per core and parses every file
(nothing else: no reading of operations, no checks, no report), next to the whole of
lintmig (cold) and the peer tool (squawk, alembic-guard) on the same files. The first
column over the peer's is the least ratio a cold run could reach with these parsers.

    python benchmarks/bench_floor.py [--runs 3]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers  # noqa: E402
from bench_alembic import generate as alembic_corpus  # noqa: E402
from bench_sql import CORPUS, median_run  # noqa: E402
from bench_sql import generate as sql_corpus  # noqa: E402

# Run by the benchmark's python: parse every file on every core, keep nothing.
PARSE_ONLY = r"""
import gc, os, sys
from multiprocessing import get_context
kind, listing = sys.argv[1], sys.argv[2]
if kind == "sql":
    import sqlglot
    def parse(path):
        with open(path, encoding="utf-8") as f:
            return len(sqlglot.parse(f.read(), dialect="postgres"))
else:
    import libcst
    def parse(path):
        with open(path, encoding="utf-8") as f:
            return len(libcst.parse_module(f.read()).body)
gc.freeze()
files = open(listing).read().split("\n")
with get_context("fork").Pool(os.cpu_count()) as pool:
    total = sum(pool.map(parse, files, chunksize=max(1, len(files) // 32)))
print(total)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    lintmig = [*peers.lintmig(), "check", "--no-cache", "--dialect", "postgres"]
    python = str(peers.VENV / "bin" / "python")
    sql_files, _ = sql_corpus(2000, 20)
    revisions = sorted(alembic_corpus(2000).glob("*.py"))
    squawk, guard = peers.ensure("squawk"), peers.ensure("alembic-guard")
    work = Path(tempfile.mkdtemp(prefix="lintmig-floor-"))
    rows = []
    for kind, files, peer, name in (("sql", sql_files, squawk, "squawk"), ("alembic", revisions, guard, "alembic-guard")):
        listing = work / f"{kind}.txt"
        listing.write_text("\n".join(str(f) for f in files))
        parse_only = median_run([python, "-c", PARSE_ONLY, kind, str(listing)], work, args.runs)
        whole = median_run([*lintmig, *map(str, files)] if kind == "sql" else [*lintmig, str(files[0].parent)],
                           work, args.runs)
        theirs = median_run([*peer, *map(str, files)] if kind == "sql" else [*peer, str(files[0].parent)],
                            work, args.runs) if peer else None
        rows.append((kind, parse_only, whole, theirs, name))
    subprocess.run(["rm", "-rf", str(work)])
    print(f"{'corpus (2,000 files)':<22} {'parse only':>11} {'lintmig':>9} {'peer':>9}   parse only/peer   lintmig/peer")
    for kind, parse_only, whole, theirs, name in rows:
        floor = f"{parse_only[0] / theirs[0]:.2f}x" if theirs else "-"
        ratio = f"{whole[0] / theirs[0]:.2f}x" if theirs else "-"
        peer_time = f"{theirs[0]:.3f}s" if theirs else "missing"
        print(f"{kind:<22} {parse_only[0]:>10.3f}s {whole[0]:>8.3f}s {peer_time:>9}   {floor:>15}   {ratio:>12}"
              f"   ({name})")
    print(f"corpus: {CORPUS}; python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
