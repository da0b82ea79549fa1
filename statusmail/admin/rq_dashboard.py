"""rq-dashboard under /admin/rq, for logged-in owners only (admin/permissions.py).

The dashboard has no authentication, no CSRF tokens on its POSTs, and a GET that
requeues jobs. So: the admin login gate in front of it, and every state-changing or
non-GET request must come from our own origin (Origin/Referer), which a cross-site
link or form cannot fake.

It also assumes a queue called "default": its Jobs tab opens on that queue, which this
app does not have, and its Queues tab lists only queues that have held a job. So the
app's own queues are registered on every dashboard request and the Jobs tab opens on
the first of them with work waiting. Its navigation bar (``templates/rq_dashboard/
navbar.html``, a copy of 0.9's with one link added) leads back to the admin.

Its views also crash on input they do not expect: an instance number past the list, a
job id that does not exist, a page that is not a number, "compact" on an empty queue
(RENAME of a key Redis does not have). :func:`_answer_bad_input` turns those into a 404
or 400 with a message.
"""
import functools
from urllib.parse import urlsplit

import rq_dashboard
from flask import abort, current_app, jsonify, redirect, request, url_for
from flask_login import current_user
from redis.exceptions import ResponseError
from rq import Queue
from rq.exceptions import NoSuchJobError

from ..extensions import csrf
from ..services import audit
from .permissions import allows, refuse

MOUNT = "/admin/rq"
# GET routes that change state in rq-dashboard 0.9.
_STATE_CHANGING_GET = ("/requeue", "/empty", "/delete", "/compact", "/cancel")
# What an audit entry of a dashboard action names (never a job's arguments).
_AUDITED_ARGS = ("queue_name", "registry_name", "job_id")
# The registries its views know; any other name leaves a variable unset (a 500).
_REGISTRIES = frozenset({"queued", "failed", "deferred", "started", "finished", "scheduled",
                         "canceled"})


JOBS_ENDPOINT = "rq_dashboard.jobs_overview"


def mount_rq_dashboard(app):
    app.config.setdefault("RQ_DASHBOARD_REDIS_URL", app.config["REDIS_URL"])
    rq_dashboard.web.setup_rq_connection(app)
    blueprint = rq_dashboard.blueprint
    csrf.exempt(blueprint)
    # First in line, before the dashboard's own hooks touch Redis. The blueprint is a
    # module global shared by every app this process creates: register the guard once.
    hooks = blueprint.before_request_funcs.setdefault(None, [])
    if guard not in hooks:
        hooks.insert(0, guard)
    app.register_blueprint(blueprint, url_prefix=MOUNT)
    for endpoint, view in list(app.view_functions.items()):
        if endpoint.startswith(blueprint.name + "."):
            app.view_functions[endpoint] = _answer_bad_input(view)
    app.view_functions[JOBS_ENDPOINT] = _open_on_our_queues(app.view_functions[JOBS_ENDPOINT])


def _our_queues():
    return list(current_app.extensions["queues"].values())


def register_our_queues():
    """Make the app's queues known to RQ's registry of queues (what rq itself does on
    the first enqueue), so that the dashboard lists them while they are still empty."""
    current_app.extensions["redis"].sadd(Queue.redis_queues_keys,
                                         *(queue.key for queue in _our_queues()))


def _open_on_our_queues(view):
    """The Jobs tab without a queue in its URL opens on ours, not on "default"."""
    @functools.wraps(view)
    def jobs(instance_number, queue_name, registry_name, per_page, order, page):
        if queue_name is None:
            queues = _our_queues()
            busy = next((queue for queue in queues if queue.count), queues[0])
            return redirect(url_for(JOBS_ENDPOINT, instance_number=instance_number,
                                    queue_name=busy.name, registry_name="queued",
                                    per_page=per_page, order=order, page=page))
        return view(instance_number, queue_name, registry_name, per_page, order, page)
    return jobs


def guard():
    if not current_user.is_authenticated:
        return redirect(url_for("admin.login", next=request.full_path))
    audit.act_as(audit.Actor.admin(current_user, request.remote_addr))
    if not allows(current_user, request.endpoint, request.method):
        return refuse(request.endpoint, request.method)
    registry = (request.view_args or {}).get("registry_name")
    if registry is not None and registry not in _REGISTRIES:
        return _refuse(404, "There is no such job registry.")
    if (request.view_args or {}).get("instance_number", 0) != 0:
        # We mount one Redis. The dashboard's own hook would index into the URL string
        # (or raise LookupError, a 500) for any other number.
        return _refuse(404, "There is no such Redis instance in this dashboard.")
    if _changes_state() and not _same_origin():
        abort(403)
    register_our_queues()
    return None


def _changes_state():
    return request.method != "GET" or any(marker in request.path
                                          for marker in _STATE_CHANGING_GET)


def _same_origin():
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source:
        return False
    origin = urlsplit(source)
    return (origin.scheme, origin.netloc) == (request.scheme, request.host)


def _answer_bad_input(view):
    """The dashboard's view, with its crashes on bad input answered as 4xx (per app:
    the blueprint itself is shared and stays untouched), and its actions in the audit log."""
    @functools.wraps(view)
    def guarded(*args, **kwargs):
        response = _answer(view, args, kwargs)
        if _changes_state() and current_app.make_response(response).status_code < 400:
            action = request.endpoint.partition(".")[2]
            audit.record("queue_action", f"Queues: {action.replace('_', ' ')}", action=action,
                         **{name: value for name, value in (request.view_args or {}).items()
                            if name in _AUDITED_ARGS})
        return response
    return guarded


def _answer(view, args, kwargs):
    try:
        return view(*args, **kwargs)
    except NoSuchJobError:
        return _refuse(404, "There is no such job (it may have finished and expired).")
    except LookupError:  # "Index exceeds RQ list": an instance number we do not have
        return _refuse(404, "There is no such Redis instance in this dashboard.")
    except ValueError:  # int() of a page or page size that is not a number
        return _refuse(400, "Page and page size must be whole numbers.")
    except ResponseError as error:
        if request.endpoint == "rq_dashboard.compact_queue" and "no such key" in str(error):
            return jsonify(status="OK")  # an empty queue: nothing to compact
        # Redis refusing the arguments (a page offset past 64 bits, say).
        return _refuse(400, f"Redis refused this request: {error}")


def _refuse(status, message):
    return jsonify(error=message), status
