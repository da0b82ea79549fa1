"""Admin: api_tokens (to be built)."""
from . import bp  # noqa: F401
