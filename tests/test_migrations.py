"""`flask db upgrade` builds exactly the schema the models describe, on SQLite and PostgreSQL."""
import os
import uuid

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from statusmail import create_app
from statusmail.extensions import db


def _fresh_databases(tmp_path):
    yield "sqlite:///" + str(tmp_path / "migrated.sqlite3"), None
    admin_url = os.environ.get("TEST_DATABASE_URL")
    if admin_url:
        name = f"statusmail_migrate_{uuid.uuid4().hex[:10]}"
        engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield sa.engine.make_url(admin_url).set(database=name).render_as_string(
                hide_password=False), None
        finally:
            with engine.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            engine.dispose()


def test_migrations_match_models(tmp_path):
    checked = 0
    for url, _ in _fresh_databases(tmp_path):
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            assert diff == [], f"models and migrations differ on {db.engine.dialect.name}: {diff}"
            downgrade(revision="base")
            assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
            db.engine.dispose()
        checked += 1
    assert checked >= 1


def test_upgrade_command_runs(tmp_path):
    app = create_app({"TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "cli.sqlite3")})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert "subscribers" in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()
