"""Admin: captured (to be built)."""
from . import bp  # noqa: F401
