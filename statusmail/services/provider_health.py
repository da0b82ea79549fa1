"""A provider-wide failure (authentication, TLS, sender refused) stops sending and raises
a banner in the admin until the operator saves working settings."""
from ..extensions import db
from ..models import SiteSettings, utcnow


def record_provider_failure(exc):
    settings = SiteSettings.get()
    settings.provider_failure = exc.describe()
    settings.provider_failure_at = utcnow()


def clear_provider_failure():
    settings = SiteSettings.get()
    settings.provider_failure = None
    settings.provider_failure_at = None
    db.session.flush()
