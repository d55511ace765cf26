"""`lintmig.alembic`: the Alembic helpers apps import (the env.py `configure`, and
`backfill` / `forget_backfill` / `create_index_concurrently` for revisions). They live with
the runner whose code they share, in `lintmig.runner.alembic`; this name stays the one to import."""
from .runner.alembic import backfill, configure, create_index_concurrently, forget_backfill

__all__ = ["backfill", "configure", "create_index_concurrently", "forget_backfill"]
