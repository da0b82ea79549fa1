"""components.name_key: names compared in NFKC case-folded form (inputs)

SQLite's lower() folds only ASCII, so "ÄPI" and "äpi" both passed the duplicate check.
The key is computed in Python (no database has NFKC_Casefold), so existing rows are
filled here; a name that clashes with an earlier one gets its id appended, since two
components with the same name could not be told apart on the status page either.

Revision ID: c4a9e1f3b2d7
Revises: 5c1e8d2a9b47
Create Date: 2026-12-01 10:10:00
"""
import unicodedata
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "c4a9e1f3b2d7"
down_revision = "5c1e8d2a9b47"
branch_labels = None
depends_on = None


def _on_sqlite():
    return op.get_bind().dialect.name == "sqlite"


@contextmanager
def _sqlite_foreign_keys_off():
    """SQLite rebuilds a table to change it (copy, DROP, rename); with foreign keys on,
    the DROP deletes every row that cascades from the table. The PRAGMA is ignored
    inside a transaction: commit first, switch it outside one (as the links migration)."""
    if not _on_sqlite():
        yield
        return
    context = op.get_context()
    with context.autocommit_block():
        op.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
        dangling = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").all()
        if dangling:
            raise RuntimeError(f"foreign keys broken by a table rebuild: {dangling[:5]}")
    finally:
        with context.autocommit_block():
            op.execute("PRAGMA foreign_keys=ON")


NAME_MAX = 120


def _name_key(name):
    # A copy of models.status.name_key as it is today: a migration must not change
    # when the model's code does.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def upgrade():
    with _sqlite_foreign_keys_off():
        with op.batch_alter_table("components") as batch_op:
            batch_op.add_column(sa.Column("name_key", sa.String(length=480), nullable=True))

        components = sa.table("components", sa.column("id", sa.Integer),
                              sa.column("name", sa.String), sa.column("name_key", sa.String))
        connection = op.get_bind()
        seen = set()
        for row_id, name in connection.execute(
                sa.select(components.c.id, components.c.name).order_by(components.c.id)).all():
            key = _name_key(name)
            if key in seen:
                suffix = f" ({row_id})"
                name = name[:NAME_MAX - len(suffix)] + suffix
                key = _name_key(name)
            seen.add(key)
            connection.execute(components.update().where(components.c.id == row_id)
                               .values(name=name, name_key=key))

        with op.batch_alter_table("components") as batch_op:
            batch_op.alter_column("name_key", existing_type=sa.String(length=480), nullable=False)
            batch_op.create_unique_constraint("uq_components_name_key", ["name_key"])


def downgrade():
    with _sqlite_foreign_keys_off():
        with op.batch_alter_table("components") as batch_op:
            batch_op.drop_constraint("uq_components_name_key", type_="unique")
            batch_op.drop_column("name_key")
