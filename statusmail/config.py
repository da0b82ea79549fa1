"""Settings from the environment.

Development generates missing secrets once and keeps them under ``instance/`` so that
web, worker and scheduler agree on them; production refuses to start without them.
"""
import json
import os
import secrets
from datetime import timedelta

from cryptography.fernet import Fernet

from .instance_files import private_dir, private_file

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Signing keys shorter than this are guessable offline from one signed link.
MIN_SECRET_KEY_BYTES = 32
HSTS_DEFAULT_MAX_AGE = 365 * 24 * 3600


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message says which and how to fix it."""


def default_instance_path():
    """Where development secrets, SQLite and the embedded Redis live."""
    return os.environ.get("STATUSMAIL_INSTANCE_PATH") or os.path.join(PROJECT_ROOT, "instance")


SECRET_SETTINGS = {
    "SECRET_KEY": lambda: secrets.token_urlsafe(48),
    "STATUSMAIL_ENCRYPTION_KEY": lambda: Fernet.generate_key().decode(),
}


def _instance_secrets(instance_path):
    """Secrets generated for development, created on first use and then reused."""
    path = os.path.join(instance_path, "secrets.json")
    private_dir(instance_path)
    try:
        with open(path) as fh:
            stored = json.load(fh)
    except FileNotFoundError:
        stored = {}
    missing = {name: make() for name, make in SECRET_SETTINGS.items() if name not in stored}
    if missing:
        stored.update(missing)
        private_file(path)
        with open(path, "w") as fh:
            json.dump(stored, fh, indent=2)
    elif os.stat(path).st_mode & 0o077:
        private_file(path)
    return stored


def _int_env(name, default):
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}.") from None


def _bounded_int_env(name, default, most):
    value = _int_env(name, default)
    if not 1 <= value <= most:
        raise ConfigError(f"{name} must be between 1 and {most}, not {value}.")
    return value


def _mail_environment():
    """Delivery settings fixed by the environment (see services.mail_environment)."""
    from .services.mail_environment import MailEnvironmentError, parse_mail_environment
    try:
        return parse_mail_environment(os.environ)
    except MailEnvironmentError as exc:
        raise ConfigError(str(exc)) from None


def load_config(instance_path):
    """Build the configuration mapping for ``create_app``."""
    env = os.environ.get("STATUSMAIL_ENV", "development")
    production = env == "production"
    config = {
        "STATUSMAIL_ENV": env,
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL")
        or "sqlite:///" + os.path.join(instance_path, "statusmail.sqlite3"),
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "STATUSMAIL_BASE_URL": os.environ.get("STATUSMAIL_BASE_URL", "http://127.0.0.1:5000"),
        "STATUSMAIL_EMBEDDED_REDIS": not production,
        "CONFIRM_MAX_AGE_HOURS": _int_env("STATUSMAIL_CONFIRM_MAX_AGE_HOURS", 48),
        "DELIVERY_LEASE_SECONDS": _int_env("STATUSMAIL_DELIVERY_LEASE_SECONDS", 300),
        "FANOUT_BATCH_SIZE": _int_env("STATUSMAIL_FANOUT_BATCH_SIZE", 500),
        "FANOUT_RETRY_BASE_SECONDS": _int_env("STATUSMAIL_FANOUT_RETRY_BASE_SECONDS", 30),
        # SendGrid's API elsewhere: the EU region (https://api.eu.sendgrid.com), or a test double.
        "SENDGRID_API_URL": os.environ.get("STATUSMAIL_SENDGRID_API_URL") or None,
        # Recipients of a notice per SendGrid request (personalizations; 1,000 at most);
        # a fan-out batch for SendGrid is this size. 1: one request per message.
        "SENDGRID_RECIPIENTS_PER_REQUEST": _bounded_int_env(
            "STATUSMAIL_SENDGRID_RECIPIENTS_PER_REQUEST", 1000, most=1000),
        "SCHEDULER_INTERVAL": _int_env("STATUSMAIL_SCHEDULER_INTERVAL", 5),
        # Reverse proxies in front of the web process whose X-Forwarded-* headers to trust
        # (rate limits key on the client address).
        "TRUSTED_PROXIES": _int_env("STATUSMAIL_TRUSTED_PROXIES", 0),
        # Bearer token Prometheus sends to /metrics; unset: loopback clients only.
        "METRICS_TOKEN": os.environ.get("STATUSMAIL_METRICS_TOKEN") or None,
        # Extra CA certificates (PEM) trusted for SMTP TLS, besides the system's: a private CA.
        "STATUSMAIL_SMTP_CA_FILE": os.environ.get("STATUSMAIL_SMTP_CA_FILE") or None,
        # The largest request body anywhere but the CSV import: forms are small.
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        # The largest CSV import: it is copied to disk and read as a stream, so this bounds
        # disk, not memory (250 MB: over two million addresses, or a 2M-row export).
        "IMPORT_MAX_BYTES": _int_env("STATUSMAIL_MAX_UPLOAD_MB", 250) * 1024 * 1024,
        # Captured mail (no provider set) kept at most: the oldest goes first beyond it.
        "CAPTURE_MAX_BYTES": _bounded_int_env("STATUSMAIL_CAPTURE_MAX_MB", 200,
                                              most=1024 * 1024) * 1024 * 1024,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        # Admin sessions end on the server after this long idle / since sign-in
        # (services/security/sessions.py); the signed cookie itself expires with the latter.
        "SESSION_IDLE_MINUTES": _bounded_int_env("STATUSMAIL_SESSION_IDLE_MINUTES", 30,
                                                 most=7 * 24 * 60),
        "SESSION_MAX_HOURS": _bounded_int_env("STATUSMAIL_SESSION_MAX_HOURS", 12, most=31 * 24),
        "WTF_CSRF_TIME_LIMIT": None,
        # Browsers remember to use HTTPS only; production is served over HTTPS (README).
        "HSTS_MAX_AGE": _int_env("STATUSMAIL_HSTS_MAX_AGE", HSTS_DEFAULT_MAX_AGE) if production else 0,
    }
    config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=config["SESSION_MAX_HOURS"])
    if os.environ.get("SERVER_NAME"):
        config["SERVER_NAME"] = os.environ["SERVER_NAME"]
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgres://"):
        # Heroku-style URLs name a dialect SQLAlchemy no longer accepts.
        config["SQLALCHEMY_DATABASE_URI"] = "postgresql://" + config["SQLALCHEMY_DATABASE_URI"][11:]

    from_env = {name: os.environ.get(name) for name in SECRET_SETTINGS}
    missing = [name for name, value in from_env.items() if not value]
    if missing and production:
        raise ConfigError(
            "STATUSMAIL_ENV=production needs " + ", ".join(missing) + ". "
            "Set them in the environment (see README, 'Configuration'); a Fernet key comes from "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
        )
    if config["STATUSMAIL_SMTP_CA_FILE"] and not os.path.isfile(config["STATUSMAIL_SMTP_CA_FILE"]):
        raise ConfigError(f"STATUSMAIL_SMTP_CA_FILE names {config['STATUSMAIL_SMTP_CA_FILE']!r}, "
                          "which is not a readable file; point it at a PEM CA bundle or unset it.")
    config["MAIL_ENVIRONMENT"] = _mail_environment()
    if production and not config["REDIS_URL"]:
        raise ConfigError("STATUSMAIL_ENV=production needs REDIS_URL (redis://host:6379/0).")
    if missing:
        from_env.update({name: value for name, value in _instance_secrets(instance_path).items()
                         if not from_env.get(name)})
    config.update(from_env)
    _check_secrets(config, production)
    return config


def _check_secrets(config, production):
    if production and len(config["SECRET_KEY"].encode()) < MIN_SECRET_KEY_BYTES:
        raise ConfigError(
            f"SECRET_KEY is {len(config['SECRET_KEY'].encode())} bytes; production needs at least "
            f"{MIN_SECRET_KEY_BYTES}. Generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`.")
    keys = [key.strip() for key in config["STATUSMAIL_ENCRYPTION_KEY"].split(",") if key.strip()]
    for position, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except ValueError:
            raise ConfigError(
                f"STATUSMAIL_ENCRYPTION_KEY: key {position} of {len(keys)} is not a Fernet key "
                "(32 url-safe base64 bytes); keys are comma-separated, the first encrypts."
            ) from None
    if not keys:
        raise ConfigError("STATUSMAIL_ENCRYPTION_KEY is empty; set one Fernet key (see README).")
