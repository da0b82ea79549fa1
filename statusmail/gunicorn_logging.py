"""gunicorn's logger with signed tokens redacted from access and error lines.

gunicorn writes the request line and the Referer of every request; both carry the
tokens of confirm, manage, unsubscribe and password-reset links. The filter formats each
line and rewrites tokened paths (see ``statusmail.log_redaction``), whatever
``access_log_format`` an operator sets. It works in the worker processes, which build the
app (and with it the list of tokened routes) before they serve a request.
"""
from gunicorn.glogging import Logger

from .log_redaction import attach


class RedactingLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.access_log, self.error_log):
            attach(log)
