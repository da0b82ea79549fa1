"""Who a notice goes to: confirmed subscribers who want its family and its components."""
from sqlalchemy import select

from statusmail.extensions import db
from statusmail.models import Delivery, Notification, Subscriber

from .helpers import (
    add_component, add_subscribers, enable_notifications, publish_component_change,
    publish_incident, publish_maintenance,
)


def _audience(app, notification_id):
    with app.app_context():
        return sorted(db.session.scalars(
            select(Subscriber.email).join(Delivery, Delivery.subscriber_id == Subscriber.id)
            .where(Delivery.notification_id == notification_id)).all())


def test_components_and_families_choose_the_audience(app):
    enable_notifications(app)
    api, web = add_component(app, "API"), add_component(app, "Website")
    everything = add_subscribers(app, 2, prefix="all")
    api_only = add_subscribers(app, 1, prefix="api", all_components=False, components=[api])
    web_only = add_subscribers(app, 1, prefix="web", all_components=False, components=[web])
    add_subscribers(app, 1, prefix="noincidents", notify_incidents=False)
    no_maintenance = add_subscribers(app, 1, prefix="nomaint", notify_maintenance=False)
    no_changes = add_subscribers(app, 1, prefix="nochanges", notify_component_changes=False)

    incident = publish_incident(app, component_ids=[api])
    assert _audience(app, incident) == sorted(everything + api_only + no_maintenance + no_changes)

    maintenance = publish_maintenance(app, component_ids=[web])
    assert _audience(app, maintenance) == sorted(everything + web_only + no_changes
                                                 + ["noincidents0@example.org"])

    change = publish_component_change(app, api)
    assert _audience(app, change) == sorted(everything + api_only + no_maintenance
                                            + ["noincidents0@example.org"])


def test_an_event_without_components_reaches_whole_page_subscribers_only(app):
    """Cachet, openstatus and Statuspage: "the whole service" is news for those who follow
    the whole page, not for someone who chose one component."""
    enable_notifications(app)
    api = add_component(app, "API")
    add_subscribers(app, 2, prefix="narrow", all_components=False, components=[api])
    add_subscribers(app, 1, prefix="none", all_components=False)
    everything = add_subscribers(app, 2, prefix="all")
    incident = publish_incident(app, component_ids=[])
    assert _audience(app, incident) == everything
    maintenance = publish_maintenance(app, component_ids=[])
    assert _audience(app, maintenance) == everything


def test_only_confirmed_subscribers_receive_notices(app):
    enable_notifications(app)
    confirmed = add_subscribers(app, 2, prefix="ok")
    for status in ("pending", "unsubscribed", "bounced"):
        add_subscribers(app, 2, prefix=status, status=status)
    notification = publish_incident(app)
    assert _audience(app, notification) == confirmed
    with app.app_context():
        assert db.session.get(Notification, notification).total == 2


def test_nothing_is_written_while_notifications_are_disabled(app):
    add_subscribers(app, 3)
    assert publish_incident(app) is None
    with app.app_context():
        assert Notification.query.count() == 0 and Delivery.query.count() == 0
        # The incident itself is the caller's business and still commits.
        from statusmail.models import Incident
        assert Incident.query.count() == 1


def test_a_notice_with_no_audience_is_complete_at_once(app):
    enable_notifications(app)
    add_subscribers(app, 2, status="pending")
    notification = publish_incident(app)
    with app.app_context():
        row = db.session.get(Notification, notification)
        assert (row.total, row.state) == (0, "completed") and row.finished_at is not None
