"""The status page and widget come from memory between changes, and a change shows at once."""
import time

from sqlalchemy import event, update

from statusmail.extensions import db
from statusmail.models import Component
from tests.fanout.helpers import add_component


def _count_queries(app):
    statements = []
    with app.app_context():
        engine = db.engine

    def count(*args):
        statements.append(args[2])
    event.listen(engine, "before_cursor_execute", count)
    return statements, lambda: event.remove(engine, "before_cursor_execute", count)


def test_repeated_views_read_nothing_from_the_database(app, client):
    add_component(app, "API")
    statements, stop = _count_queries(app)
    try:
        for path in ("/", "/widget"):
            first = client.get(path)
            assert first.status_code == 200
            seen = len(statements)
            again = client.get(path)
            assert again.data == first.data
            assert len(statements) == seen, statements[seen:]
    finally:
        stop()


def test_a_saved_change_shows_on_the_next_view(app, admin_client, client):
    component_id = add_component(app, "API")
    anonymous = app.test_client()
    assert "All systems operational" in anonymous.get("/").text
    with app.app_context():
        db.session.get(Component, component_id).status = "major_outage"
        db.session.commit()
    assert "Major outage" in anonymous.get("/").text


def test_a_bulk_update_shows_within_the_cache_lifetime(make_app):
    app = make_app(STATUS_PAGE_CACHE_SECONDS=0.2)
    component_id = add_component(app, "API")
    anonymous = app.test_client()
    assert "All systems operational" in anonymous.get("/").text
    with app.app_context():
        # Written without the ORM's change tracking: only the lifetime brings it in.
        db.session.execute(update(Component).where(Component.id == component_id)
                           .values(status="major_outage"))
        db.session.commit()
    deadline = time.monotonic() + 10  # a bound far past the 0.2 s lifetime
    while "Major outage" not in anonymous.get("/").text:
        assert time.monotonic() < deadline, "the bulk change never showed"


def test_operators_get_a_fresh_page(app, admin_client):
    """A session (an operator, a flash message waiting) is never served from memory."""
    add_component(app, "API")
    statements, stop = _count_queries(app)
    try:
        admin_client.get("/")
        seen = len(statements)
        admin_client.get("/")
        assert len(statements) > seen
    finally:
        stop()


def test_random_query_strings_cannot_fill_the_memory(app, client):
    from statusmail.public.page_cache import MAX_ENTRIES, PageCache
    cache = app.wsgi_app
    while not isinstance(cache, PageCache):
        cache = cache.app
    for number in range(MAX_ENTRIES * 3):
        assert client.get(f"/?n={number}").status_code == 200
        assert len(cache.entries) <= MAX_ENTRIES


def test_head_and_marker_header(app, client):
    first = client.get("/")
    assert "X-Statusmail-Cacheable" not in first.headers
    again = client.get("/")
    assert again.headers["X-Content-Type-Options"] == first.headers["X-Content-Type-Options"] == "nosniff"
    head = client.head("/")
    assert head.status_code == 200 and head.data == b""
