"""list-id: the List-Id every notice carries, when the operator sets one

Revision ID: d2f4a6b8c1e3
Revises: 5c7e1a2b9d40
Create Date: 2026-12-01 13:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = "d2f4a6b8c1e3"
down_revision = "5c7e1a2b9d40"
branch_labels = None
depends_on = None


def upgrade():
    # add_column needs no table rebuild on SQLite, so nothing cascades.
    op.add_column("site_settings", sa.Column("list_id", sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table("site_settings") as batch_op:
        batch_op.drop_column("list_id")
