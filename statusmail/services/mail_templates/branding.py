"""The mail layout's branding: a logo and an accent colour (the page name is its own
setting). Validated when saved; the layout falls back to today's look when unset."""
import re
from urllib.parse import urlsplit

DEFAULT_ACCENT = "#2563eb"
LOGO_URL_MAX = 2048
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


class BrandingProblem(ValueError):
    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def clean_logo_url(value):
    """``""`` or an absolute ``https://`` URL with a host and nothing a mail client could
    misread (no spaces, quotes or angle brackets, no credentials)."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) > LOGO_URL_MAX:
        raise BrandingProblem("logo_url", f"Keep the logo URL under {LOGO_URL_MAX:,} characters.")
    if any(ch.isspace() or ch in "\"'<>\\`" or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise BrandingProblem("logo_url", "The logo URL may not contain spaces, quotes or "
                                          "angle brackets.")
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise BrandingProblem("logo_url", "This is not a valid URL.") from None
    if parts.scheme.lower() != "https" or not host:
        raise BrandingProblem("logo_url", "The logo URL must start with https:// and name a host.")
    if parts.username or parts.password:
        raise BrandingProblem("logo_url", "The logo URL may not carry a user name or password.")
    return value


def clean_accent(value):
    """``""`` or ``#rrggbb`` (lower case)."""
    value = (value or "").strip()
    if not value:
        return ""
    if not _HEX_COLOUR.fullmatch(value):
        raise BrandingProblem("accent_color", "Give the colour as #rrggbb, e.g. #2563eb.")
    return value.lower()


def brand_of(settings):
    """What the mail layout reads: ``{"logo_url", "accent"}`` (a draft of unsaved
    delivery settings, being tried, carries no branding: today's look)."""
    return {"logo_url": getattr(settings, "mail_logo_url", None) or "",
            "accent": getattr(settings, "mail_accent_color", None) or DEFAULT_ACCENT}
