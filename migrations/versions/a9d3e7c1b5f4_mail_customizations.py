"""mail-customizations: per-kind subject/intro/footer, mail branding, page language

Revision ID: a9d3e7c1b5f4
Revises: 2b8f6d4a1e70
Create Date: 2026-12-01 16:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = "a9d3e7c1b5f4"
down_revision = "2b8f6d4a1e70"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mail_customizations",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("intro", sa.Text(), nullable=True),
        sa.Column("footer", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kind"),
    )
    with op.batch_alter_table("site_settings") as batch:
        batch.add_column(sa.Column("mail_logo_url", sa.String(length=2048), nullable=True))
        batch.add_column(sa.Column("mail_accent_color", sa.String(length=7), nullable=True))
        batch.add_column(sa.Column("language", sa.String(length=16), nullable=False,
                                   server_default="en"))


def downgrade():
    with op.batch_alter_table("site_settings") as batch:
        batch.drop_column("language")
        batch.drop_column("mail_accent_color")
        batch.drop_column("mail_logo_url")
    op.drop_table("mail_customizations")
