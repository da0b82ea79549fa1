"""deliveries.in_flight: a delivery sent in a request for many, its answer not yet recorded

A plain ADD COLUMN on both databases (no table rebuild on SQLite, which would drop the
deliveries' count triggers; PostgreSQL adds a column with a constant default at once).

Revision ID: 9e3b7d15c0a4
Revises: a7d3e9c1b5f8
Create Date: 2026-12-01 16:10:00

"""
import sqlalchemy as sa
from alembic import op


revision = "9e3b7d15c0a4"
down_revision = "a7d3e9c1b5f8"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("deliveries", sa.Column("in_flight", sa.Boolean(), nullable=False,
                                          server_default=sa.false()))


def downgrade():
    op.drop_column("deliveries", "in_flight")  # SQLite 3.35+ drops a column in place
