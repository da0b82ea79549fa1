"""Transports: SMTP, SendGrid's v3 API, and local capture.

Each is opened from the settings row at send time (settings change without a restart),
keeps one connection for many messages, and raises only :mod:`.errors` exceptions.
"""
import smtplib
import socket
import ssl

import requests
from flask import current_app

from .. import crypto
from ..extensions import db
from ..models import CapturedMail
from . import errors
from .compose import display_sender, envelope_sender, sender_domain, to_bytes

SENDGRID_DEFAULT_URL = "https://api.sendgrid.com"


def open_transport(settings):
    """The transport the settings ask for; capture while none is configured."""
    if settings.provider == "smtp" and settings.smtp_host:
        try:
            password = (crypto.decrypt(settings.smtp_password_encrypted)
                        if settings.smtp_password_encrypted else None)
        except crypto.SecretUnreadable as exc:
            raise errors.SecretUnreadableError(str(exc)) from None
        return SmtpTransport(
            host=settings.smtp_host, port=settings.smtp_port, security=settings.smtp_security,
            username=settings.smtp_username or None, password=password,
            timeout=settings.smtp_timeout, unverified_host=settings.smtp_tls_unverified_host,
            helo_domain=sender_domain(settings.from_address or ""),
        )
    if settings.provider == "sendgrid" and settings.sendgrid_api_key_encrypted:
        try:
            api_key = crypto.decrypt(settings.sendgrid_api_key_encrypted)
        except crypto.SecretUnreadable as exc:
            raise errors.SecretUnreadableError(str(exc)) from None
        return SendGridTransport(api_key, timeout=settings.smtp_timeout)
    if settings.provider in ("smtp", "sendgrid"):
        raise errors.NotConfiguredError(
            f"{settings.provider} is selected but its host or key is missing; complete Email settings."
        )
    return CaptureTransport()


class Transport:
    """Context manager; ``send`` returns ``(code, reply)`` once the mail is accepted."""

    name = "transport"

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc):
        self.close()

    def open(self):
        pass

    def close(self):
        pass


class CaptureTransport(Transport):
    """Stores mail in the database (admin → Captured mail) instead of sending it.

    The row joins the caller's transaction, so it is committed with the delivery state.
    """

    name = "capture"

    def send(self, message, raw=None):
        raw = raw if raw is not None else to_bytes(message)
        row = CapturedMail(sender=envelope_sender(message), recipient=message.recipients[0],
                           subject=message.subject[:998], raw=raw)
        db.session.add(row)
        db.session.flush()
        return 250, f"captured locally as #{row.id}"


class SmtpTransport(Transport):
    name = "smtp"

    def __init__(self, *, host, port, security, username, password, timeout, unverified_host,
                 helo_domain):
        self.host, self.port, self.security = host, port, security
        self.username, self.password, self.timeout = username, password, timeout
        self.unverified_host = unverified_host
        self.helo_domain = helo_domain
        self.smtp = None

    def _tls_context(self):
        context = ssl.create_default_context()
        if self.unverified_host and self.unverified_host.lower() == self.host.lower():
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def open(self):
        where = f"{self.host}:{self.port}"
        try:
            if self.security == "ssl":
                self.smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                             local_hostname=self.helo_domain,
                                             context=self._tls_context())
            else:
                self.smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout,
                                         local_hostname=self.helo_domain)
            self.smtp.ehlo()
            if self.security == "starttls":
                if not self.smtp.has_extn("starttls"):
                    raise errors.StartTlsUnsupportedError(
                        f"{where} does not offer STARTTLS. Choose SSL/TLS (usually port 465) "
                        "or, only on a trusted network, no encryption.")
                code, reply = self.smtp.starttls(context=self._tls_context())
                if code != 220:
                    raise errors.SmtpTlsError(f"{where} refused STARTTLS", code, _text(reply))
                self.smtp.ehlo()
            if self.username:
                if not self.smtp.has_extn("auth"):
                    hint = (" It may only offer AUTH after STARTTLS." if self.security == "none"
                            else "")
                    raise errors.AuthUnsupportedError(
                        f"{where} does not offer AUTH, but a username is set.{hint}")
                self.smtp.login(self.username, self.password or "")
        except errors.MailError:
            self._abort()
            raise
        except socket.gaierror as exc:
            self._abort()
            raise errors.DnsError(f"cannot resolve {self.host!r} ({exc.strerror}). "
                                  "Check the SMTP host name.") from None
        except ConnectionRefusedError:
            self._abort()
            raise errors.ConnectionRefusedMailError(
                f"nothing accepts connections on {where}. Check host and port, and that "
                "the server runs and a firewall lets the port through.") from None
        except (socket.timeout, TimeoutError):
            self._abort()
            raise errors.SmtpTimeoutError(
                f"{where} did not answer within {self.timeout} s. The port may be blocked "
                "by a firewall, or the timeout too short.") from None
        except ssl.SSLCertVerificationError as exc:
            self._abort()
            raise errors.SmtpCertificateError(
                f"the certificate of {self.host} is not trusted ({exc.verify_message}). Fix the "
                "certificate, or name this host as self-signed in Email settings.") from None
        except ssl.SSLError as exc:
            self._abort()
            hint = (" Port 587 usually expects STARTTLS, not SSL/TLS." if self.security == "ssl"
                    else "")
            raise errors.SmtpTlsError(f"TLS with {where} failed ({exc.reason or exc}).{hint}") from None
        except smtplib.SMTPAuthenticationError as exc:
            self._abort()
            raise errors.SmtpAuthError(
                f"{where} rejected the username or password.", exc.smtp_code,
                _text(exc.smtp_error)) from None
        except smtplib.SMTPNotSupportedError as exc:
            self._abort()
            raise errors.AuthUnsupportedError(f"{where}: {exc}") from None
        except smtplib.SMTPConnectError as exc:
            self._abort()
            raise errors.ConnectionRefusedMailError(
                f"{where} refused the session in its greeting.", exc.smtp_code,
                _text(exc.smtp_error)) from None
        except smtplib.SMTPServerDisconnected as exc:
            self._abort()
            hint = (" A server on an SSL/TLS port (465) closes plain connections: try SSL/TLS."
                    if self.security != "ssl" else "")
            raise errors.DisconnectedError(f"{where} closed the connection ({exc}).{hint}") from None
        except smtplib.SMTPResponseException as exc:
            self._abort()
            raise _reply_error(exc.smtp_code, exc.smtp_error, f"{where} refused the session")
        except OSError as exc:
            self._abort()
            raise errors.ConnectionRefusedMailError(f"cannot reach {where} ({exc}).") from None

    def _abort(self):
        if self.smtp is not None:
            try:
                self.smtp.close()
            finally:
                self.smtp = None

    def close(self):
        if self.smtp is None:
            return
        try:
            self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            self._abort()

    def send(self, message, raw=None):
        """One envelope per recipient (a multi-recipient envelope hides refusals)."""
        if self.smtp is None:
            self.open()
        raw = raw if raw is not None else to_bytes(message)
        sender, recipient = envelope_sender(message), message.recipients[0]
        try:
            code, reply = self.smtp.mail(sender)
            if code != 250:
                self._reset()
                raise _reply_error(code, reply, f"MAIL FROM:<{sender}> refused",
                                   errors.SenderRejectedError)
            code, reply = self.smtp.rcpt(recipient)
            if code not in (250, 251):
                self._reset()
                raise _reply_error(code, reply, f"RCPT TO:<{recipient}> refused",
                                   errors.RecipientRejectedError)
            code, reply = self.smtp.data(raw)
            if code != 250:
                self._reset()
                raise _reply_error(code, reply, "the message was refused after DATA",
                                   errors.MessageRejectedError)
            return code, _text(reply)
        except smtplib.SMTPServerDisconnected as exc:
            self._abort()
            raise errors.DisconnectedError(f"the server closed the connection ({exc})") from None
        except (socket.timeout, TimeoutError):
            self._abort()
            raise errors.SmtpTimeoutError(f"no answer within {self.timeout} s while sending") from None
        except smtplib.SMTPResponseException as exc:
            self._abort()
            raise _reply_error(exc.smtp_code, exc.smtp_error, "the server refused the message")
        except OSError as exc:
            self._abort()
            raise errors.DisconnectedError(f"connection lost while sending ({exc})") from None

    def _reset(self):
        try:
            self.smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._abort()


def _text(reply):
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply or "")


def _reply_error(code, reply, detail, permanent=errors.MessageRejectedError):
    """4xx is worth retrying; 5xx is final."""
    text = _text(reply)
    if 400 <= (code or 0) < 500:
        return errors.TemporaryError(detail, code, text)
    if code in (530, 535, 538):
        return errors.SmtpAuthError(detail + "; the server wants authentication", code, text)
    return permanent(detail, code, text)


class SendGridTransport(Transport):
    """SendGrid's v3 ``mail/send`` API; ``SENDGRID_API_URL`` points tests at a local double."""

    name = "sendgrid"

    def __init__(self, api_key, timeout):
        self.api_key, self.timeout = api_key, timeout
        self.session = None

    def open(self):
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {self.api_key}"

    def close(self):
        if self.session is not None:
            self.session.close()
            self.session = None

    def send(self, message, raw=None):
        if self.session is None:
            self.open()
        url = current_app.config.get("SENDGRID_API_URL", SENDGRID_DEFAULT_URL) + "/v3/mail/send"
        sender = message.sender
        payload = {
            "personalizations": [{"to": [{"email": message.recipients[0]}]}],
            "from": ({"email": sender[1], "name": sender[0]} if isinstance(sender, tuple)
                     else {"email": sender}),
            "subject": message.subject,
            "content": [{"type": "text/plain", "value": message.body or ""}]
            + ([{"type": "text/html", "value": message.html}] if message.html else []),
            "headers": {**(message.extra_headers or {}), "Message-ID": message.msgId},
        }
        if message.reply_to:
            payload["reply_to"] = {"email": message.reply_to}
        try:
            response = self.session.post(url, json=payload, timeout=self.timeout)
        except requests.Timeout:
            raise errors.SmtpTimeoutError(f"SendGrid did not answer within {self.timeout} s") from None
        except requests.ConnectionError as exc:
            raise errors.ConnectionRefusedMailError(f"cannot reach SendGrid ({exc})") from None
        if response.status_code == 202:
            return 202, response.headers.get("X-Message-Id", "accepted")
        detail = _sendgrid_errors(response)
        if response.status_code in (401, 403):
            raise errors.SmtpAuthError(
                "SendGrid rejected the API key (it needs the Mail Send permission)",
                response.status_code, detail)
        if response.status_code == 429 or response.status_code >= 500:
            raise errors.TemporaryError("SendGrid is busy or failing", response.status_code, detail)
        raise errors.ProviderError(f"SendGrid refused the message ({display_sender(message)})",
                                   response.status_code, detail)


def _sendgrid_errors(response):
    try:
        return "; ".join(e.get("message", "") for e in response.json().get("errors", []))
    except ValueError:
        return response.text[:500]
