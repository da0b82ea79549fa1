"""What a notice says: a snapshot taken when the event is published, rendered once.

The snapshot is plain JSON on the notification, so a fan-out that takes an hour still
says what was true when it started, and every batch renders the same mail. Rendering
happens once per batch at most (a worker reuses it for its next batches of the notice)
into a :class:`MailTemplate` whose per-subscriber parts (address, Message-ID, manage and
unsubscribe links) are random placeholder words replaced in the wire bytes.

A delivery's Message-ID is the same on every attempt: SMTP cannot tell us whether a
message was accepted when the worker dies between the end of DATA and recording it, so
the one copy that may be sent again must be one the mailbox provider recognises (they
collapse identical Message-IDs). It is built from the notification, the delivery and a
random key stored in the snapshot, so ids reused after deletions never repeat one.
"""
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import gettext

from ..mail.compose import Envelope, MailTemplate, build_message, sender_domain
from ..mail.list_id import list_id_header
from ..models import SiteSettings
from ..models.notifications import EVENT_KINDS
from ..models.status import COMPONENT_STATUSES, INCIDENT_IMPACTS, INCIDENT_STATUSES
from ..services.links import external_url
from ..services.mail_templates import customize
from ..services.mail_templates.branding import brand_of
from ..services.mail_templates.subjects import default_subject
from ..services.timezones import format_local, operator_zone
from ..services.transactional import default_sender
from ..tokens import make_subscriber_token

UTC_FORMAT = "%Y-%m-%d %H:%M UTC"


def _label(labels, value):
    """The label in the status page's language: the snapshot keeps what was sent."""
    return gettext(labels.get(value, value))


def _incident_snapshot(incident):
    return {
        "id": incident.id,
        "title": incident.title,
        "impact": incident.impact,
        "impact_label": _label(INCIDENT_IMPACTS, incident.impact),
        "status": incident.status,
        "status_label": gettext(incident.status_label),
        "url": external_url("public.incident", incident_id=incident.id),
    }


def _update_snapshot(entry, zone):
    return {
        "status_label": _label(INCIDENT_STATUSES, entry.status),
        "message": entry.message,
        "posted_utc": entry.created_at.strftime(UTC_FORMAT) if entry.created_at else "",
        "posted_local": format_local(entry.created_at, zone=zone),
    }


def _maintenance_snapshot(maintenance, zone):
    return {
        "id": maintenance.id,
        "title": maintenance.title,
        "description": maintenance.description or "",
        "status_label": gettext(maintenance.status_label),
        **_window_times(maintenance.starts_at, maintenance.ends_at, zone),
        "zone": zone.key,
        "url": external_url("public.maintenance", maintenance_id=maintenance.id),
    }


def _window_times(starts_at, ends_at, zone):
    return {"starts_utc": starts_at.strftime(UTC_FORMAT), "ends_utc": ends_at.strftime(UTC_FORMAT),
            "starts_local": format_local(starts_at, zone=zone),
            "ends_local": format_local(ends_at, zone=zone)}


def _maintenance_update_snapshot(entry, zone):
    return {
        "status_label": gettext(entry.status_label),
        "message": entry.message,
        "posted_utc": entry.created_at.strftime(UTC_FORMAT) if entry.created_at else "",
        "posted_local": format_local(entry.created_at, zone=zone),
    }


def _components_snapshot(incident, maintenance, component):
    found = []
    if incident is not None:
        found.extend(link.component for link in incident.affected)
    if maintenance is not None:
        found.extend(maintenance.components)
    if component is not None:
        found.append(component)
    unique = {c.id: c for c in found}.values()
    return [{"name": c.name, "status": c.status, "status_label": gettext(c.status_label)}
            for c in sorted(unique, key=lambda c: (c.position, c.name))]


def snapshot(kind, *, incident=None, incident_update=None, maintenance=None,
             maintenance_update=None, previous_window=None, component=None,
             previous_status=None):
    """``(subject, context)`` for a notice: everything the mail will say, as JSON.

    ``previous_window`` (``{"starts_at": …, "ends_at": …}``, naive UTC) is where a
    rescheduled window was before it moved.
    """
    settings = SiteSettings.get()
    zone = operator_zone()
    context = {
        "kind": kind,
        "kind_label": gettext(EVENT_KINDS[kind]),
        "site_name": settings.status_page_name,
        "status_url": external_url("public.index"),
        "incident": _incident_snapshot(incident) if incident is not None else None,
        "incident_update": (_update_snapshot(incident_update, zone)
                            if incident_update is not None else None),
        "maintenance": (_maintenance_snapshot(maintenance, zone)
                        if maintenance is not None else None),
        "maintenance_update": (_maintenance_update_snapshot(maintenance_update, zone)
                               if maintenance_update is not None else None),
        "previous_window": (_window_times(previous_window["starts_at"],
                                          previous_window["ends_at"], zone)
                            if previous_window is not None else None),
        "components": _components_snapshot(incident, maintenance, component),
        "change": None,
    }
    context["message_key"] = secrets.token_hex(8)
    if component is not None:
        context["change"] = {
            "name": component.name,
            "status_label": gettext(component.status_label),
            "previous_status_label": (_label(COMPONENT_STATUSES, previous_status)
                                      if previous_status else None),
        }
    # The operator's subject, intro and footer for this kind, filled in once for the
    # notice (never per recipient), and the branding of the mail layout as it is now.
    applied = customize.apply(customize.load(kind), kind, context)
    context["intro"], context["footer"] = applied.intro, applied.footer
    context["brand"] = brand_of(settings)
    return applied.subject or default_subject(kind, settings.status_page_name, context), context


@dataclass(frozen=True)
class Placeholders:
    """Random words standing in for one subscriber's values in the rendered notice."""
    recipient: str
    message_local: str
    unsubscribe_token: str
    manage_token: str

    @classmethod
    def fresh(cls):
        word = secrets.token_hex(6)
        return cls(recipient=f"r{word}@placeholder.invalid", message_local=f"m{word}",
                   unsubscribe_token=f"u{word}", manage_token=f"g{word}")

    def words(self):
        return (self.recipient, self.message_local, self.unsubscribe_token, self.manage_token)


def message_key(notification):
    """The per-notification part of every Message-ID of its deliveries.

    Notices published before the key was stored fall back on their creation time, which
    is just as stable across attempts.
    """
    return (notification.context.get("message_key")
            or notification.created_at.strftime("t%Y%m%d%H%M%S%f"))


def delivery_message_local(notification_id, delivery_id, key):
    """The local part of a delivery's Message-ID: identical for every attempt."""
    return f"n{notification_id}.d{delivery_id}.{key}"


@dataclass(frozen=True)
class RenderedNotice:
    template: MailTemplate
    placeholders: Placeholders
    message_key: str

    def values_for(self, *, notification_id, delivery_id, subscriber_id, email, link_key):
        """The placeholder replacements for one delivery: cheap (a few HMACs, no query;
        the link key comes with the recipient)."""
        holders = self.placeholders
        return {
            holders.recipient: email,
            holders.message_local: delivery_message_local(notification_id, delivery_id,
                                                          self.message_key),
            holders.unsubscribe_token: make_subscriber_token("unsubscribe", subscriber_id,
                                                             link_key),
            holders.manage_token: make_subscriber_token("manage", subscriber_id, link_key),
        }

    def personalize(self, values, whole_message=False):
        """``(message, raw bytes)`` for one delivery.

        SMTP and capture need only the :class:`~..mail.compose.Envelope` and send ``raw``;
        a provider that takes fields (SendGrid) asks for the ``whole_message``.
        """
        if whole_message:
            return self.template.personalize_message(values), None
        base = self.template.message
        envelope = Envelope(sender=base.sender, recipients=[values[self.placeholders.recipient]],
                            subject=base.subject,
                            msgId=base.msgId.replace(self.placeholders.message_local,
                                                     values[self.placeholders.message_local]))
        return envelope, self.template.personalize_bytes(values)


def _settings_rendered(settings):
    """Every setting :func:`render_notice` reads (the rest comes from the notice)."""
    return default_sender(settings), settings.reply_to, settings.list_id


def render_notice(notification, settings):
    """The notification's mail, rendered once, with placeholders for each subscriber.

    Reads no setting that :func:`_settings_rendered` does not name (the cache relies on it).
    """
    holders = Placeholders.fresh()
    context = notification.context
    links = {
        "manage_url": external_url("public.manage", token=holders.manage_token),
        "unsubscribe_url": external_url("public.unsubscribe", token=holders.unsubscribe_token),
    }
    one_click = external_url("public.unsubscribe_one_click", token=holders.unsubscribe_token)
    brand = context.get("brand") or {}
    shared = {"notice": context, "subject": notification.subject, "site_name": context["site_name"],
              "status_url": context["status_url"], "intro": context.get("intro", ""),
              "footer": context.get("footer", ""), "logo_url": brand.get("logo_url", ""),
              "accent": brand.get("accent", ""), **links}
    sender = default_sender(settings)
    domain = sender_domain(sender if isinstance(sender, str) else sender[1])
    message = build_message(
        sender=sender, recipient=holders.recipient, subject=notification.subject,
        text=render_template(f"email/{notification.kind}.txt", **shared),
        html=render_template(f"email/{notification.kind}.html", **shared),
        reply_to=settings.reply_to or None,
        headers={"List-Id": list_id_header(settings.list_id,
                                           current_app.config["STATUSMAIL_BASE_URL"]),
                 "List-Unsubscribe": f"<{one_click}>",
                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                 "Auto-Submitted": "auto-generated",
                 "Precedence": "bulk"},
        message_id=f"<{holders.message_local}@{domain}>")
    return RenderedNotice(MailTemplate(message, holders.words()), holders,
                          message_key(notification))


# Rendered notices a worker keeps for its next batches of the same notice.
_RENDERED = OrderedDict()
RENDERED_KEEP = 8
RENDERED_MAX_AGE = 30.0  # seconds; the copy's Date header is that old at most


def rendered_notice(notification, settings):
    """:func:`render_notice`, reused by this process's next batches of the notice.

    Rendering costs a few milliseconds (templates, then MIME), about a tenth of what a
    500-message batch spends outside sending. What a rendering depends on is all in the
    key: the notice's snapshot never changes, and the sender settings are part of it, so
    a change to them takes effect at the next batch as before.
    """
    key = (id(current_app._get_current_object()), notification.id, message_key(notification),
           notification.subject, *_settings_rendered(settings))
    now = time.monotonic()
    found = _RENDERED.get(key)
    if found is not None and now - found[0] <= RENDERED_MAX_AGE:
        return found[1]
    notice = render_notice(notification, settings)
    _RENDERED[key] = (now, notice)
    _RENDERED.move_to_end(key)
    while len(_RENDERED) > RENDERED_KEEP:
        _RENDERED.popitem(last=False)
    return notice


def compile_templates():
    """Compile every notice template now, so a fresh worker's first notice need not."""
    for kind in EVENT_KINDS:
        for extension in ("txt", "html"):
            current_app.jinja_env.get_template(f"email/{kind}.{extension}")
