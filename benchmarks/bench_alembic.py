"""Benchmark lintmig on Alembic revisions, next to alembic-guard when it is installed.

Generates 2,000 deterministic Alembic revisions (3-20 `op` calls each) under
benchmarks/corpus/alembic/, then prints lintmig cold (--no-cache) and warm, and
`alembic-guard` (PyPI, an ast-based Alembic linter) on the same files.

    python benchmarks/bench_alembic.py [--runs 3] [--files 2000]
"""
from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_sql import CORPUS, median_run, paired_runs  # noqa: E402

TABLES = ["orders", "users", "events", "spans", "traces"]
COLUMNS = ["created_at", "status", "ref", "user_id", "total", "note"]


def call(rng: random.Random, n: int) -> str:
    t, c = rng.choice(TABLES), rng.choice(COLUMNS)
    return rng.choice([
        f'op.create_index("ix_{t}_{c}_{n}", "{t}", ["{c}"])',
        f'op.create_index(index_name="ix_{t}_{n}", table_name="{t}", columns=["{c}", "id"], postgresql_concurrently=True)',
        f'op.add_column("{t}", sa.Column("{c}_{n}", sa.Text(), nullable=True))',
        f'op.add_column("{t}", sa.Column("{c}_{n}", sa.Integer(), nullable=False, server_default="0"))',
        f'op.alter_column("{t}", "{c}", type_=sa.String(200), existing_type=sa.String(100))',
        f'op.alter_column("{t}", "{c}", nullable=False)',
        f'op.create_foreign_key("fk_{t}_{n}", "{t}", "users", ["user_id"], ["id"])',
        f'op.drop_index("ix_{t}_{n}", table_name="{t}")',
        f'op.execute("UPDATE {t} SET {c} = NULL WHERE {c} IS NULL")',
        f'op.execute(sa.text("UPDATE {t} SET {c} = 1 WHERE id = :id"))',
        f'op.drop_column("{t}", "{c}_{n}")',
    ])


def generate(files: int) -> Path:
    folder = CORPUS / "alembic" / "versions"
    marker = CORPUS / "alembic" / f".done-{files}"
    if not marker.exists():
        shutil.rmtree(folder.parent, ignore_errors=True)
        folder.mkdir(parents=True)
        rng = random.Random(7)
        for i in range(files):
            calls = "\n    ".join(call(rng, i * 100 + k) for k in range(rng.randint(3, 20)))
            down = f'"r{i - 1:05d}"' if i else "None"
            (folder / f"r{i:05d}_change.py").write_text(
                f'"""change {i}\n\nRevision ID: r{i:05d}\n"""\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
                f'revision = "r{i:05d}"\ndown_revision = {down}\n\n\ndef upgrade():\n    {calls}\n\n\n'
                f'def downgrade():\n    pass\n')
        marker.touch()
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--files", type=int, default=2000)
    args = ap.parse_args()
    folder = generate(args.files)
    lintmig = [*peers.lintmig(), "check"]  # as `pip install .` installs it
    guard = peers.ensure("alembic-guard")  # installed from the package index when missing
    subprocess.run(lintmig + ["--no-cache", str(folder)], env=peers.environment(), capture_output=True)  # bytecode
    work = Path(tempfile.mkdtemp(prefix="lintmig-bench-"))
    cold, theirs = paired_runs(lintmig + ["--no-cache", str(folder)], [*guard, str(folder)] if guard else None,
                               work, args.runs)
    subprocess.run(lintmig + [str(folder)], cwd=work, stdout=subprocess.DEVNULL, env=peers.environment())
    warm = median_run(lintmig + [str(folder)], work, args.runs)
    shutil.rmtree(work, ignore_errors=True)
    print(f"corpus: {args.files} Alembic revisions; python {sys.version.split()[0]}")
    print(f"{'case':<16} {'lintmig':>10} {'peak':>10}   {'alembic-guard':>13}   ratio")
    for name, ours in (("cold", cold), ("warm", warm)):
        other = f"{theirs[0]:11.3f} s" if theirs else "(not installed)"
        ratio = f"{ours[0] / theirs[0]:.2f}x" if theirs else "-"
        print(f"{name:<16} {ours[0]:8.3f} s {ours[1]:7.0f} MiB   {other}   {ratio}")


if __name__ == "__main__":
    main()
