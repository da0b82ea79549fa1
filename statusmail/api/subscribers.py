"""API routes for subscribers (see docs/api.md): list (keyset pages, filters by address
and status), read one, add one (a confirmation mail, or confirmed with a consent note),
delete one. Adding and deleting do what the admin's buttons do (the same services)."""
from flask import g, jsonify, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Subscriber
from ..models.subscribers import SUBSCRIBER_STATUSES
from ..services import subscriber_additions as additions
from ..services.subscriber_admin import SubscriberActionRefused, remove_subscriber
from ..services.text_validation import text_problem
from ..services.validation import InvalidEmail, normalize_email
from . import bp
from .schemas import ApiError, json_body, utc
from .views import _list_limit

EMAIL_MAX = 254


def api_actor():
    """How the history names what the API did: the token's name, never the token."""
    return f"API token \u201c{g.api_token.name}\u201d"


def subscriber_json(subscriber, history=None):
    answer = {
        "id": subscriber.id, "email": subscriber.email, "status": subscriber.status,
        "source": subscriber.source, "created_at": utc(subscriber.created_at),
        "confirmed_at": utc(subscriber.confirmed_at),
        "unsubscribed_at": utc(subscriber.unsubscribed_at),
        "all_components": subscriber.all_components,
        "components": [] if subscriber.all_components else [
            {"id": component.id, "name": component.name} for component in subscriber.components],
        "notify_incidents": subscriber.notify_incidents,
        "notify_maintenance": subscriber.notify_maintenance,
        "notify_component_changes": subscriber.notify_component_changes,
    }
    if history is not None:
        answer["history"] = [{"at": utc(entry.at), "what": entry.what, "actor": entry.actor,
                              "consent_note": entry.consent_note} for entry in history]
    return answer


def _query_text(name):
    value = request.args.get(name)
    if value is None:
        return None
    value = value.strip().lower()
    if not value or len(value) > EMAIL_MAX:
        raise ApiError(400, f"'{name}' must be 1 to {EMAIL_MAX} characters.", name)
    problem = text_problem(value)
    if problem:  # PostgreSQL refuses a NUL in a query outright: say so, not a 500
        raise ApiError(400, f"'{name}': {problem}", name)
    return value


def _cursor():
    raw = request.args.get("after")
    if raw is None:
        return None
    if not raw.isdigit() or not 0 < int(raw) < 2 ** 63:
        raise ApiError(400, "'after' must be the 'next_after' of a previous page.", "after")
    return int(raw)


def _filters():
    clauses = []
    email, prefix = _query_text("email"), _query_text("email_prefix")
    if email is not None and prefix is not None:
        raise ApiError(400, "Send 'email' (exact) or 'email_prefix', not both.", "email")
    if email is not None:
        clauses.append(Subscriber.email == email)
    if prefix is not None:
        escaped = prefix.replace("/", "//").replace("%", "/%").replace("_", "/_")
        clauses.append(Subscriber.email.like(escaped + "%", escape="/"))
    status = request.args.get("status")
    if status is not None:
        if status not in SUBSCRIBER_STATUSES:
            raise ApiError(400, "'status' must be one of: " + ", ".join(SUBSCRIBER_STATUSES)
                           + ".", "status")
        clauses.append(Subscriber.status == status)
    return clauses


@bp.get("/subscribers")
def list_subscribers():
    """Newest first, ``limit`` at a time; ``next_after`` (and the ``next`` URL) fetch the
    page after, by id: no OFFSET, so the last page costs what the first does."""
    limit, after = _list_limit(), _cursor()
    query = select(Subscriber).where(*_filters()).options(selectinload(Subscriber.components))
    if after is not None:
        query = query.where(Subscriber.id < after)
    rows = db.session.scalars(query.order_by(Subscriber.id.desc()).limit(limit + 1)).all()
    page, more = rows[:limit], len(rows) > limit
    next_after = page[-1].id if more else None
    args = {key: value for key, value in request.args.items() if key != "after"}
    return jsonify(subscribers=[subscriber_json(s) for s in page], next_after=next_after,
                   next=url_for("api.list_subscribers", after=next_after, _external=True, **args)
                   if more else None)


def _subscriber(subscriber_id):
    subscriber = db.session.get(Subscriber, subscriber_id)
    if subscriber is None:
        raise ApiError(404, f"There is no subscriber with id {subscriber_id}.")
    return subscriber


@bp.get("/subscribers/<int:subscriber_id>")
def get_subscriber(subscriber_id):
    subscriber = _subscriber(subscriber_id)
    return jsonify(subscriber=subscriber_json(subscriber, additions.history(subscriber)))


@bp.post("/subscribers")
def create_subscriber():
    body = json_body(("email", "confirm", "consent_note"))
    raw = body.get("email")
    if not isinstance(raw, str):
        raise ApiError(422, "'email' is required: the address to add.", "email")
    try:
        email = normalize_email(raw)
    except InvalidEmail as exc:
        raise ApiError(422, str(exc), "email") from None
    confirm = body.get("confirm", "send")
    if confirm not in additions.CONFIRM_CHOICES:
        raise ApiError(422, "'confirm' must be \"send\" (a confirmation mail; the default) or "
                       "\"skip\" (confirmed now, with a 'consent_note').", "confirm")
    note = body.get("consent_note")
    if note is not None and not isinstance(note, str):
        raise ApiError(422, "'consent_note' must be text.", "consent_note")
    if confirm == "skip":
        problem = additions.consent_note_problem(note)
        if problem:
            raise ApiError(422, problem, "consent_note")
    elif note is not None:
        raise ApiError(422, "'consent_note' goes with \"confirm\": \"skip\"; a confirmation "
                       "mail is its own consent.", "consent_note")
    try:
        subscriber = additions.add_subscriber(email, confirm=confirm, consent_note=note,
                                              actor=api_actor(), source="api")
    except additions.AddressSuppressed as exc:
        raise ApiError(409, str(exc), "email") from None
    except additions.SubscriberExists as exc:
        response = jsonify(error=str(exc), field="email", id=exc.subscriber_id)
        response.headers["Location"] = url_for("api.get_subscriber",
                                               subscriber_id=exc.subscriber_id, _external=True)
        return response, 409
    response = jsonify(subscriber=subscriber_json(subscriber, additions.history(subscriber)))
    response.headers["Location"] = url_for("api.get_subscriber", subscriber_id=subscriber.id,
                                           _external=True)
    return response, 201


@bp.delete("/subscribers/<int:subscriber_id>")
def delete_subscriber(subscriber_id):
    """The admin's *Remove*: the subscriber and their delivery history go."""
    _subscriber(subscriber_id)
    try:
        email = remove_subscriber(subscriber_id)
    except SubscriberActionRefused as exc:
        raise ApiError(404, str(exc)) from None
    return jsonify(deleted={"id": subscriber_id, "email": email})
