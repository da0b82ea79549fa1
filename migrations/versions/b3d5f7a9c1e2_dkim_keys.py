"""dkim-keys: DKIM signing keys, the private half encrypted

Revision ID: b3d5f7a9c1e2
Revises: 9e3b7d15c0a4
Create Date: 2026-12-01 16:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = "b3d5f7a9c1e2"
down_revision = "9e3b7d15c0a4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "dkim_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("selector", sa.String(length=63), nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("key_bits", sa.Integer(), nullable=False),
        sa.Column("private_key_encrypted", sa.Text(), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("enabled_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("domain", "selector", name="uq_dkim_keys_domain_selector"),
        sqlite_autoincrement=True,
    )


def downgrade():
    op.drop_table("dkim_keys")
