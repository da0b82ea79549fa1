"""subscriber search: the trigram index keeps a small pending list (PostgreSQL)

Every search reads GIN's whole pending list of not-yet-merged entries; at its default
4 MB that was 363 pages per search at 1M subscribers (the term itself needed 22).

Revision ID: e3f9a5b7c2d4
Revises: e4b7c1d9a2f6
Create Date: 2026-12-01 13:55:00

"""
from alembic import op


revision = "e3f9a5b7c2d4"
down_revision = "e4b7c1d9a2f6"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER INDEX ix_subscribers_email_trgm SET (gin_pending_list_limit = 64)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER INDEX ix_subscribers_email_trgm RESET (gin_pending_list_limit)")
