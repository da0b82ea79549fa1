"""Admin: email_settings (to be built)."""
from . import bp  # noqa: F401
