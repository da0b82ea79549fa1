"""Admin: incidents (to be built)."""
from . import bp  # noqa: F401
