"""Email delivery configured by environment variables, for deployments kept as code.

``STATUSMAIL_SMTP_URL`` (``smtp+tls://user:password@smtp.example.com:587``) or
``STATUSMAIL_SENDGRID_API_KEY`` picks the provider; ``STATUSMAIL_MAIL_FROM`` (``Example
Status <status@example.com>``) and ``STATUSMAIL_MAIL_REPLY_TO`` name the sender. They
are checked when the app starts (a bad value stops it, naming the variable but never
echoing a secret) and laid over the stored settings at use time
(:mod:`.delivery_settings`): they take precedence while set, and the values the operator
saved in Email settings, never overwritten, are in force again once they are unset.
While they are set, Email settings shows the provider and sender as the environment's
and does not edit them.
"""
from email.utils import parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from ..mail.addresses import credential_problem
from .email_settings import SECURITY_LABELS
from .validation import InvalidEmail, normalize_email

SMTP_URL = "STATUSMAIL_SMTP_URL"
SENDGRID_KEY = "STATUSMAIL_SENDGRID_API_KEY"
MAIL_FROM = "STATUSMAIL_MAIL_FROM"
MAIL_REPLY_TO = "STATUSMAIL_MAIL_REPLY_TO"
VARIABLES = (SMTP_URL, SENDGRID_KEY, MAIL_FROM, MAIL_REPLY_TO)

# The schemes django-environ and dj-email-url made familiar.
SCHEMES = {"smtp": "none", "smtp+tls": "starttls", "smtp+starttls": "starttls",
           "smtp+ssl": "ssl", "smtps": "ssl"}
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}


class MailEnvironmentError(ValueError):
    """A delivery variable is malformed; the message names it and says how to fix it."""


def parse_mail_environment(environ):
    """The settings the environment fixes, as ``{field: value}``; ``None`` when it fixes none."""
    values = {name: (environ.get(name) or "").strip() for name in VARIABLES}
    if not values[SMTP_URL] and not values[SENDGRID_KEY]:
        stray = [name for name in (MAIL_FROM, MAIL_REPLY_TO) if values[name]]
        if stray:
            raise MailEnvironmentError(
                f"{stray[0]} is set but no provider is: set {SMTP_URL} or {SENDGRID_KEY} too, "
                "or unset it and choose the sender in Email settings.")
        return None
    if values[SMTP_URL] and values[SENDGRID_KEY]:
        raise MailEnvironmentError(f"Set either {SMTP_URL} or {SENDGRID_KEY}, not both.")
    if values[SMTP_URL]:
        fields = _smtp_fields(values[SMTP_URL])
    else:
        fields = {"provider": "sendgrid",
                  "sendgrid_api_key": _credential(SENDGRID_KEY, values[SENDGRID_KEY], "API key")}
    if not values[MAIL_FROM]:
        raise MailEnvironmentError(
            f"{MAIL_FROM} is needed with {SMTP_URL if values[SMTP_URL] else SENDGRID_KEY}: "
            "the address mail comes from, e.g. \"Example Status <status@example.com>\".")
    name, address = parseaddr(values[MAIL_FROM])
    fields["from_address"] = _address(MAIL_FROM, address)
    fields["from_name"] = name.strip() or None
    fields["reply_to"] = (_address(MAIL_REPLY_TO, parseaddr(values[MAIL_REPLY_TO])[1])
                          if values[MAIL_REPLY_TO] else None)
    return fields


def _smtp_fields(url):
    problem = f"{SMTP_URL} should look like smtp+tls://user:password@smtp.example.com:587"
    parts = urlsplit(url)
    security = SCHEMES.get(parts.scheme.lower())
    if security is None:
        raise MailEnvironmentError(
            f"{problem}: its scheme must be smtp+tls or smtp+starttls (STARTTLS), smtp+ssl or "
            "smtps (TLS from the first byte, implicit TLS) or smtp (no encryption).")
    try:
        port = parts.port if parts.port is not None else DEFAULT_PORTS[security]
    except ValueError:  # not a number, or beyond 65535
        port = 0
    if not parts.hostname:
        raise MailEnvironmentError(f"{problem}: it names no host.")
    if not 1 <= port <= 65535:
        raise MailEnvironmentError(f"{problem}: the port must be a number from 1 to 65535.")
    options = parse_qs(parts.query)
    unknown = sorted(set(options) - {"timeout"})
    if unknown:
        raise MailEnvironmentError(f"{SMTP_URL}: unknown option {unknown[0]!r}; "
                                   "only timeout (seconds) is understood.")
    timeout = options.get("timeout", ["15"])[-1]
    if not timeout.isdigit() or not 1 <= int(timeout) <= 120:
        raise MailEnvironmentError(f"{SMTP_URL}: timeout must be 1 to 120 seconds.")
    return {"provider": "smtp", "smtp_host": parts.hostname, "smtp_port": port,
            "smtp_security": security, "smtp_timeout": int(timeout),
            "smtp_username": (_credential(SMTP_URL, unquote(parts.username), "username")
                              if parts.username else None),
            "smtp_password": (_credential(SMTP_URL, unquote(parts.password), "password")
                              if parts.password else None)}


def _credential(variable, value, label):
    """The problem is named, never the value (it may be the secret)."""
    problem = credential_problem(value, label)
    if problem:
        raise MailEnvironmentError(f"{variable}: {problem}")
    return value


def _address(variable, raw):
    try:
        return normalize_email(raw)
    except InvalidEmail as exc:
        raise MailEnvironmentError(f"{variable} holds no usable address: {exc}") from None


def describe_mail_environment(fields):
    """What the environment fixes, for the admin: labels and values, secrets as "set"."""
    rows = [("Provider", {"smtp": "SMTP server", "sendgrid": "SendGrid API"}[fields["provider"]])]
    if fields["provider"] == "smtp":
        rows += [("Server", f"{fields['smtp_host']}:{fields['smtp_port']}"),
                 ("Security", SECURITY_LABELS[fields["smtp_security"]]),
                 ("Username", fields["smtp_username"] or "none (no login)"),
                 ("Password", "set (encrypted at rest, never shown)" if fields["smtp_password"]
                  else "none"),
                 ("Timeout", f"{fields['smtp_timeout']} s")]
    else:
        rows.append(("API key", "set (encrypted at rest, never shown)"))
    sender = (f"{fields['from_name']} <{fields['from_address']}>" if fields["from_name"]
              else fields["from_address"])
    rows += [("From", sender), ("Reply-To", fields["reply_to"] or "the From address")]
    return rows
