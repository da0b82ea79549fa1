"""`flask db upgrade` builds exactly the schema the models describe, on SQLite and PostgreSQL."""
import os
import uuid

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import downgrade, upgrade

from statusmail import create_app
from statusmail.extensions import db
from statusmail.models.search import UNMODELLED_NAMES


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


def _modelled(name, type_, parent_names):
    """Search indexes no model can describe (FTS5 tables, a trigram index) are not
    compared; tests/admin/test_search_index.py checks that migrations create them."""
    return name not in UNMODELLED_NAMES


def test_migrations_match_models(tmp_path):
    checked = 0
    for url, _ in _fresh_databases(tmp_path):
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"include_name": _modelled})
                diff = compare_metadata(context, db.metadata)
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


LINK_KEY_REVISION = "5c1e8d2a9b47"


def _count(conn, table):
    return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()


def _seed_before_link_keys(conn):
    """Three subscribers with mail records, as the schema before had them."""
    for number in (1, 2, 3):
        conn.execute(sa.text(
            "INSERT INTO subscribers (email, status, source, created_at, bounce_count, "
            "all_components, notify_incidents, notify_maintenance, notify_component_changes) "
            "VALUES (:email, 'confirmed', 'page', CURRENT_TIMESTAMP, 0, "
            ":flag, :flag, :flag, :flag)"), {"email": f"s{number}@example.com", "flag": True})
        conn.execute(sa.text(
            "INSERT INTO outbound_mail (kind, recipient, subscriber_id, state, attempts, "
            "created_at) SELECT 'confirm', email, id, 'sent', 1, CURRENT_TIMESTAMP "
            "FROM subscribers WHERE email = :email"), {"email": f"s{number}@example.com"})


def test_link_key_migration_backfills_and_keeps_every_related_row(tmp_path):
    """Existing subscribers get distinct random keys; the SQLite table rebuild must not
    cascade-delete the rows that refer to them (foreign keys are on in this app)."""
    checked = 0
    for url, _ in _fresh_databases(tmp_path):
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(revision=f"{LINK_KEY_REVISION}-1")
            with db.engine.begin() as conn:
                _seed_before_link_keys(conn)
            upgrade(revision=LINK_KEY_REVISION)
            with db.engine.begin() as conn:
                keys = conn.execute(sa.text("SELECT link_key FROM subscribers")).scalars().all()
                assert len(keys) == 3 and len(set(keys)) == 3
                assert all(key and len(key) >= 22 for key in keys)
                assert _count(conn, "outbound_mail") == 3
                # A deleted subscriber's id is never handed to the next one.
                newest = conn.execute(sa.text("SELECT max(id) FROM subscribers")).scalar()
                conn.execute(sa.text("DELETE FROM outbound_mail WHERE subscriber_id = :id"),
                             {"id": newest})
                conn.execute(sa.text("DELETE FROM subscribers WHERE id = :id"), {"id": newest})
                if db.engine.dialect.name == "sqlite":
                    assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
            with db.session.begin():
                from statusmail.models import Subscriber
                newcomer = Subscriber(email="new@example.com")
                db.session.add(newcomer)
                db.session.flush()
                assert newcomer.id > newest
            db.session.remove()
            downgrade(revision=f"{LINK_KEY_REVISION}-1")
            with db.engine.begin() as conn:
                assert _count(conn, "outbound_mail") == 2
                assert "link_key" not in {column["name"] for column
                                          in sa.inspect(conn).get_columns("subscribers")}
            db.engine.dispose()
        checked += 1
    assert checked >= 1


INITIAL_REVISION = "0fff5edbedbf"
# Rows that point at other rows (by foreign key), as the first schema had them.
_SEEDED = {"components": 1, "subscribers": 2, "subscriber_components": 2, "incidents": 1,
           "incident_components": 1, "incident_updates": 1, "notifications": 1,
           "deliveries": 2, "outbound_mail": 1}


def _seed_initial_schema(conn):
    now = {"now": "2026-01-01 00:00:00"}
    statements = [
        "INSERT INTO components (id, name, status, position, created_at, updated_at) "
        "VALUES (1, 'API', 'operational', 0, :now, :now)",
        "INSERT INTO subscribers (id, email, status, source, created_at, bounce_count, "
        "all_components, notify_incidents, notify_maintenance, notify_component_changes) "
        "VALUES (1, 'a@example.com', 'confirmed', 'page', :now, 0, :no, :yes, :yes, :yes), "
        "(2, 'b@example.com', 'confirmed', 'page', :now, 0, :no, :yes, :yes, :yes)",
        "INSERT INTO subscriber_components (subscriber_id, component_id) VALUES (1, 1), (2, 1)",
        "INSERT INTO incidents (id, title, impact, status, created_at) "
        "VALUES (1, 'Down', 'major', 'investigating', :now)",
        "INSERT INTO incident_components (incident_id, component_id, new_status) "
        "VALUES (1, 1, 'major_outage')",
        "INSERT INTO incident_updates (id, incident_id, status, message, created_at) "
        "VALUES (1, 1, 'investigating', 'Looking.', :now)",
        "INSERT INTO notifications (id, kind, subject, context, incident_id, component_id, "
        "state, total, created_at) VALUES (1, 'incident_created', 'Down', '{}', 1, 1, "
        "'completed', 2, :now)",
        "INSERT INTO deliveries (notification_id, subscriber_id, state, attempts, updated_at) "
        "VALUES (1, 1, 'sent', 1, :now), (1, 2, 'failed', 1, :now)",
        "INSERT INTO outbound_mail (kind, recipient, subscriber_id, state, attempts, created_at) "
        "VALUES ('confirm', 'a@example.com', 1, 'sent', 1, :now)",
    ]
    for statement in statements:
        conn.execute(sa.text(statement), {**now, "yes": True, "no": False})


def _revisions_from(first):
    """Revision ids from ``first`` up to the single head, in order."""
    script = ScriptDirectory(current_app.extensions["migrate"].directory)
    order = [revision.revision for revision in script.walk_revisions()][::-1]
    return order[order.index(first):]


def _current_revision():
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _seeded_counts(step):
    with db.engine.connect() as conn:
        counts = {table: _count(conn, table) for table in _SEEDED}
    assert counts == _SEEDED, f"rows lost at {step} on {db.engine.dialect.name}"


def test_every_migration_up_and_down_keeps_the_rows_that_refer_to_others(tmp_path):
    """A SQLite table rebuild with foreign keys on deletes every row that cascades from
    the rebuilt table (a notice's deliveries, a component's subscriptions): each step,
    up to the head and back down, must keep them all."""
    checked = 0
    for url, _ in _fresh_databases(tmp_path):
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(revision=INITIAL_REVISION)
            with db.engine.begin() as conn:
                _seed_initial_schema(conn)
            steps = _revisions_from(INITIAL_REVISION)
            for step in steps[1:]:
                upgrade(revision=step)
                _seeded_counts(f"upgrade to {step}")
            with db.engine.connect() as conn:
                assert conn.execute(sa.text(
                    "SELECT sum(total) FROM delivery_state_counts")).scalar() == 2
            for step in reversed(steps[:-1]):
                downgrade(revision="-1")
                assert _current_revision() == step
                _seeded_counts(f"downgrade to {step}")
            db.engine.dispose()
        checked += 1
        assert len(steps) > 5
    assert checked >= 1
