"""A site with something on every page, for the browser sweeps: rows in each state an
admin or public page can show, and the links a person gets by mail.

Rows are made through the services the admin uses, and the mails (confirmation, notices,
password reset, invitation, test send) go through the real queue and a real RQ worker into captured
mail; the signed links the public pages need are read from those mails, as a subscriber
reads them, so the sweeps follow whatever the product puts in its links.
"""
import re
from dataclasses import dataclass, field
from datetime import timedelta

from tests.support import web

RESET_ADMIN = "second-admin@example.com"
READER = "reader@example.org"
PENDING = "pending@example.org"
LEAVER = "leaver@example.org"
INVITEE = "invitee@example.org"
# Whose mailed link each token page opens: the one who leaves is not the one who stays.
# "This wasn't me" stops mail to its owner: not the pending subscriber the confirm page is for.
TOKEN_OWNERS = {"confirm": PENDING, "manage": READER, "unsubscribe": LEAVER,
                "reset-password": RESET_ADMIN, "not-me": "pending-too@example.org",
                "invitation": INVITEE}
_LINK = re.compile(
    r"https?://\S+?/(confirm|manage|unsubscribe|not-me|admin/reset-password|admin/invitation)"
    r"/([^\s\"'<>]+)")


@dataclass
class Seeded:
    """Row ids per URL parameter (each page is visited once per row), and mailed tokens."""
    rows: dict = field(default_factory=dict)
    # Rows only the admin's pages show: a draft incident's public page is rightly a 404.
    admin_rows: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)


def seed_site(app):
    from statusmail.extensions import db
    from statusmail.models import SiteSettings

    owner = web.create_admin(app)
    reset_admin = web.create_admin(app, email=RESET_ADMIN)
    seeded = Seeded()
    with app.app_context():
        settings = SiteSettings.get()
        settings.notifications_enabled = True
        db.session.commit()
        components = _components()
        seeded.rows["component_id"] = [components[0].id, components[2].id]
        seeded.rows["subscriber_id"] = _subscribers(components)
        seeded.rows["incident_id"] = _incidents(components)
        seeded.admin_rows["incident_id"] = _drafts()
        seeded.rows["template_id"] = [_incident_template(components)]
        seeded.rows["maintenance_id"] = _maintenances(components)
        seeded.rows["token_id"] = [_api_token()]
        seeded.rows["outbound_id"] = [_test_send()]
        seeded.rows["suppression_id"] = _suppressions()
        _password_reset(reset_admin.id)
        _invitation(owner.id)
        finished_transfers = _transfers()
    web.drain_queues(app)  # confirmation, notices, reset link and test send: into captured mail
    with app.app_context():
        seeded.rows["notification_id"] = _notifications(seeded.rows["subscriber_id"])
        seeded.rows["captured_id"], seeded.tokens = _captured_links()
        seeded.rows["job_id"] = app.extensions["queues"]["outbound"] \
            .finished_job_registry.get_job_ids()[:1]
        # Done by the worker above (an export, an import with a refused line); one waiting.
        seeded.rows["transfer_id"] = finished_transfers + _transfers(import_too=False)
    return seeded


def _components():
    from statusmail.services.components import create_component
    return [create_component(name="Website", group_name="Web", description="www and the shop"),
            create_component(name="API", group_name="Web", position=1),
            create_component(name="Email relay", position=2)]


def _subscribers(components):
    from statusmail.extensions import db
    from statusmail.models import Subscriber, utcnow
    from statusmail.services.subscriptions import request_subscription
    reader = Subscriber(email=READER, status="confirmed", confirmed_at=utcnow(), source="page")
    selective = Subscriber(email="selective@example.org", status="confirmed",
                           confirmed_at=utcnow(), all_components=False,
                           components=[components[1]], source="import")
    leaver = Subscriber(email=LEAVER, status="confirmed", confirmed_at=utcnow(), source="page")
    db.session.add_all([reader, selective, leaver])
    db.session.commit()
    # The list shows the newest first: its "Resend" is for the second, the detail page's
    # for the first, so neither finds a confirmation already waiting.
    for address in (PENDING, "pending-too@example.org"):
        request_subscription(address, source="widget")
        db.session.commit()
    pending = Subscriber.query.filter_by(email=PENDING).one()
    return [pending.id, reader.id]


def _incidents(components):
    from statusmail.extensions import db
    from statusmail.services.incidents import create_incident, resolve_incident
    incident, _ = create_incident(
        title="Checkout is slow", impact="major", status="investigating",
        message="Payments take up to a minute; we are looking into it.",
        affected=[(components[0].id, "partial_outage")])
    db.session.commit()
    past, _ = create_incident(title="Login errors", impact="minor", status="identified",
                              message="Some logins failed.", notify=False)
    db.session.commit()
    resolve_incident(past, message="Fixed.", notify=False)
    db.session.commit()
    return [incident.id, past.id]


def _incident_template(components):
    from statusmail.services.incident_templates import save_template
    return save_template(name="Checkout down", title="Checkout is failing", impact="major",
                         message="Payments fail; we are **on it**.",
                         affected=[(components[0].id, "major_outage")]).id


def _drafts():
    """Two drafts: one the crawl discards, one it publishes (each form ends its draft)."""
    from statusmail.services.incidents import create_incident
    return [create_incident(title=f"Search may be slow ({n})", impact="minor",
                            status="investigating", message="Drafted ahead of a migration.",
                            draft=True)[0].id for n in (1, 2)]


def _maintenances(components):
    """Two scheduled windows (one announced, one not) and one in progress: each offers
    its own forms (start, cancel with or without notice, complete)."""
    from statusmail.extensions import db
    from statusmail.models import utcnow
    from statusmail.services.maintenance import schedule_maintenance, start_maintenance
    soon = utcnow().replace(second=0, microsecond=0) + timedelta(days=2)
    ids = []
    for title, notify, component_ids in (("Database upgrade", True, [components[1].id]),
                                         ("Mail relay move", False, []),
                                         ("Network work", True, [components[2].id])):
        maintenance, _ = schedule_maintenance(
            title=title, description=f"{title}: a short outage is possible.",
            starts_at=soon, ends_at=soon + timedelta(hours=2), component_ids=component_ids,
            notify=notify)
        db.session.commit()
        ids.append(maintenance.id)
    start_maintenance(ids[-1])
    db.session.commit()
    return ids


def _api_token():
    from statusmail.extensions import db
    from statusmail.services.api_tokens import create_api_token
    row, _ = create_api_token("Deploy pipeline")
    db.session.commit()
    return row.id


def _test_send():
    from statusmail.extensions import db
    from statusmail.services.test_send import queue_test_send
    row = queue_test_send("ops@example.com", "Test from statusmail", "Does this arrive?")
    db.session.commit()
    return row.id


def _transfers(import_too=True):
    """An export and an import through the services the admin pages call."""
    import io

    from werkzeug.datastructures import FileStorage

    from statusmail.services.transfers import start_export, start_import
    ids = [start_export("all", "", None).id]
    if import_too:
        upload = FileStorage(io.BytesIO(b"email\nimported@example.org\nnot an address\n"),
                             "list.csv")
        ids.append(start_import(upload, "send_confirmation", None).id)
    return ids


def _suppressions():
    """One active suppression (its page offers the lift form) and one lifted."""
    from statusmail.services.suppressions import lift, suppress
    active, _ = suppress("bounced@example.net", "hard_bounce", "webhook",
                         detail="SendGrid bounce: 550 5.1.1 no such user")
    lifted, _ = suppress("was-blocked@example.net", "operator", "operator")
    lift(lifted.id, by=web.ADMIN_EMAIL, note="asked by phone")
    return [active.id, lifted.id]


def _password_reset(admin_user_id):
    from statusmail.extensions import db
    from statusmail.services.outbox import queue_outbound
    queue_outbound("password_reset", RESET_ADMIN, admin_user_id=admin_user_id)
    db.session.commit()


def _invitation(owner_id):
    """A pending invitation, its link in captured mail like every other."""
    from statusmail.extensions import db
    from statusmail.models import AdminUser
    from statusmail.services.security.team import invite
    invite(INVITEE, "editor", db.session.get(AdminUser, owner_id))


def _notifications(subscriber_ids):
    """Besides the notices the seed published (finished by now), one still sending with a
    failed delivery, so that every control of the delivery log is on some page, and one
    whose last delivery waits for a retry after a 451."""
    from statusmail.extensions import db
    from statusmail.models import Delivery, Notification, utcnow
    finished = [n.id for n in Notification.query.order_by(Notification.id)]
    waiting = Notification(kind="incident_created", subject="[Example] Checkout is slow",
                           context={}, state="sending", total=2, first_sent_at=utcnow())
    waiting.deliveries.append(Delivery(subscriber_id=subscriber_ids[0], state="sent",
                                       attempts=1, smtp_code=250, sent_at=utcnow()))
    waiting.deliveries.append(Delivery(
        subscriber_id=subscriber_ids[1], state="queued", attempts=1, smtp_code=451,
        smtp_response="4.7.1 Greylisted, please try again later",
        next_attempt_at=utcnow() + timedelta(minutes=10)))
    db.session.add(waiting)
    sending = Notification(kind="incident_updated", subject="[Example] Checkout is slow",
                           context={}, state="sending", total=2)
    sending.deliveries.append(Delivery(subscriber_id=subscriber_ids[0], state="queued"))
    sending.deliveries.append(Delivery(subscriber_id=subscriber_ids[1], state="failed",
                                       attempts=3, smtp_code=550,
                                       smtp_response="5.1.1 mailbox unavailable"))
    db.session.add(sending)
    db.session.commit()
    return [sending.id, waiting.id] + finished[:1]


def _captured_links():
    """Captured mail ids, and per link kind the token mailed to that kind's owner."""
    from statusmail.models import CapturedMail
    from statusmail.services.captured_mail import read_captured
    rows = CapturedMail.query.order_by(CapturedMail.id).all()
    tokens = {}
    for row in rows:
        for kind, token in _LINK.findall(read_captured(row)["text"] or ""):
            kind = kind.rsplit("/", 1)[-1]
            if row.recipient == TOKEN_OWNERS[kind]:
                tokens[kind] = token
    return [rows[0].id], tokens
