"""Subscribe (page and embeddable widget), confirm by mail, manage preferences, unsubscribe.

A GET never changes anything: mail scanners follow every link in a mail. Changes happen
on POST, behind a button, except RFC 8058 one-click unsubscribe, which mailbox providers
POST without cookies.
"""
from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from wtforms.fields.choices import SelectChoice

from ..extensions import csrf, limiter
from ..models import SiteSettings
from ..security_headers import allow_any_framing
from ..services import subscriptions as service
from ..services.manage_links import request_manage_link
from ..services.validation import InvalidEmail, normalize_email
from ..tokens import TokenExpired, TokenInvalid
from ..wording import N_
from . import bp
from .page_cache import cached_page
from .forms import ActionForm, ManageLinkForm, PreferencesForm, SubscribeForm, \
    WidgetSubscribeForm

FRAMABLE_ENDPOINTS = frozenset({"public.widget"})
SUBSCRIPTION_ENDPOINTS = frozenset({"public.subscribe", "public.confirm", "public.manage",
                                    "public.manage_confirmation", "public.manage_link",
                                    "public.unsubscribe", "public.unsubscribe_one_click",
                                    "public.not_me"})


def _address_key():
    return "subscribe-address:" + _posted_address()


def _posted_address():
    try:
        return normalize_email(request.form.get("email"))
    except InvalidEmail:
        return ""


# Shared scopes: the page and the widget draw from the same allowance.
per_ip_limit = limiter.shared_limit(
    "5/minute;30/hour", scope="subscribe-ip", methods=["POST"],
    error_message=lambda: gettext("too many sign-ups from your network"))
per_address_limit = limiter.shared_limit(
    "5/hour;10/day", scope="subscribe-address", methods=["POST"], key_func=_address_key,
    exempt_when=lambda: not _posted_address(),
    error_message=lambda: gettext("too many sign-ups for this address"))


def _manage_link_address_key():
    return "manage-link-address:" + _posted_address()


# Like sign-up: per network and per address, the page and the status page's form alike.
manage_link_ip_limit = limiter.shared_limit(
    "5/minute;30/hour", scope="manage-link-ip", methods=["POST"],
    error_message=lambda: gettext("too many requests from your network"))
manage_link_address_limit = limiter.shared_limit(
    "3/hour;10/day", scope="manage-link-address", methods=["POST"],
    key_func=_manage_link_address_key, exempt_when=lambda: not _posted_address(),
    error_message=lambda: gettext("too many requests for this address"))


@bp.after_request
def frame_policy(response):
    """Only the widget may sit in another site's frame; the other pages refuse framing."""
    if request.endpoint in FRAMABLE_ENDPOINTS:
        allow_any_framing(response)
    elif request.endpoint in SUBSCRIPTION_ENDPOINTS:
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def _subscribe(form, template, source):
    """Every accepted sign-up gets the same page: it must not tell who is subscribed."""
    if not form.is_submitted():
        return render_template(template, form=form)
    valid = form.validate()
    if valid or (form.filled_by_bot and not form.csrf_token.errors):
        if not form.filled_by_bot:
            service.request_subscription(form.normalized_email, source=source)
        return render_template(template, sent=True)
    return render_template(template, form=form), 400


@bp.route("/subscribe", methods=["GET", "POST"])
@per_ip_limit
@per_address_limit
def subscribe():
    return _subscribe(SubscribeForm(), "public/subscribe.html", "page")


@bp.route("/widget", methods=["GET", "POST"])
@csrf.exempt  # the form checks Origin and its own signed token instead (see forms.py)
@per_ip_limit
@per_address_limit
@cached_page
def widget():
    return _subscribe(WidgetSubscribeForm(), "public/widget.html", "widget")


@bp.route("/manage-link", methods=["GET", "POST"], endpoint="manage_link")
@csrf.exempt  # the form checks Origin and its own signed token (it sits in cached pages)
@manage_link_ip_limit
@manage_link_address_limit
def manage_link():
    """"Email me my manage link". Every accepted request gets the same answer and does
    the same work (services/manage_links.py): it never tells who is subscribed."""
    form = ManageLinkForm()
    if not form.is_submitted():
        return render_template("public/manage_link.html", form=form)
    if form.validate() or (form.filled_by_bot and not form.csrf_token.errors):
        if not form.filled_by_bot:
            request_manage_link(form.normalized_email)
        return render_template("public/manage_link.html", sent=True)
    return render_template("public/manage_link.html", form=form), 400


def _bad_link(title, message, status=400):
    return render_template("public/link_invalid.html", title=gettext(title),
                           message=gettext(message)), status


def _stale_link():
    """The one answer for a genuine link that belongs to nobody now: its subscriber was
    removed, or its links were invalidated (by the operator, or by subscribing again).
    It never says more, so an old link shows nobody's address."""
    return render_template("public/link_invalid.html",
                           title=gettext("This link is no longer valid"),
                           message=gettext("It was made for a subscription that has ended or "
                                           "whose links have been replaced since."),
                           request_new=True), 400


def _manage_url(subscriber):
    return url_for("public.manage", token=service.link_token("manage", subscriber))


def _confirmed(subscriber, already):
    return render_template("public/confirmed.html", subscriber=subscriber, already=already,
                           manage_url=_manage_url(subscriber), heard=_what_is_heard(subscriber))


def _what_is_heard(subscriber):
    """The subscription's actual selection in words: "incidents and maintenance, for
    Database only" (the landing page states it rather than assuming the defaults)."""
    kinds = [gettext(name) for name, wanted in (
        (N_("incidents"), subscriber.notify_incidents),
        (N_("maintenance"), subscriber.notify_maintenance),
        (N_("component status changes"), subscriber.notify_component_changes)) if wanted]
    if subscriber.all_components:
        where = gettext("for every component")
    else:
        where = gettext("for %(components)s only",
                        components=_and_list(sorted(c.name for c in subscriber.components)))
    return gettext("%(kinds)s, %(where)s", kinds=_and_list(kinds) or gettext("nothing"),
                   where=where)


def _and_list(words):
    if len(words) < 2:
        return "".join(words)
    return gettext("%(first)s and %(last)s", first=", ".join(words[:-1]), last=words[-1])


@bp.route("/confirm/<token>", methods=["GET", "POST"], endpoint="confirm")
@limiter.limit("10/minute", methods=["POST"])
def confirm_page(token):
    form = ActionForm()
    try:
        subscriber = service.subscriber_from_token("confirm", token)
    except TokenExpired as exc:
        return _expired_confirmation(form, exc.payload)
    except TokenInvalid:
        return _bad_link(N_("This link is not valid"),
                         N_("The link may be cut short or mistyped. Copy the whole link from the "
                            "mail, or subscribe again to get a new one."))
    if subscriber is None:
        return _stale_link()
    if subscriber.status == "confirmed":
        return _confirmed(subscriber, already=True)
    if subscriber.status != "pending":
        return _bad_link(N_("This link is no longer valid"),
                         N_("This subscription ended after the link was sent. "
                            "Subscribe again if you want notices."))
    if form.validate_on_submit():
        outcome = service.confirm_subscription(subscriber)
        if outcome == "not_pending":
            return _bad_link(N_("This link is no longer valid"),
                             N_("This subscription ended after the link was sent."))
        return _confirmed(subscriber, already=outcome == "already_confirmed")
    return render_template("public/confirm.html", form=form, subscriber=subscriber)


def _expired_confirmation(form, link):
    """An expired link still proves we mailed its subscriber, if its key is current."""
    if link is None:
        return _bad_link(N_("This link is not valid"), N_("Subscribe again to get a new link."))
    subscriber = service.subscriber_for_link(link)
    if subscriber is None:
        return _stale_link()
    if subscriber.status == "confirmed":
        return _confirmed(subscriber, already=True)
    if form.validate_on_submit():
        service.resend_confirmation(subscriber)
        return render_template("public/confirm_resent.html", email=subscriber.email)
    return render_template("public/confirm_expired.html", form=form), 400


@bp.route("/manage/<token>", methods=["GET", "POST"], endpoint="manage")
@limiter.limit("20/minute", methods=["POST"])
def manage_page(token):
    try:
        subscriber = service.subscriber_from_token("manage", token)
    except TokenExpired:
        return _bad_link(N_("This link has expired"),
                         N_("Every notice we send carries a fresh link to your preferences. "
                            "Use the one in the latest mail."))
    except TokenInvalid:
        return _bad_link(N_("This link is not valid"),
                         N_("The link may be cut short or mistyped. Copy the whole link from the "
                            "latest notice we sent you."))
    if subscriber is None:
        return _stale_link()
    groups = service.components_by_group()
    form = PreferencesForm(data={
        "scope": "all" if subscriber.all_components else "selected",
        "components": [component.id for component in subscriber.components],
        "notify_incidents": subscriber.notify_incidents,
        "notify_maintenance": subscriber.notify_maintenance,
        "notify_component_changes": subscriber.notify_component_changes,
    })
    form.components.choices = [SelectChoice(c.id, c.name)
                              for _, components in groups for c in components]
    saveable = subscriber.status == "confirmed"
    if request.method == "POST" and not saveable:
        # Preferences of a subscription nobody confirmed (or that ended) would be saved for
        # nothing: the page says why and offers the way back, the server refuses the save.
        return _manage_page(form, subscriber, groups, saveable,
                            refused=str(_NOT_SAVEABLE[subscriber.status])), 409
    if form.validate_on_submit():
        service.update_preferences(
            subscriber, all_components=form.scope.data == "all",
            component_ids=form.components.data, notify_incidents=form.notify_incidents.data,
            notify_maintenance=form.notify_maintenance.data,
            notify_component_changes=form.notify_component_changes.data)
        flash(gettext("Your preferences are saved."), "success")
        return redirect(url_for("public.manage", token=token))
    return _manage_page(form, subscriber, groups, saveable), 400 if form.errors else 200


_NOT_SAVEABLE = {
    "pending": lazy_gettext("Nothing was saved: this address is not confirmed yet."),
    "unsubscribed": lazy_gettext("Nothing was saved: you are unsubscribed."),
    "bounced": lazy_gettext("Nothing was saved: mail to this address bounced."),
}


def _manage_page(form, subscriber, groups, saveable, refused=None):
    token = service.link_token("unsubscribe", subscriber)
    return render_template(
        "public/manage.html", form=form, subscriber=subscriber, groups=groups,
        saveable=saveable, refused=refused, leave_form=ActionForm(formdata=None),
        unsubscribe_url=url_for("public.unsubscribe", token=token),
        confirmation_url=url_for("public.manage_confirmation",
                                 token=service.link_token("manage", subscriber)))


@bp.route("/manage/<token>/confirmation", methods=["POST"], endpoint="manage_confirmation")
@limiter.limit("10/minute;20/hour", methods=["POST"])
def manage_confirmation(token):
    """The way back for a subscription that cannot take preferences: a pending one gets
    its confirmation mail again, an ended one subscribes again (confirmed by mail, like
    any sign-up; its old links stop working)."""
    try:
        subscriber = service.subscriber_from_token("manage", token)
    except TokenInvalid:
        return _bad_link(N_("This link is not valid"),
                         N_("Copy the whole link from the latest mail we sent you."))
    if subscriber is None:
        return _stale_link()
    form = ActionForm()
    if not form.validate_on_submit():
        return _bad_link(N_("This form has expired"), N_("Reload the page and try again."))
    if subscriber.status == "confirmed":
        return redirect(url_for("public.manage", token=token))
    service.request_subscription(subscriber.email, source=subscriber.source)
    return render_template("public/confirm_resent.html", email=subscriber.email)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"], endpoint="unsubscribe")
@limiter.limit("20/minute", methods=["POST"])
def unsubscribe_page(token):
    try:
        subscriber = service.subscriber_from_token("unsubscribe", token)
    except TokenInvalid:
        return _bad_link(N_("This link is not valid"),
                         N_("The link may be cut short or mistyped. Copy the whole link from the "
                            "mail; every notice we send carries one."))
    if subscriber is None:
        return _stale_link()
    form = ActionForm()
    if form.validate_on_submit():
        service.unsubscribe(subscriber)
    if subscriber.status not in ("pending", "confirmed"):
        resubscribe = SubscribeForm(formdata=None)
        return render_template("public/unsubscribed.html", subscriber=subscriber,
                               resubscribe_form=resubscribe)
    return render_template("public/unsubscribe.html", form=form, subscriber=subscriber,
                           manage_url=_manage_url(subscriber))


@bp.route("/unsubscribe/<token>/one-click", methods=["GET", "POST"],
          endpoint="unsubscribe_one_click")
@csrf.exempt  # RFC 8058: mailbox providers POST with no cookies and no form of ours
def unsubscribe_one_click(token):
    if request.method != "POST":
        # A person who opened the List-Unsubscribe URL itself (or a link checker) gets the
        # page with the button; nothing changes on a GET or HEAD.
        return redirect(url_for("public.unsubscribe", token=token), 303)
    if not _one_click_body():
        return _plain(gettext("This address takes the RFC 8058 one-click body "
                              "'List-Unsubscribe=One-Click', or an empty one."), 400)
    try:
        subscriber = service.subscriber_from_token("unsubscribe", token)
    except TokenInvalid:
        return _plain(gettext("This unsubscribe link is not valid."), 400)
    site_name = SiteSettings.get().status_page_name
    if subscriber is None:
        # Nobody to unsubscribe: the subscription ended or its links were replaced. Not a
        # failure the provider should retry, and the answer names no one.
        return _plain(gettext("This link no longer belongs to a subscription to %(site_name)s; "
                              "nothing was changed. Use the link in the latest mail.",
                              site_name=site_name), 200)
    service.unsubscribe(subscriber)
    return _plain(gettext("You are unsubscribed from %(site_name)s.", site_name=site_name), 200)


def _one_click_body():
    """RFC 8058's ``List-Unsubscribe=One-Click``, or nothing at all: some clients POST an
    empty body, and the signed URL alone says who and what. A body naming anything else
    is someone else's request, refused."""
    if request.form.get("List-Unsubscribe") == "One-Click":
        return True
    return not request.form and not request.files and not request.get_data(cache=True)


def _plain(text, status):
    return Response(text + "\n", status=status, mimetype="text/plain")
