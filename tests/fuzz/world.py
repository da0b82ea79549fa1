"""A small database with one row of everything a route can point at, made through the
services (as an operator would), and the signed links the app itself mailed out.

The links are read from the captured mail, not built here: the fuzzer then holds the
tokens a subscriber or admin really gets, whatever their format becomes.
"""
import email
import email.policy
import re
from collections import defaultdict
from datetime import timedelta

from tests.support import web

VICTIM_EMAIL = "reset-me@example.com"  # receives the reset link the fuzzer posts to
_LINK = re.compile(r"https?://[^\s<>\"']+")


class World:
    """Ids of rows by URL variable name, and links by endpoint."""

    def __init__(self, app):
        self.app = app
        self.ids = defaultdict(list)
        self.links = defaultdict(list)
        self.api_token = None

    def build(self):
        with self.app.app_context():
            self._rows()
        web.drain_queues(self.app)
        with self.app.app_context():
            self._harvest_links()
            self._collect_ids()
        return self

    def _rows(self):
        from statusmail.extensions import db
        from statusmail.models import AdminUser, SiteSettings, Subscriber, utcnow
        from statusmail.services.api_tokens import create_api_token
        from statusmail.services.components import create_component
        from statusmail.services.incidents import create_incident
        from statusmail.services.maintenance import schedule_maintenance
        from statusmail.services.outbox import queue_outbound
        from statusmail.services.subscriptions import request_subscription

        SiteSettings.get().notifications_enabled = True
        victim = AdminUser(email=VICTIM_EMAIL, role="owner")
        victim.set_password(web.ADMIN_PASSWORD)
        db.session.add_all([victim, Subscriber(email="confirmed@example.com",
                                               status="confirmed", confirmed_at=utcnow())])
        db.session.commit()
        api = create_component(name="API")
        create_component(name="Zürich data centre", group_name="Europe")
        request_subscription("pending@example.com", source="page")
        create_incident(title="Slow logins", impact="minor", status="investigating",
                        message="Looking into it.", affected=[(api.id, "degraded_performance")])
        start = utcnow() + timedelta(days=7)
        schedule_maintenance(title="Database upgrade", description="Short read-only time.",
                             starts_at=start, ends_at=start + timedelta(hours=1),
                             component_ids=[api.id])
        queue_outbound("password_reset", victim.email, admin_user_id=victim.id)
        queue_outbound("test", "confirmed@example.com", subject="Test", body="Test body")
        from statusmail.services.suppressions import suppress
        suppress("bounced@example.com", "hard_bounce", "webhook", detail="550 no such user")
        _, self.api_token = create_api_token("fuzz")

    def _harvest_links(self):
        from statusmail.models import CapturedMail
        base = self.app.config["STATUSMAIL_BASE_URL"]
        adapter = self.app.url_map.bind("statusmail.test")
        for row in CapturedMail.query:
            message = email.message_from_bytes(row.raw, policy=email.policy.default)
            text = " ".join(part.get_content() for part in message.walk()
                            if part.get_content_type() == "text/plain")
            for link in _LINK.findall(text + " " + message.get("List-Unsubscribe", "")):
                path = link.rstrip(".,;)>")[len(base):] if link.startswith(base) else None
                if not path:
                    continue
                try:
                    endpoint, _ = adapter.match(path.split("?")[0], method="GET")
                except Exception:  # a link the app does not serve: not a route to fuzz
                    try:
                        endpoint, _ = adapter.match(path.split("?")[0], method="POST")
                    except Exception:
                        continue
                self.links[endpoint].append(path.split("?")[0])
        assert self.links, "no links were mailed: the fuzzer would not reach public forms"

    def _collect_ids(self):
        from statusmail import models
        tables = {
            "component_id": models.Component, "incident_id": models.Incident,
            "maintenance_id": models.Maintenance, "subscriber_id": models.Subscriber,
            "notification_id": models.Notification, "token_id": models.ApiToken,
            "captured_id": models.CapturedMail, "outbound_id": models.OutboundMail,
            "suppression_id": models.Suppression,
        }
        for name, model in tables.items():
            self.ids[name] = [row.id for row in model.query.with_entities(model.id)]
        # Kinds of mail an operator can customise (/admin/mail-templates/<kind>).
        from statusmail.services.mail_templates.variables import KINDS
        self.ids["kind"] = list(KINDS)
