"""Unsafe on purpose: an Alembic revision that builds an index and backfills in the migration
transaction.

Revision ID: 3c1
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = "3c1"
down_revision = None


def upgrade():
    op.add_column("orders", sa.Column("region", sa.Text(), nullable=True))
    op.execute("UPDATE orders SET region = 'eu' WHERE region IS NULL")
    op.create_index("ix_orders_region", "orders", ["region"])


def downgrade():
    op.drop_index("ix_orders_region", table_name="orders")
    op.drop_column("orders", "region")
