"""The safe way to add and fill a column, with lintmig's runner:

    lintmig run --db sqlite:///app.db examples/runner/
"""


def schema(m):
    m.execute("CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, country TEXT)")
    m.execute("ALTER TABLE orders ADD COLUMN region TEXT")


def data(m):
    # Batched, resumable, outside the schema transaction: suppressed by safe-runner.
    m.backfill("orders", set="region = upper(country)", where="region IS NULL")
    # Concurrent on PostgreSQL, rebuilt when a failed attempt left it INVALID.
    m.create_index("orders_region_idx", "orders", ["region"])
