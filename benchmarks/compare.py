"""Time commands in turns, so that a machine slowing down or speeding up during the
comparison weighs on each alike, and print the minimum and median wall time of each.

    python benchmarks/compare.py 11 -- before env PYTHONPATH=/tmp/old python -m lintmig check --no-cache files \\
                                    -- after python -m lintmig check --no-cache files -- squawk squawk files/*.sql

Each command after a `--` starts with its label; the last one is the reference for the
ratios. Commands run through the shell, in the current folder, their output discarded.
(Compare source trees that both have their bytecode compiled: where PYTHONDONTWRITEBYTECODE
is set, a tree without it recompiles every module on every run.)
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time


def main(argv: list[str]) -> None:
    if len(argv) < 3 or not argv[0].isdigit() or argv[1] != "--":
        sys.exit(__doc__)
    rounds, commands = int(argv[0]), []
    for part in " ".join(argv[2:]).split(" -- "):
        label, _, command = part.strip().partition(" ")
        commands.append((label, command))
    times: dict[str, list[float]] = {label: [] for label, _ in commands}
    for _ in range(rounds):
        for label, command in commands:
            start = time.perf_counter()
            subprocess.run(command, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[label].append(time.perf_counter() - start)
    reference = times[commands[-1][0]]
    for label, _ in commands:
        runs = times[label]
        print(f"{label:12s} min {min(runs):7.3f} s  median {statistics.median(runs):7.3f} s  "
              f"median/{commands[-1][0]} {statistics.median(runs) / statistics.median(reference):5.2f}x")


if __name__ == "__main__":
    main(sys.argv[1:])
