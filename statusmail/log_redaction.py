"""Keep signed link tokens out of every log line.

Confirm, manage, unsubscribe and password-reset links carry a signed token in their
path; whoever reads an access log holding one can act as that subscriber or admin. The
set of such paths is derived from the app's URL map (every rule with a ``token``
argument), so a new tokened route is covered without anyone remembering this module.

``install(app)`` records the app's tokened rules and puts :class:`RedactingFilter` on the
log handlers the app writes through (the root handler ``logging.basicConfig`` made, which
also carries werkzeug's development-server request lines, and Flask's default handler).
gunicorn's loggers get the same filter from ``statusmail.gunicorn_logging``.
"""
import logging
import re

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, RequestRedirect, Rule

PLACEHOLDER = "REDACTED"
TOKEN_ARGUMENT = "token"
# A path, optionally preceded by scheme://host (a Referer), up to a quote, space or query.
_PATH_IN_TEXT = re.compile(r"(?:\b[a-z][a-z0-9+.-]*://[^/\s\"']+)?(/[^\s\"'?#]*)", re.IGNORECASE)


class TokenPathRedactor:
    """Rewrites paths that match a tokened route so that the token reads ``REDACTED``."""

    def __init__(self, url_map):
        rules = [Rule(rule.rule, endpoint=index, strict_slashes=False)
                 for index, rule in enumerate(url_map.iter_rules())
                 if TOKEN_ARGUMENT in rule.arguments]
        self.rule_count = len(rules)
        # Methods dropped: a tokened path in a log line is secret whatever the method.
        self._adapter = Map(rules, converters=url_map.converters).bind("redaction.invalid")

    def path(self, path):
        try:
            endpoint, arguments = self._adapter.match(path, method="GET")
        except (HTTPException, RequestRedirect):
            return path
        arguments[TOKEN_ARGUMENT] = PLACEHOLDER
        return self._adapter.build(endpoint, arguments)

    def text(self, text):
        """Every path (or URL) in free text, e.g. a request line or a Referer."""
        if not self.rule_count or "/" not in text:
            return text

        def replace(match):
            path = match.group(1)
            redacted = self.path(path)
            return match.group(0) if redacted == path else match.group(0)[:-len(path)] + redacted
        return _PATH_IN_TEXT.sub(replace, text)


_redactor = None


def current_redactor():
    """The redactor of the app this process built (None before ``create_app``)."""
    return _redactor


def redact(text):
    return _redactor.text(text) if _redactor else text


class RedactingFilter(logging.Filter):
    """Formats the record's message once, redacted, so handlers print the safe text."""

    def filter(self, record):
        if _redactor is None:
            return True
        message = record.getMessage()
        redacted = _redactor.text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


FILTER = RedactingFilter()


def attach(handler_or_logger):
    if FILTER not in handler_or_logger.filters:
        handler_or_logger.addFilter(FILTER)


def install(app):
    from flask.logging import default_handler
    global _redactor
    _redactor = TokenPathRedactor(app.url_map)
    for handler in [*logging.getLogger().handlers, default_handler]:
        attach(handler)
    # Loggers whose records some handler may print without passing the root's handlers.
    for name in ("werkzeug", app.logger.name):
        attach(logging.getLogger(name))
