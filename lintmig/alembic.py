"""`lintmig.alembic`: the Alembic helpers apps import (the env.py `configure`, and
`backfill` / `create_index_concurrently` for revisions). They live with the runner whose
code they share, in `lintmig.runner.alembic`; this name stays the one to import."""
from .runner.alembic import backfill, configure, create_index_concurrently

__all__ = ["backfill", "configure", "create_index_concurrently"]
