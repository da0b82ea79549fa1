"""The ``List-Id`` header (RFC 2919) every notice carries, so that mail clients can file,
filter and mute a status page's notices as one list.

The identifier is a dot-atom such as ``status.example.com``: the operator may set one, or
it is the host name of STATUSMAIL_BASE_URL. A host without a dot (``localhost``) or an
IP literal is not a list namespace, so it is put under ``localhost``, the namespace RFC
2919 reserves for lists without a domain of their own.
"""
import ipaddress
import re
from urllib.parse import urlsplit

LIST_ID_MAX = 255
_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def clean_list_id(value):
    """The identifier as stored: surrounding space and angle brackets dropped."""
    text = (value or "").strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    return text


def list_id_problem(value):
    """Why ``value`` (as cleaned) cannot be a List-Id, or ``None``."""
    if len(value) > LIST_ID_MAX:
        return f"Keep the List-Id under {LIST_ID_MAX} characters."
    labels = value.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return ("A List-Id is a name with dots made of letters, digits and hyphens, "
                "e.g. status.example.com (no spaces, no @, no angle brackets inside).")
    return None


def derived_list_id(base_url):
    """The List-Id for a site at ``base_url`` when the operator set none."""
    host = (urlsplit(base_url).hostname or "").rstrip(".")
    if host and list_id_problem(host) is None and not _is_ip(host):
        return host.lower()
    if host and _LABEL.match(host):
        return f"{host.lower()}.localhost"
    return "status.localhost"


def list_id_header(configured, base_url):
    """``<identifier>``: the operator's, or the one derived from the base URL."""
    return f"<{configured or derived_list_id(base_url)}>"


def _is_ip(host):
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
