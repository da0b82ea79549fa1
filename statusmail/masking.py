"""Addresses as pages reached by a link show them: ``j***@example.com``.

Confirm, manage and unsubscribe pages are opened from shared inboxes and forwarded mails;
whoever holds the link may act on it, but need not learn whose subscription it is. The
first character and the domain are enough for the owner to recognise the address.
"""


def masked_address(address):
    local, at, domain = (address or "").rpartition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"
