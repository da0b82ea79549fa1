"""statusmail: email notifications for a status page."""
import logging
import os

import redis
from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from rq import Queue
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import default_instance_path, load_config
from .embedded_redis import ensure_redis
from .instance_files import prepare_sqlite_file, private_dir
from . import extensions, i18n, log_redaction, security_headers
from .extensions import csrf, db, limiter, login_manager, migrate
from .request_input import (
    ClosingRequest, GuardBodyReads, RowIdConverter, refuse_control_characters_in_query,
)

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Workers listen in this order: one-off mail first, notices, then long subscriber
# exports and imports (a worker busy with one never holds up the others).
QUEUE_NAMES = ("outbound", "fanout", "bulk")


def create_app(config=None):
    """Build the app. ``config`` overrides settings (tests pass theirs here)."""
    app = Flask(__name__, instance_path=default_instance_path(),
                template_folder=os.path.join(PROJECT_ROOT, "templates"),
                static_folder=os.path.join(PROJECT_ROOT, "static"))
    app.config.update(load_config(app.instance_path))
    if config:
        app.config.update(config)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from .public.page_cache import PageCache
    app.wsgi_app = GuardBodyReads(app.wsgi_app)  # innermost: only the app reads the body
    app.wsgi_app = PageCache(app.wsgi_app, app.config["SESSION_COOKIE_NAME"])
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    if app.config["STATUSMAIL_ENV"] != "production" or os.path.isdir(app.instance_path):
        private_dir(app.instance_path)
    prepare_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])
    app.request_class = ClosingRequest
    # Before any route is added: every <int:…> then only matches what an id column holds.
    app.url_map.converters["int"] = RowIdConverter
    app.before_request(refuse_control_characters_in_query)

    _init_redis(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(PROJECT_ROOT, "migrations"), render_as_batch=True)
    _register_upload_limits(app)  # before CSRF, whose check reads the body
    csrf.init_app(app)
    # Not imported by name: it would clash with the statusmail.mail package.
    extensions.mail.init_app(app)
    # Before the limiter: Flask runs after-request hooks last-registered first, so this
    # one sees the headers the limiter adds.
    _register_retry_after_scope(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app)
    _register_blueprints(app)
    _register_error_handlers(app)
    _register_template_helpers(app)
    security_headers.register(app)
    log_redaction.install(app)

    from . import cli
    cli.register(app)
    return app


def _init_redis(app):
    url = ensure_redis(app.config["REDIS_URL"], app.instance_path,
                       app.config["STATUSMAIL_EMBEDDED_REDIS"])
    app.config["REDIS_URL"] = url
    connection = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=60)
    app.extensions["redis"] = connection
    app.extensions["queues"] = {name: Queue(name, connection=connection) for name in QUEUE_NAMES}
    app.config.setdefault("RATELIMIT_STORAGE_URI",
                          "redis+unix://" + url[len("unix://"):] if url.startswith("unix://") else url)


RETRY_AFTER_STATUSES = (429, 503)


def _register_retry_after_scope(app):
    """``Retry-After`` only where it means something: "too many requests" and "unavailable".

    Flask-Limiter adds it to every response of a limited route (with the seconds until
    its window resets); on a 200 it tells clients and proxies to back off for nothing.
    The ``X-RateLimit-*`` headers keep saying how much of the limit is left.
    """
    @app.after_request
    def drop_retry_after_unless_refused(response):
        if response.status_code not in RETRY_AFTER_STATUSES:
            response.headers.pop("Retry-After", None)
        return response


def large_upload(view):
    """Mark a view that accepts a body up to ``IMPORT_MAX_BYTES`` (spooled to disk)."""
    view.large_upload = True
    return view


def _register_upload_limits(app):
    @app.before_request
    def raise_limit_for_uploads():
        view = app.view_functions.get(request.endpoint)
        if getattr(view, "large_upload", False):
            request.max_content_length = app.config["IMPORT_MAX_BYTES"]


def _register_blueprints(app):
    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .ops import bp as ops_bp
    from .public import bp as public_bp
    from .webhooks import bp as webhooks_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(ops_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    from .admin.rq_dashboard import mount_rq_dashboard
    mount_rq_dashboard(app)


def _wants_json():
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _register_error_handlers(app):
    """Error pages use the public layout, so they speak the status page's language."""
    from flask_babel import gettext

    def render_error(status, title, message):
        if _wants_json():
            return jsonify(error=message), status
        return render_template("error.html", title=title, message=message), status

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render_error(400, gettext("Form expired"),
                            gettext("This form was open too long or came from another site. "
                                    "Go back, reload the page and submit again."))

    @app.errorhandler(400)
    def bad_request(exc):
        return render_error(400, gettext("Bad request"), exc.description)

    @app.errorhandler(404)
    def not_found(exc):
        return render_error(404, gettext("Not found"), gettext("There is nothing at this address."))

    @app.errorhandler(405)
    def method_not_allowed(exc):
        return render_error(405, gettext("Method not allowed"),
                            gettext("This address does not accept that request."))

    @app.errorhandler(413)
    def too_large(exc):
        limit_mb = (request.max_content_length or app.config["MAX_CONTENT_LENGTH"]) / (1024 * 1024)
        return render_error(413, gettext("Upload too large"),
                            gettext("The upload is larger than the %(limit)s MB limit. Split "
                                    "the file into smaller parts and upload them one after the "
                                    "other.", limit=f"{limit_mb:g}"))

    @app.errorhandler(429)
    def too_many(exc):
        return render_error(429, gettext("Too many requests"),
                            gettext("Too many attempts (%(reason)s). Wait a little and try again.",
                                    reason=exc.description))

    @app.errorhandler(500)
    def server_error(exc):
        return render_error(500, gettext("Something went wrong"),
                            gettext("The server hit an error; it has been logged. Try again "
                                    "shortly."))


def _register_template_helpers(app):
    from .services.timezones import format_local
    from .masking import masked_address
    from .wording import count_of

    from .markdown import to_html, to_text

    app.jinja_env.filters["localtime"] = format_local
    app.jinja_env.filters["count_of"] = count_of
    app.jinja_env.filters["masked"] = masked_address
    app.jinja_env.filters["markdown"] = to_html
    app.jinja_env.filters["markdown_text"] = to_text

    @app.context_processor
    def site_context():
        from .services.request_settings import current_settings
        return {"site_name": current_settings().status_page_name, "html_lang": i18n.html_lang()}
