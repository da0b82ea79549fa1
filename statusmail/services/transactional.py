"""Rendering one-off mail: subscription confirmation, manage link, password reset, invitation,
test send. A subscriber's mail is in the status page's language; the admin's own mail
(password reset, invitation, test send) stays English, as the admin does."""
from flask import render_template
from flask_babel import force_locale, gettext

from ..extensions import db
from ..mail.compose import build_message, make_message_id, sender_domain
from ..models import AdminUser, Subscriber
from ..tokens import make_subscriber_token, make_token
from .delivery_settings import delivery_settings
from .links import external_url
from .manage_links import manage_link_recipient
from .timezones import format_local, zone_or_utc
from .mail_templates import customize
from .mail_templates.branding import brand_of
from .mail_templates.subjects import default_confirm_subject
from .mail_templates.variables import CONFIRM
from .security.team import invitation_link_token, live_invitation
from ..i18n import SOURCE_LANGUAGE


def default_sender(settings):
    address = settings.from_address or "statusmail@localhost"
    return (settings.from_name, address) if settings.from_name else address


def _render(template, **context):
    return (render_template(f"email/{template}.txt", **context),
            render_template(f"email/{template}.html", **context))


def _render_for_operator(template, **context):
    with force_locale(SOURCE_LANGUAGE):
        return _render(template, **context)


def why_confirmation(subscriber, row, settings):
    """Why this confirmation mail came: when, and where the request was made. A person
    who never asked (someone typed their address) learns what happened and can stop it."""
    site = settings.status_page_name
    when = format_local(row.created_at or subscriber.created_at, "%Y-%m-%d %H:%M %Z",
                        zone=zone_or_utc(settings.timezone))
    if subscriber.source in ("import", "admin"):
        return gettext("An operator of %(site)s added this address to its list of subscribers "
                       "on %(when)s, and we ask you to confirm before sending any notice.",
                       site=site, when=when)
    if subscriber.source == "page":
        return gettext("Someone — hopefully you — asked on %(when)s on the subscribe page "
                       "%(url)s for status updates from %(site)s to be sent to this address.",
                       when=when, url=external_url("public.subscribe"), site=site)
    if subscriber.source == "widget":
        return gettext("Someone — hopefully you — asked on %(when)s in the subscribe form of "
                       "%(site)s (on its status page or a site that embeds it) for status "
                       "updates from %(site)s to be sent to this address.", when=when, site=site)
    if subscriber.source == "api":
        return gettext("Someone — hopefully you — asked on %(when)s through %(site)s's API for "
                       "status updates from %(site)s to be sent to this address.",
                       when=when, site=site)
    return gettext("Someone — hopefully you — asked on %(when)s at %(url)s for status updates "
                   "from %(site)s to be sent to this address.",
                   when=when, url=external_url("public.index"), site=site)


def render_outbound(row, settings=None):
    """The Flask-Mail message for an ``OutboundMail`` row; ``None`` if it no longer applies.

    ``settings``: unsaved ones being tried (with a row never stored); those in force otherwise.
    """
    settings = settings or delivery_settings()
    sender = default_sender(settings)
    domain = sender_domain(sender if isinstance(sender, str) else sender[1])
    brand = brand_of(settings)
    common = {"site_name": settings.status_page_name, "status_url": external_url("public.index"),
              "logo_url": brand["logo_url"], "accent": brand["accent"]}
    headers = {"Auto-Submitted": "auto-generated"}

    if row.kind == "confirm":
        subscriber = db.session.get(Subscriber, row.subscriber_id)
        if subscriber is None or subscriber.status != "pending":
            return None
        token = make_subscriber_token("confirm", subscriber.id, subscriber.link_key)
        not_me = make_subscriber_token("not-me", subscriber.id, subscriber.link_key)
        applied = customize.apply(customize.load(CONFIRM), CONFIRM, common)
        subject = applied.subject or default_confirm_subject(settings.status_page_name)
        text, html = _render("confirm", confirm_url=external_url("public.confirm", token=token),
                             not_me_url=external_url("public.not_me", token=not_me),
                             why=why_confirmation(subscriber, row, settings),
                             intro=applied.intro, footer=applied.footer, **common)
    elif row.kind == "manage_link":
        subscriber = manage_link_recipient(row)
        if subscriber is None:
            return None
        confirmed = subscriber.status == "confirmed"
        purpose, endpoint = ("manage", "public.manage") if confirmed else \
            ("confirm", "public.confirm")
        link = external_url(endpoint, token=make_subscriber_token(purpose, subscriber.id,
                                                                  subscriber.link_key))
        subject = (gettext("Your %(site_name)s notification preferences",
                           site_name=settings.status_page_name) if confirmed
                   else default_confirm_subject(settings.status_page_name))
        # A pending address may never have asked: it can stop all mail, as from a confirmation.
        not_me_url = None if confirmed else external_url(
            "public.not_me", token=make_subscriber_token("not-me", subscriber.id,
                                                         subscriber.link_key))
        text, html = _render("manage_link", confirmed=confirmed, link=link,
                             not_me_url=not_me_url, **common)
    elif row.kind == "password_reset":
        user = db.session.get(AdminUser, row.admin_user_id)
        if user is None:
            return None
        token = make_token("password-reset", {"uid": user.id, "pw": user.password_fingerprint()})
        subject = f"Reset your {settings.status_page_name} admin password"
        text, html = _render_for_operator(
            "password_reset", reset_url=external_url("admin.reset_password", token=token),
            **common)
    elif row.kind == "invitation":
        invitation = live_invitation(row.invitation_id)
        if invitation is None:  # revoked, accepted or expired since it was queued
            return None
        subject = f"You are invited to the {settings.status_page_name} admin"
        text, html = _render_for_operator(
            "invitation", role=invitation.role,
            accept_url=external_url("admin.accept_invitation",
                                    token=invitation_link_token(invitation)),
            expires_at=invitation.expires_at, **common)
    elif row.kind == "test":
        subject = row.subject
        text, html = _render_for_operator("test", body=row.body, **common)
    else:
        raise ValueError(f"unknown outbound kind {row.kind!r}")

    return build_message(sender=sender, recipient=row.recipient, subject=subject, text=text,
                         html=html, reply_to=settings.reply_to or None, headers=headers,
                         message_id=make_message_id(domain, prefix=f"{row.kind}.{row.id or 'trial'}."))
