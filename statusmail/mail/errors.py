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
    "tls_certificate": "TLS certificate not trusted",
    "starttls_unsupported": "Server does not offer STARTTLS",
    "auth_unsupported": "Server does not offer authentication",
    "auth": "Authentication rejected",
    "sender_rejected": "Sender address rejected",
    "recipient_rejected": "Recipient address rejected",
    "message_rejected": "Message rejected",
    "disconnected": "Server closed the connection",
    "temporary": "Temporary failure, will retry",
    "provider": "Provider API error",
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
SmtpCertificateError = _error("SmtpCertificateError", "tls_certificate", provider_wide=True)
StartTlsUnsupportedError = _error("StartTlsUnsupportedError", "starttls_unsupported",
                                  provider_wide=True)
AuthUnsupportedError = _error("AuthUnsupportedError", "auth_unsupported", provider_wide=True)
SmtpAuthError = _error("SmtpAuthError", "auth", provider_wide=True)
SenderRejectedError = _error("SenderRejectedError", "sender_rejected", provider_wide=True)
RecipientRejectedError = _error("RecipientRejectedError", "recipient_rejected")
MessageRejectedError = _error("MessageRejectedError", "message_rejected")
DisconnectedError = _error("DisconnectedError", "disconnected", retryable=True)
TemporaryError = _error("TemporaryError", "temporary", retryable=True)
ProviderError = _error("ProviderError", "provider")
