"""Benchmark lintmig on SQL migrations, next to squawk when it is installed.

Generates a deterministic synthetic corpus under benchmarks/corpus/ (2,000 SQL files of
5-50 mixed statements, and one 20 MB file), then prints wall times (median of a few runs)
and peak memory for:
  - one small file (the whole process),
  - 2,000 files cold (--no-cache) and warm (cache filled),
  - the 20 MB file,
and the same for `squawk` (PyPI `squawk-cli`) on the same files. Both run from
benchmarks/.venv (see peers.py): lintmig as `pip install .` installs it.

    python benchmarks/bench_sql.py [--runs 3] [--files 2000] [--big-mb 20]
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers  # noqa: E402

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"

TABLES = ["orders", "users", "events", "spans", "traces", "invoices", "payments", "sessions"]
COLUMNS = ["created_at", "status", "ref", "user_id", "total", "note", "region", "kind"]


def statement(rng: random.Random, n: int) -> str:
    t, c = rng.choice(TABLES), rng.choice(COLUMNS)
    choices = [
        f"CREATE INDEX ix_{t}_{c}_{n} ON {t} ({c});",
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_{t}_{c}_{n} ON {t} ({c}, id);",
        f"ALTER TABLE {t} ADD COLUMN {c}_{n} text;",
        f"ALTER TABLE {t} ADD COLUMN {c}_{n} bigint NOT NULL DEFAULT 0;",
        f"ALTER TABLE {t} ADD CONSTRAINT {t}_{c}_{n}_fk FOREIGN KEY ({c}) REFERENCES users (id) NOT VALID;",
        f"ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL;",
        f"UPDATE {t} SET {c} = 'x' WHERE id BETWEEN {n} AND {n + 1000};",
        f"UPDATE {t} SET {c} = NULL WHERE {c} IS NULL;",
        f"DELETE FROM {t} WHERE id = {n};",
        f"INSERT INTO {t} (id, {c}) VALUES ({n}, 'value {n}'), ({n + 1}, 'value {n + 1}');",
        f"CREATE TABLE {t}_{n} (id bigint PRIMARY KEY, {c} text, created_at timestamptz DEFAULT now());",
        f"DROP INDEX IF EXISTS ix_{t}_{n};",
        "SET lock_timeout = '3s';",
        f"COMMENT ON COLUMN {t}.{c} IS 'generated; column {n}';",
        f"ALTER TABLE {t} ALTER COLUMN {c} TYPE varchar(200);",
    ]
    return rng.choice(choices)


def generate(files: int, big_mb: int) -> tuple[list[Path], Path]:
    marker = CORPUS / f".done-{files}-{big_mb}"
    small_dir, big = CORPUS / "files", CORPUS / "big.sql"
    if not marker.exists():
        shutil.rmtree(CORPUS, ignore_errors=True)
        small_dir.mkdir(parents=True)
        rng = random.Random(42)
        for i in range(files):
            body = "\n".join(statement(rng, i * 100 + k) for k in range(rng.randint(5, 50)))
            (small_dir / f"{i:05d}_migration.sql").write_text(f"-- migration {i}\n{body}\n")
        with open(big, "w") as fh:
            k = 0
            while fh.tell() < big_mb * 1024 * 1024:
                fh.write(statement(rng, k) + "\n")
                k += 1
        marker.touch()
    return sorted(small_dir.glob("*.sql")), big


def timed(cmd: list[str], cwd: Path, limit: float) -> tuple[float, float, bool]:
    """(wall seconds, peak RSS MiB, stopped at the limit) of one run."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=peers.environment())
    timer = threading.Timer(limit, proc.kill)
    timer.start()
    _, status, usage = os.wait4(proc.pid, 0)
    timer.cancel()
    stopped = os.WIFSIGNALED(status)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, stopped


def median_run(cmd: list[str], cwd: Path, runs: int, limit: float = 600) -> tuple[float, float, bool]:
    return _summary([timed(cmd, cwd, limit) for _ in range(runs)])


def paired_runs(ours: list[str], theirs: list[str] | None, cwd: Path, runs: int) -> tuple[tuple, tuple | None]:
    """Median runs of two commands taken in turns, so that a machine slowing down or
    speeding up during the benchmark (shared virtual machines do) weighs on both alike."""
    if theirs is None:
        return median_run(ours, cwd, runs), None
    pairs = [(timed(ours, cwd, 600), timed(theirs, cwd, 600)) for _ in range(runs)]
    return tuple(_summary([a for a, _ in pairs])), tuple(_summary([b for _, b in pairs]))


def _summary(results: list[tuple[float, float, bool]]) -> tuple[float, float, bool]:
    return statistics.median(r[0] for r in results), max(r[1] for r in results), any(r[2] for r in results)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--big-mb", type=int, default=20)
    ap.add_argument("--squawk-limit", type=float, default=300, help="stop squawk on the big file after this many seconds")
    args = ap.parse_args()
    files, big = generate(args.files, args.big_mb)
    lintmig = [*peers.lintmig(), "check", "--dialect", "postgres"]  # as `pip install .` installs it
    squawk = peers.ensure("squawk")  # installed from the package index when missing
    subprocess.run(lintmig + ["--no-cache", str(files[0])], env=peers.environment(), capture_output=True)  # bytecode
    work = Path(tempfile.mkdtemp(prefix="lintmig-bench-"))
    small = files[0]
    rows = []

    def row(name: str, ours: tuple, theirs: tuple | None) -> None:
        ratio = f"{ours[0] / theirs[0]:.2f}x" if theirs else "-"
        if theirs and theirs[2]:
            other, ratio = f">{theirs[0]:7.0f} s (stopped)  ", f"<{ours[0] / theirs[0]:.2f}x"
        elif theirs:
            other = f"{theirs[0]:8.3f} s {theirs[1]:7.0f} MiB"
        else:
            other = "       (squawk not installed)"
        rows.append(f"{name:<22} {ours[0]:8.3f} s {ours[1]:7.0f} MiB   {other}   {ratio}")

    rel = [str(p.relative_to(CORPUS)) for p in files]
    single = median_run(lintmig + ["--no-cache", str(small)], CORPUS, max(args.runs, 5))
    squawk_single = median_run([*squawk, str(small)], CORPUS, max(args.runs, 5)) if squawk else None
    row("1 small file, cold", single, squawk_single)
    subprocess.run(lintmig + [str(small)], cwd=work, capture_output=True, env=peers.environment())  # fills the cache
    row("1 small file, warm", median_run(lintmig + [str(small)], work, max(args.runs, 5)), squawk_single)
    tenth = rel[:max(1, len(rel) // 10)]
    cold_tenth, squawk_tenth = paired_runs(lintmig + ["--no-cache", *tenth], [*squawk, *tenth] if squawk else None,
                                           CORPUS, args.runs)
    row(f"{len(tenth)} files, cold", cold_tenth, squawk_tenth)
    cold, squawk_files = paired_runs(lintmig + ["--no-cache", "files"], [*squawk, *rel] if squawk else None,
                                     CORPUS, args.runs)
    row(f"{len(files)} files, cold", cold, squawk_files)
    cache = ["--format", "json"]
    env_cwd = work
    subprocess.run(lintmig + cache + [str(CORPUS / "files")], cwd=env_cwd, stdout=subprocess.DEVNULL,
                   env=peers.environment())  # fills the cache
    warm = median_run(lintmig + cache + [str(CORPUS / "files")], env_cwd, args.runs)
    row(f"{len(files)} files, warm", warm, squawk_files)
    big_ours = median_run(lintmig + ["--no-cache", "big.sql"], CORPUS, 1)
    big_theirs = median_run([*squawk, "big.sql"], CORPUS, 1, limit=args.squawk_limit) if squawk else None
    row(f"{args.big_mb} MB file", big_ours, big_theirs)
    shutil.rmtree(work, ignore_errors=True)

    statements = sum(p.read_text().count(";") for p in files)
    print(f"corpus: {len(files)} files, {statements} statements; big file {big.stat().st_size / 1e6:.1f} MB; "
          f"{os.cpu_count()} cores; python {sys.version.split()[0]}")
    print(f"{'case':<22} {'lintmig':>10} {'peak':>11}   {'squawk':>10} {'peak':>11}   lintmig/squawk")
    print("\n".join(rows))
    print(f"linearity: {len(files)} files cost {cold[0] / cold_tenth[0]:.1f}x the time of {len(tenth)} (cold)")


if __name__ == "__main__":
    main()
