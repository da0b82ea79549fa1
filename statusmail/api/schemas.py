"""Reading JSON requests and writing JSON answers for the API.

Request bodies are checked for shape here (types, unknown keys, nesting, characters no
text may hold); the services check the rules. Either way a failure becomes an
``ApiError`` that names the field.
"""
from datetime import datetime, timezone

from flask import request

from ..services.links import external_url
from ..services.text_validation import text_problem

# No body we take nests deeper than 3 (components: [{"id": …}]); the margin is for
# error messages, not for use. Python's parser itself gives up near 1,000 levels.
MAX_NESTING = 16


class ApiError(Exception):
    def __init__(self, status, message, field=None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field

    def payload(self):
        return {"error": self.message, **({"field": self.field} if self.field else {})}


def json_body(allowed, required=True):
    """The request's JSON object, refusing keys outside ``allowed`` (typos go unnoticed
    otherwise: a misspelt ``notify`` would silently mail every subscriber)."""
    if not required and not request.get_data():
        return {}
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        raise ApiError(400, _TOO_DEEP) from None
    if not isinstance(body, dict):
        raise ApiError(400, "Send a JSON object in the request body, with "
                       "'Content-Type: application/json'.")
    _check_nesting_and_text(body)
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise ApiError(422, f"Unknown field {unknown[0]!r}. Expected: "
                       + ", ".join(allowed) + ".", unknown[0])
    return body


_TOO_DEEP = f"The JSON body is nested too deeply (more than {MAX_NESTING} levels)."


def _check_nesting_and_text(body):
    """Walk the body without recursion (a deep body must not exhaust the stack here
    either): refuse deep nesting, and strings no field may hold (NUL, control
    characters, lone surrogates). Each field's own rules come later, in the services."""
    pending = [(key, value, 1) for key, value in body.items()]
    while pending:
        field, value, depth = pending.pop()
        if depth > MAX_NESTING:
            raise ApiError(400, _TOO_DEEP, field)
        if isinstance(value, dict):
            pending += [(field, key, depth + 1) for key in value]
            pending += [(field, item, depth + 1) for item in value.values()]
        elif isinstance(value, list):
            pending += [(field, item, depth + 1) for item in value]
        problem = text_problem(value, multi_line=True) or text_problem(field, multi_line=True)
        if problem:
            raise ApiError(422, f"'{_printable(field)}': {problem}", _printable(field))


def _printable(name):
    """A field name safe to echo back in a message (it may hold the very characters)."""
    return name if not text_problem(name) else name.encode("unicode_escape").decode("ascii")


def flag(body, key, default=True):
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise ApiError(422, f"'{key}' must be true or false.", key)
    return value


def whole_number(value, key):
    if not isinstance(value, int) or isinstance(value, bool):
        raise ApiError(422, f"'{key}' must hold whole numbers (ids).", key)
    return value


def timestamp(body, key):
    """An ISO 8601 time with its UTC offset → naive UTC."""
    raw = body.get(key)
    if not isinstance(raw, str) or not raw.strip():
        raise ApiError(422, f"'{key}' is required: an ISO 8601 time with its offset, "
                       "e.g. 2030-06-01T22:00:00+02:00.", key)
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise ApiError(422, f"'{key}' is not an ISO 8601 time: {raw!r}. "
                       "Example: 2030-06-01T22:00:00+02:00.", key) from None
    if value.tzinfo is None:
        raise ApiError(422, f"'{key}' needs a UTC offset (e.g. +02:00 or Z) so that it "
                       "cannot be read in the wrong time zone.", key)
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def affected_components(body):
    """``components: [{"id": 1, "status": "major_outage"}, …]`` → ``[(1, "major_outage")]``."""
    entries = body.get("components", [])
    if not isinstance(entries, list):
        raise ApiError(422, "'components' must be a list of {\"id\": …, \"status\": …}.",
                       "components")
    pairs = []
    for entry in entries:
        if not isinstance(entry, dict) or set(entry) != {"id", "status"}:
            raise ApiError(422, "Each entry of 'components' needs exactly 'id' and 'status'.",
                           "components")
        pairs.append((whole_number(entry["id"], "components"), entry["status"]))
    return pairs


def id_list(body, key):
    values = body.get(key, [])
    if not isinstance(values, list):
        raise ApiError(422, f"'{key}' must be a list of component ids.", key)
    return [whole_number(value, key) for value in values]


def utc(value):
    return value.replace(tzinfo=timezone.utc).isoformat() if value else None


def component_json(component):
    return {"id": component.id, "name": component.name, "group": component.group_name,
            "description": component.description, "status": component.status,
            "position": component.position, "updated_at": utc(component.updated_at)}


def update_json(entry):
    return {"id": entry.id, "status": entry.status, "message": entry.message,
            "created_at": utc(entry.created_at)}


def incident_json(incident):
    return {
        "id": incident.id, "title": incident.title, "impact": incident.impact,
        "status": incident.status, "created_at": utc(incident.created_at),
        "resolved_at": utc(incident.resolved_at), "draft": incident.draft,
        "backfilled": incident.backfilled,
        "url": external_url("public.incident", incident_id=incident.id),
        "components": [{"id": link.component_id, "name": link.component.name,
                        "status": link.new_status} for link in incident.affected],
        "updates": [update_json(entry) for entry in incident.updates],
    }


def maintenance_json(maintenance):
    return {
        "id": maintenance.id, "title": maintenance.title,
        "description": maintenance.description, "status": maintenance.status,
        "starts_at": utc(maintenance.starts_at), "ends_at": utc(maintenance.ends_at),
        "started_at": utc(maintenance.started_at),
        "completed_at": utc(maintenance.completed_at), "notify": maintenance.notify,
        "notify_scheduled": maintenance.notify_scheduled,
        "notify_reminder": maintenance.notify_reminder,
        "notify_started": maintenance.notify_started,
        "notify_completed": maintenance.notify_completed,
        "reminder_minutes": maintenance.reminder_minutes,
        "remind_at": utc(maintenance.remind_at),
        "reminder_sent_at": utc(maintenance.reminder_sent_at),
        "url": external_url("public.maintenance", maintenance_id=maintenance.id),
        "components": [{"id": component.id, "name": component.name}
                       for component in maintenance.components],
        "updates": [maintenance_update_json(entry) for entry in maintenance.updates],
    }


def maintenance_update_json(entry):
    return {"id": entry.id, "status": entry.status, "message": entry.message,
            "created_at": utc(entry.created_at)}
