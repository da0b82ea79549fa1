"""Every word a subscriber reads goes through the catalogue.

The app runs with a pseudo catalogue built from the committed messages.pot, in which
every msgstr is its msgid between ⟦ and ⟧. Each public page (in each of its states) and
each mail (every notice kind, the confirmation and the manage-link mail, subjects too)
is then read as a person reads it: any word outside the markers that is not data (the
names, titles and addresses this test made, links, times, numbers) is English that a
translator could never translate.
"""
from datetime import timedelta

import pytest
from babel import Locale

from statusmail.extensions import db
from statusmail.fanout import publish_event
from statusmail.fanout.notices import render_notice
from statusmail.models import (
    Component, Incident, IncidentComponent, IncidentUpdate, Maintenance, MaintenanceUpdate,
    OutboundMail, SiteSettings, Subscriber, utcnow,
)
from statusmail.models.notifications import EVENT_KINDS
from statusmail.services.delivery_settings import delivery_settings
from statusmail.services.transactional import render_outbound
from tests.i18n.catalogues import pseudo_catalogue
from tests.i18n.visible_text import html_text, untranslated
from tests.public.support import Subscribers
from tests.support import web

SITE = "Quokka Status"
DATA = [SITE, "Kafka Cluster", "Backbone", "Zebra Gateway", "Lantern DB", "Broker meltdown",
        "Broker meltdown deep dive", "Flux capacitor", "Old flux capacitor",
        "Ledger migration", "Quokkas nibbled the cables", "Fresh cables arrived",
        "Patching the hamsters", "Halfway through the hamsters", "Spare hamsters",
        "Europe/Berlin", "CET", "CEST",
        # Names of days and months come from Babel's locale data (CLDR), not from us.
        *Locale.parse("de").days["format"]["wide"].values(),
        *Locale.parse("de").months["format"]["wide"].values()]


@pytest.fixture
def app(make_app, tmp_path):
    pseudo_catalogue(str(tmp_path / "translations"))
    return make_app(BABEL_TRANSLATION_DIRECTORIES=str(tmp_path / "translations"))


def _world(app):
    """A status page with something in every section, and one subscriber per state."""
    with app.app_context():
        settings = SiteSettings.get()
        settings.language, settings.status_page_name = "de", SITE
        settings.timezone, settings.notifications_enabled = "Europe/Berlin", True
        kafka = Component(name="Kafka Cluster", group_name="Backbone", position=1,
                          status="major_outage")
        zebra = Component(name="Zebra Gateway", position=2, description="Flux capacitor")
        lantern = Component(name="Lantern DB", position=3, status="under_maintenance")
        db.session.add_all([kafka, zebra, lantern])
        db.session.flush()
        now = utcnow().replace(microsecond=0)
        incident = Incident(title="Broker meltdown", impact="major", status="identified")
        incident.affected.append(IncidentComponent(component_id=kafka.id,
                                                   new_status="major_outage"))
        updates = [IncidentUpdate(incident=incident, status=status, message=message,
                                  created_at=now - timedelta(minutes=minutes))
                   for status, message, minutes in (
                       ("investigating", "Quokkas nibbled the cables", 40),
                       ("identified", "Fresh cables arrived", 30),
                       ("identified", "Fresh cables arrived", 20),
                       ("identified", "Fresh cables arrived", 10))]
        resolved = Incident(title="Broker meltdown deep dive", impact="minor", status="resolved",
                            created_at=now - timedelta(days=1), resolved_at=now)
        db.session.add(IncidentUpdate(incident=resolved, status="resolved",
                                      message="Fresh cables arrived",
                                      created_at=now - timedelta(hours=3)))
        running = Maintenance(title="Patching the hamsters", description="Spare hamsters",
                              status="in_progress", starts_at=now - timedelta(hours=1),
                              ends_at=now + timedelta(hours=1), started_at=now,
                              components=[lantern])
        running.updates.append(MaintenanceUpdate(status="in_progress",
                                                 message="Halfway through the hamsters"))
        planned = Maintenance(title="Ledger migration", description="Old flux capacitor",
                              starts_at=now + timedelta(days=2),
                              ends_at=now + timedelta(days=2, hours=2), components=[zebra])
        done = Maintenance(title="Old flux capacitor", status="completed",
                           starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=2),
                           started_at=now - timedelta(days=2), completed_at=now)
        db.session.add_all([incident, *updates, resolved, running, planned, done])
        db.session.commit()
        return {"incident": incident.id, "maintenance": running.id,
                "planned": planned.id, "components": (kafka.id, zebra.id)}


def _subscribers(app):
    subscribers = Subscribers(app)
    return subscribers, {status: subscribers.add(f"{status}@example.org", status=status)
                         for status in ("confirmed", "pending", "bounced", "unsubscribed")}


def _assert_translated(where, text):
    left = untranslated(text, DATA)
    assert left == [], f"{where}: words outside the catalogue: {left}\n{text}"


def _page(client, where, response, status=200):
    assert response.status_code == status, (where, response.status_code)
    if response.mimetype == "text/html":
        assert '<html lang="de">' in response.text, where
        _assert_translated(where, html_text(response.text))
    else:
        _assert_translated(where, response.text)
    return response


def test_the_check_finds_an_english_sentence_outside_the_catalogue():
    """The check itself: marked text passes, data passes, a stray English word does not."""
    assert untranslated("⟦Confirm ⟦Operational⟧⟧ · Quokka Status 2026-01-02 10:00 CET",
                        DATA) == []
    assert untranslated("⟦Confirm⟧ for a***@example.org at https://x.test/a", DATA) == ["for",
                                                                                      "at"]
    assert untranslated(html_text('<p title="Hover me">⟦Fine⟧</p><script>ok()</script>')) \
        == ["Hover", "me"]


def test_every_public_page_is_translatable(app):
    world = _world(app)
    subscribers, ids = _subscribers(app)
    client = app.test_client()
    for where in ("/", f"/incidents/{world['incident']}", f"/maintenance/{world['maintenance']}",
                  f"/maintenance/{world['planned']}", "/history", "/subscribe", "/widget",
                  "/manage-link"):
        _page(client, where, client.get(where))
    _page(client, "404", client.get("/nowhere"), 404)

    for where in ("/subscribe", "/widget", "/manage-link"):
        _page(client, f"{where} sent", web.submit(client, where, {"email": "new@example.org"}))
    _page(client, "subscribe refused", web.submit(client, "/subscribe", {"email": "nope"}), 400)

    confirm = f"/confirm/{subscribers.token('confirm', ids['pending'])}"
    page = _page(client, "confirm", client.get(confirm))
    _page(client, "confirmed", client.post(confirm, data={"csrf_token": web.csrf_token(page.text)}))
    _page(client, "already confirmed", client.get(confirm))
    _page(client, "bad link", client.get("/confirm/garbage"), 400)
    expired = f"/confirm/{subscribers.old_token('confirm', ids['bounced'])}"
    _page(client, "expired confirmation", client.get(expired), 400)

    for status in ("confirmed", "bounced", "unsubscribed"):
        _page(client, f"manage {status}",
              client.get(f"/manage/{subscribers.token('manage', ids[status])}"))
    pending = subscribers.add("waiting@example.org", status="pending")
    manage_pending = f"/manage/{subscribers.token('manage', pending)}"
    page = _page(client, "manage pending", client.get(manage_pending))
    _page(client, "manage pending refused",
          client.post(manage_pending, data={"csrf_token": web.csrf_token(page.text)}), 409)
    manage = f"/manage/{subscribers.token('manage', ids['confirmed'])}"
    page = client.get(manage)
    _page(client, "manage nothing chosen",
          client.post(manage, data={"csrf_token": web.csrf_token(page.text), "scope": "selected"}),
          400)
    saved = client.post(manage, data={"csrf_token": web.csrf_token(page.text), "scope": "all",
                                      "notify_incidents": "y"}, follow_redirects=True)
    _page(client, "manage saved", saved)
    resent = client.post(f"{manage_pending}/confirmation",
                         data={"csrf_token": web.csrf_token(page.text)})
    _page(client, "confirmation resent", resent)

    leave = f"/unsubscribe/{subscribers.token('unsubscribe', ids['confirmed'])}"
    page = _page(client, "unsubscribe", client.get(leave))
    _page(client, "unsubscribed",
          client.post(leave, data={"csrf_token": web.csrf_token(page.text)}))
    one_click = f"/unsubscribe/{subscribers.token('unsubscribe', pending)}/one-click"
    _page(client, "one-click", client.post(one_click, data={"List-Unsubscribe": "One-Click"}))

    not_me = f"/not-me/{subscribers.token('not-me', ids['bounced'])}"
    page = _page(client, "not me", client.get(not_me))
    _page(client, "not me done",
          client.post(not_me, data={"csrf_token": web.csrf_token(page.text)}))


def _publish_every_kind(world):
    incident = db.session.get(Incident, world["incident"])
    maintenance = db.session.get(Maintenance, world["planned"])
    component = db.session.get(Component, world["components"][1])
    update = incident.updates[0]
    maintenance_update = MaintenanceUpdate(maintenance=maintenance, status="scheduled",
                                           message="Halfway through the hamsters")
    db.session.add(maintenance_update)
    db.session.flush()
    for kind in EVENT_KINDS:
        if kind.startswith("incident_"):
            yield publish_event(kind, incident=incident, incident_update=update)
        elif kind == "maintenance_updated":
            yield publish_event(kind, maintenance=maintenance,
                                maintenance_update=maintenance_update)
        elif kind == "maintenance_rescheduled":
            yield publish_event(kind, maintenance=maintenance, previous_window={
                "starts_at": maintenance.starts_at - timedelta(days=1),
                "ends_at": maintenance.ends_at - timedelta(days=1)})
        elif kind.startswith("maintenance_"):
            yield publish_event(kind, maintenance=maintenance)
        else:
            component.status = "partial_outage"
            yield publish_event(kind, component=component, previous_status="operational")


def _assert_mail(where, message):
    _assert_translated(f"{where} subject", message.subject)
    _assert_translated(f"{where} text", message.body)
    assert '<html lang="de">' in message.html, where
    _assert_translated(f"{where} html", html_text(message.html))


def test_every_mail_is_translatable(app):
    world = _world(app)
    with app.app_context():
        kinds = set()
        for notification in _publish_every_kind(world):
            _assert_mail(notification.kind, render_notice(notification, delivery_settings())
                         .template.message)
            kinds.add(notification.kind)
        assert kinds == set(EVENT_KINDS)

        for status, source in (("pending", "page"), ("pending", "widget"), ("pending", "api"),
                               ("pending", "import"), ("confirmed", "page")):
            subscriber = Subscriber(email=f"{source}.{status}@example.org", status=status,
                                    source=source)
            db.session.add(subscriber)
            db.session.flush()
            for kind in ("confirm", "manage_link"):
                row = OutboundMail(kind=kind, recipient=subscriber.email,
                                   subscriber_id=subscriber.id)
                db.session.add(row)
                db.session.flush()
                message = render_outbound(row)
                if kind == "confirm" and status == "confirmed":
                    assert message is None  # nothing to confirm any more
                    continue
                _assert_mail(f"{kind} ({status}, {source})", message)
