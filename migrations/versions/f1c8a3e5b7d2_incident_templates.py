"""incident templates: reusable title, message, impact and components

Revision ID: f1c8a3e5b7d2
Revises: e5b7c9d1f3a2
Create Date: 2026-12-01 14:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = "f1c8a3e5b7d2"
down_revision = "e5b7c9d1f3a2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "incident_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("impact", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "incident_template_components",
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("new_status", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["component_id"], ["components.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["template_id"], ["incident_templates.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("template_id", "component_id"),
    )


def downgrade():
    op.drop_table("incident_template_components")
    op.drop_table("incident_templates")
