"""Every admin page asks the database the same number of questions whatever the size of
the lists behind it: the deterministic proxy for "flat from 1k to 1M" (bench/ measures
the times themselves, at 1k and 1M)."""
from statusmail.extensions import db
from tests.support import world
from tests.support.sql import counting_statements

PAGES = [
    "/admin/",
    "/admin/email",
    "/admin/email/dkim",
    "/admin/email/test",
    "/admin/email/test/{test_send}",
    "/admin/email/test/{test_send}.json",
    "/admin/subscribers",
    "/admin/subscribers?status=confirmed",
    "/admin/subscribers?q=user1",
    "/admin/subscribers?q=example.org&status=pending",
    "/admin/subscribers?q=zz",
    "/admin/subscribers?after={subscriber_after}",
    "/admin/subscribers?before={subscriber}",
    "/admin/subscribers/{subscriber}",
    "/admin/subscribers/{subscriber}/remove",
    "/admin/subscribers/import",
    "/admin/components",
    "/admin/components/new",
    "/admin/components/{component}",
    "/admin/incidents",
    "/admin/incidents?page=2",
    "/admin/incidents/new",
    "/admin/incidents/backfill",
    "/admin/incident-templates",
    "/admin/incidents/{incident}",
    "/admin/audience.json?kind=incident_created&component={component}",
    "/admin/maintenance",
    "/admin/maintenance/new",
    "/admin/maintenance/{maintenance}",
    "/admin/maintenance/{scheduled}/edit",
    "/admin/deliveries",
    "/admin/deliveries?after={notification}",
    "/admin/deliveries/{notification}",
    "/admin/deliveries/{notification}?waiting_after={delivery_mid}",
    "/admin/deliveries/{notification}.json",
    "/admin/deliveries/{notification}?reported_after={reported_mid}",
    "/admin/deliverability",
    "/admin/deliverability?days=90",
    "/admin/deliverability?after={notification}",
    "/admin/captured",
    "/admin/captured/{captured}",
    "/admin/api-tokens",
    "/admin/suppressions",
    "/admin/suppressions?show=all&q=gone1",
    "/admin/suppressions?reason=hard_bounce&source=webhook",
    "/admin/suppressions?after={suppression}",
    "/admin/suppressions?before={suppression}",
    "/admin/suppressions/{suppression}",
    "/admin/event-webhook",
    "/admin/audit-log",
    "/admin/audit-log?kind=login_failed",
    "/admin/audit-log?actor=ops1@example.org",
    "/admin/audit-log?actor=system&since=2020-01-01&until=2099-12-31",
    "/admin/audit-log?after={audit_after}",
    "/admin/audit-log?before={audit_before}&kind=incident_created",
    "/admin/mail-templates",
    "/admin/mail-templates/incident_created",
    "/admin/mail-templates/maintenance_rescheduled/preview.json?subject=%7B%7B+title+%7D%7D",
    "/admin/mail-templates/confirm/preview.html?intro=Hi",
    "/admin/users",
    "/admin/account/email",
]


def _statements_per_page(app, client, ids):
    measured = {}
    for template in PAGES:
        url = template.format(subscriber_after=ids["subscriber"] + 60,
                              audit_after=ids["audit_event"] - 5,
                              audit_before=ids["audit_event"] // 4, **ids)
        client.get(url)  # first use of a page may warm caches: count the second
        with counting_statements(app) as statements:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        measured[template] = sum(statements.values())
    return measured


def test_every_admin_page_makes_the_same_queries_at_20_and_200_rows(app, admin_client,
                                                                   monkeypatch):
    # The session's last_seen_at is written once a minute: on a loaded machine this test
    # runs for minutes, and the page that happened to write it counted two more statements.
    from datetime import timedelta
    monkeypatch.setattr("statusmail.services.security.sessions.TOUCH_EVERY", timedelta(days=1))
    small = _statements_per_page(app, admin_client, world.grow(app, 20, 20, 20))
    large = _statements_per_page(app, admin_client, world.grow(app, 200, 200, 200))
    grew = {page: (small[page], large[page]) for page in PAGES if small[page] != large[page]}
    assert grew == {}, f"pages whose queries grew with the lists: {grew}"


def test_a_page_reads_the_settings_row_once(app, admin_client):
    ids = world.grow(app, 60, 60, 60)
    with counting_statements(app):
        pass
    from sqlalchemy import event
    with app.app_context():
        engine = db.engine
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "FROM site_settings" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        page = admin_client.get(f"/admin/subscribers/{ids['subscriber']}")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert page.status_code == 200 and page.text.count("CET") + page.text.count("CEST") > 50
    assert len(seen) == 1, f"{len(seen)} settings queries for one page"
