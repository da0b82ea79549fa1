"""mail-environment: remember which environment delivery settings were last in force

Revision ID: e7a1c5d9b3f2
Revises: d2e8f4a6b1c3
Create Date: 2026-12-01 13:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = "e7a1c5d9b3f2"
down_revision = "d2e8f4a6b1c3"
branch_labels = None
depends_on = None


def upgrade():
    # add_column needs no table rebuild on SQLite, so nothing cascades.
    op.add_column("site_settings",
                  sa.Column("mail_environment_digest", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("site_settings") as batch_op:
        batch_op.drop_column("mail_environment_digest")
