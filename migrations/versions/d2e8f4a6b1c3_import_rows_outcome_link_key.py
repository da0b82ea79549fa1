"""import staging rows: the merge's outcome and the new subscriber's link key

The import merges its staging rows in SQL, a range of lines per statement: each row
records what the merge decided for it, and carries the link key made (in Python, with
``secrets``) when its line was read, so that an INSERT … SELECT can add the subscriber.

Revision ID: d2e8f4a6b1c3
Revises: d2f4a6b8c1e3
Create Date: 2026-12-01 13:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = "d2e8f4a6b1c3"
down_revision = "d2f4a6b8c1e3"
branch_labels = None
depends_on = None


def upgrade():
    # Staging rows live only while their import runs: none need keeping here.
    op.add_column("subscriber_import_rows", sa.Column("link_key", sa.String(32), nullable=True))
    op.add_column("subscriber_import_rows", sa.Column("outcome", sa.String(8), nullable=True))


def downgrade():
    with op.batch_alter_table("subscriber_import_rows") as batch_op:
        batch_op.drop_column("outcome")
        batch_op.drop_column("link_key")
