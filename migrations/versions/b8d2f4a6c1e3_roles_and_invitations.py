"""roles and invitations: owner/editor/viewer on admin users, deactivation, invitations

The admins that exist before roles are the ones who ran the site: they become owners.

Revision ID: b8d2f4a6c1e3
Revises: a9d3e7c1b5f4
Create Date: 2026-12-01 16:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = "b8d2f4a6c1e3"
down_revision = "a9d3e7c1b5f4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("admin_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=8), nullable=False,
                                      server_default="owner"))
        batch_op.add_column(sa.Column("deactivated_at", sa.DateTime(), nullable=True))
    # Only the rows that existed get the default: a new account names its role.
    with op.batch_alter_table("admin_users", schema=None) as batch_op:
        batch_op.alter_column("role", server_default=None)

    op.create_table(
        "admin_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["invited_by_id"], ["admin_users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("admin_invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_admin_invitations_email"), ["email"], unique=False)

    with op.batch_alter_table("outbound_mail", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invitation_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_outbound_mail_invitation_id", "admin_invitations",
                                    ["invitation_id"], ["id"], ondelete="CASCADE")


def downgrade():
    with op.batch_alter_table("outbound_mail", schema=None) as batch_op:
        batch_op.drop_constraint("fk_outbound_mail_invitation_id", type_="foreignkey")
        batch_op.drop_column("invitation_id")
    with op.batch_alter_table("admin_invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_admin_invitations_email"))
    op.drop_table("admin_invitations")
    with op.batch_alter_table("admin_users", schema=None) as batch_op:
        batch_op.drop_column("deactivated_at")
        batch_op.drop_column("role")
