"""Subscribe, confirm, manage and unsubscribe (to be built)."""
from . import bp  # noqa: F401
