"""Named sending errors, each with a diagnosis a person can act on.

Library exceptions (socket, ssl, smtplib, requests) are translated into these at the
edge, in :mod:`statusmail.mail.transports`; nothing above it sees a raw one.
"""

DIAGNOSES = {
    "not_configured": "Email delivery is not configured",
    "secret_unreadable": "Stored credential cannot be decrypted",
    "dns": "Host name does not resolve",
    "refused": "Connection refused",
    "timeout": "Connection timed out",
    "tls_handshake": "TLS handshake failed",
    "tls_port": "This port speaks TLS from the first byte",
    "tls_certificate": "TLS certificate not trusted",
    "starttls_unsupported": "Server does not offer STARTTLS",
    "auth_unsupported": "Server does not offer authentication",
    "auth": "Authentication rejected",
    "auth_required": "The server wants a username and password",
    "sender_rejected": "Sender address rejected",
    "recipient_rejected": "Recipient address rejected",
    "message_rejected": "Message rejected",
    "disconnected": "Server closed the connection",
    "temporary": "Temporary failure, will retry",
    "provider": "Provider API error",
    "unsendable": "Message cannot be encoded",
    "unsendable_setting": "A setting cannot be put in a mail",
    "unexpected": "Unexpected error while sending",
    "dkim_key": "DKIM key cannot be used",
}


# What to try next, per diagnosis: shown under a failed test send.
HINTS = {
    "not_configured": "Open Email settings, choose a delivery provider and complete its section.",
    "secret_unreadable": "Enter the password or API key again in Email settings and save.",
    "dns": "Check the spelling of the host name, and that this server can resolve public names.",
    "refused": "Check host and port. Providers listen on 587 (STARTTLS) or 465 (SSL/TLS); "
               "many hosting companies block outgoing port 25.",
    "timeout": "A firewall probably drops the connection, or the port and security setting "
               "do not match (465 needs SSL/TLS). Raise the timeout only for a known slow server.",
    "tls_handshake": "Match the security setting to the port: 465 uses SSL/TLS, 587 and 25 use "
                     "STARTTLS.",
    "tls_port": "Choose SSL/TLS in Email settings (port 465 usually speaks it), or keep "
                "STARTTLS and use the server's STARTTLS port (usually 587).",
    "tls_certificate": "Use the host name the certificate was issued for (usually the provider's "
                       "name, not an IP address). For a private CA set STATUSMAIL_SMTP_CA_FILE; "
                       "for a self-signed server you trust, name it as the self-signed host.",
    "starttls_unsupported": "Choose SSL/TLS if the port is 465; choose no encryption only on a "
                            "network you trust.",
    "auth_unsupported": "Leave the username blank if the server relays without logging in, or "
                        "choose STARTTLS: many servers offer login only after it.",
    "auth": "Check the username and password. SendGrid wants an API key with the Mail Send "
            "permission; Gmail wants an app password, not the account password.",
    "auth_required": "Enter the SMTP username and password your provider gave you in Email "
                     "settings, with STARTTLS or SSL/TLS so they do not cross the network in "
                     "the clear.",
    "sender_rejected": "Use a From address on a domain or sender your provider has verified "
                       "for this account.",
    "recipient_rejected": "Check the recipient address: the server does not accept mail for it.",
    "message_rejected": "The server refused the content; its reply says why (size, spam filter, "
                        "policy).",
    "disconnected": "The server ended the session early: check that the security setting "
                    "matches the port, then try again.",
    "temporary": "The server asked us to try later (greylisting, a rate limit, or a busy server). "
                 "Real mail is retried automatically; send another test in a few minutes.",
    "provider": "Read the provider's reply below: it names what it refused.",
    "unsendable": "The address or a header holds characters a mail cannot carry; the detail "
                  "names it. Correct the address (or remove the subscriber).",
    "unsendable_setting": "Correct the value the detail names in Email settings (or in the "
                          "environment variable that sets it) and save.",
    "unexpected": "Nothing was sent for this mail. The worker's log holds the traceback; "
                  "other mail carries on.",
    "dkim_key": "Open Email settings → DKIM signing: generate or paste the key again, or "
                "disable signing. Nothing is sent unsigned while a key is enabled.",
}


class MailError(Exception):
    """A send failed. ``retryable``: trying later may work. ``provider_wide``: every
    message would fail the same way, so sending should stop until the operator acts."""

    diagnosis = "provider"
    retryable = False
    provider_wide = False

    def __init__(self, detail, code=None, server_reply=None):
        super().__init__(detail)
        self.detail = detail
        self.code = code
        self.server_reply = server_reply

    @property
    def title(self):
        return DIAGNOSES[self.diagnosis]

    def describe(self):
        """One line for logs, the admin and the delivery log."""
        text = f"{self.title}: {self.detail}"
        if self.code:
            text += f" (server said {self.code} {self.server_reply or ''})".rstrip()
        return text


def split_description(text, diagnosis=None, code=None):
    """Undo :meth:`MailError.describe` for a stored line: ``(detail, server reply or None)``."""
    detail = text or ""
    title = DIAGNOSES.get(diagnosis)
    if title and detail.startswith(title + ": "):
        detail = detail[len(title) + 2:]
    marker = f" (server said {code}"
    if code and marker in detail and detail.endswith(")"):
        detail, _, reply = detail.rpartition(marker)
        return detail, reply[:-1].strip()
    return detail, None


def _error(name, diagnosis, retryable=False, provider_wide=False):
    return type(name, (MailError,), {
        "diagnosis": diagnosis, "retryable": retryable, "provider_wide": provider_wide,
        "__doc__": DIAGNOSES[diagnosis] + ".",
    })


NotConfiguredError = _error("NotConfiguredError", "not_configured", provider_wide=True)
SecretUnreadableError = _error("SecretUnreadableError", "secret_unreadable", provider_wide=True)
DnsError = _error("DnsError", "dns", retryable=True)
ConnectionRefusedMailError = _error("ConnectionRefusedMailError", "refused", retryable=True)
SmtpTimeoutError = _error("SmtpTimeoutError", "timeout", retryable=True)
SmtpTlsError = _error("SmtpTlsError", "tls_handshake", provider_wide=True)
ImplicitTlsPortError = _error("ImplicitTlsPortError", "tls_port", provider_wide=True)
SmtpCertificateError = _error("SmtpCertificateError", "tls_certificate", provider_wide=True)
StartTlsUnsupportedError = _error("StartTlsUnsupportedError", "starttls_unsupported",
                                  provider_wide=True)
AuthUnsupportedError = _error("AuthUnsupportedError", "auth_unsupported", provider_wide=True)
SmtpAuthError = _error("SmtpAuthError", "auth", provider_wide=True)
AuthRequiredError = _error("AuthRequiredError", "auth_required", provider_wide=True)
SenderRejectedError = _error("SenderRejectedError", "sender_rejected", provider_wide=True)
RecipientRejectedError = _error("RecipientRejectedError", "recipient_rejected")
MessageRejectedError = _error("MessageRejectedError", "message_rejected")
DisconnectedError = _error("DisconnectedError", "disconnected", retryable=True)
TemporaryError = _error("TemporaryError", "temporary", retryable=True)
ProviderError = _error("ProviderError", "provider")
UnsendableError = _error("UnsendableError", "unsendable")
UnsendableSettingError = _error("UnsendableSettingError", "unsendable_setting",
                                provider_wide=True)
UnexpectedError = _error("UnexpectedError", "unexpected")
DkimKeyError = _error("DkimKeyError", "dkim_key", provider_wide=True)


class PersonalizationsRefusedError(ProviderError):
    """SendGrid refused a request for some of its personalizations (a 400 naming
    ``personalizations.N``): nothing in the request was sent. ``refused`` maps each
    named personalization's index to what SendGrid said about it; the others may be
    sent again at once without them."""

    def __init__(self, detail, code, server_reply, refused):
        super().__init__(detail, code, server_reply)
        self.refused = refused


def unexpected(exc):
    """An exception nobody translated, as a final failure of the one mail it struck."""
    return UnexpectedError(f"{type(exc).__name__}: {exc}"[:1000])
