"""Table sizes on scale findings: how big the table is, and how long the lock lasts there.

After the checks and before the opt-outs, each finding of a scale rule on a table the
stats snapshot knows gets that table's rows and bytes, and, when the rule names a `cost`,
an estimate: rows (bytes, for a rewrite) divided by the throughput of that operation.
The defaults were measured with benchmarks/bench_throughput.py on PostgreSQL 15.18 on a
2-core machine (1M rows of bigint, int, 32-character text and timestamptz, 166 MB with
indexes; a foreign key to a 100K-row parent): 488K, 10.1M, 2.77M and 50K rows/s and
41 MB/s, rounded down here. A project sets its own under `throughput:`, measured the same
way on its staging server.
"""
from __future__ import annotations

from typing import Optional

from .model import Finding, Span, TableSize

# rows per second, except table_rewrite: bytes per second
THROUGHPUT: dict[str, float] = {
    "index_build": 450_000.0,  # CREATE INDEX on one text column
    "table_rewrite": 40e6,  # ALTER COLUMN TYPE rewriting the table and its indexes
    "table_scan": 9_000_000.0,  # SET NOT NULL checking every row
    "constraint_validation": 2_500_000.0,  # a FOREIGN KEY checked row by row
    "row_write": 50_000.0,  # UPDATE of every row in one statement
}
_WHAT = {"index_build": "building the index", "table_rewrite": "rewriting the table",
         "table_scan": "scanning the table", "constraint_validation": "validating the constraint",
         "row_write": "writing every row"}


def throughput(config, cost: str) -> float:
    return float((config.throughput or {}).get(cost) or THROUGHPUT[cost])


def estimate(cost: Optional[str], rows: Optional[int], size: Optional[int], config) -> Optional[float]:
    """Seconds the operation's lock (or rewrite) lasts on a table of this size, or None."""
    if cost is None:
        return None
    amount = size if cost == "table_rewrite" else rows
    return None if amount is None else amount / throughput(config, cost)


def attach(findings: list[Finding], snapshot, config, rules) -> None:
    """Give each scale finding on a table the snapshot knows that table's size."""
    for f in findings:
        rule = rules.get(f.code)
        if rule is None or rule.klass != "scale" or f.size is not None:
            continue
        known = snapshot.size_of(f.table)
        if known is None:
            continue
        f.size = TableSize(f.table, known.rows, known.bytes, snapshot.captured_on(),
                           estimate(rule.cost, known.rows, known.bytes, config), rule.cost)


def count(n: Optional[int]) -> str:
    """12400000 -> 12.4M; 80000 -> 80K."""
    if n is None:
        return "unknown"
    for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g}{unit}"
    return str(n)


def data_size(n: Optional[int]) -> str:
    if n is None:
        return "size unknown"
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"


def duration(seconds: float) -> str:
    if seconds < 1:
        return "under a second"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def effort(size: TableSize) -> Optional[str]:
    """`about 31 s building the index`, or None without an estimate."""
    if size.seconds is None or size.cost is None:
        return None
    took = duration(size.seconds)
    return f"{took if size.seconds < 1 else 'about ' + took} {_WHAT[size.cost]}"


def describe(size: TableSize) -> str:
    """`orders: 12.4M rows, 3.1 GB; about 31 s building the index`."""
    text = f"{size.table}: {count(size.rows)} rows, {data_size(size.bytes)}"
    return text + (f"; {effort(size)}" if effort(size) else "")


def stale(snapshot, config, rules) -> Optional[Finding]:
    """LM009 when the snapshot is older than stats_max_age."""
    from .config import parse_duration

    limit = parse_duration(config.stats_max_age)[0] / 86400
    age = snapshot.age_days()
    if age <= limit or not config.enabled("LM009"):
        return None
    import os

    rule = rules["LM009"]
    return Finding(code=rule.code, name=rule.name, severity=config.rules.get(rule.code, rule.severity),
                   path=os.path.relpath(snapshot.source), span=Span(1, 1, 1, 1), help=rule.use_instead,
                   message=(f"the stats snapshot was captured {snapshot.captured_on()}, {age:.0f} days ago "
                            f"(stats_max_age {config.stats_max_age}): sizes, notes and scale-claim checks still use it"),
                   anchor=1)
