"""SMTP with a timeout, verified TLS and one envelope per recipient.

Every socket, ssl and smtplib exception is translated here into a named
:mod:`.errors` class whose message says what to change.
"""
import re
import smtplib
import socket
import ssl

from . import errors, tls_probe
from .addresses import credential_problem, require_recipient, require_sender
from .base import Transport
from .compose import envelope_sender

# smtplib's own transparency rule (``smtplib._quote_periods``, private): a line of the
# message starting with "." gets another one.
_LEADING_DOT = re.compile(rb"(?m)^\.")


class SmtpTransport(Transport):
    """One connection, opened on first use, for as many messages as the caller sends."""

    name = "smtp"

    def __init__(self, *, host, port, security, username, password, timeout, unverified_host,
                 helo_domain, ca_file=None):
        self.host, self.port, self.security = host, port, security
        self.username, self.password, self.timeout = username, password, timeout
        self.unverified_host = unverified_host
        self.helo_domain = helo_domain
        self.ca_file = ca_file
        self.smtp = None

    def _tls_context(self):
        """The system's trust store, plus ``ca_file``; no checks only for the named host."""
        context = ssl.create_default_context()
        if self.unverified_host and self.unverified_host.lower() == self.host.lower():
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif self.ca_file:
            try:
                context.load_verify_locations(cafile=self.ca_file)
            except (OSError, ssl.SSLError) as exc:
                raise errors.SmtpCertificateError(
                    f"the CA bundle in STATUSMAIL_SMTP_CA_FILE ({self.ca_file}) cannot be "
                    f"loaded ({exc}).") from None
        return context

    def _starttls(self, where):
        if not self.smtp.has_extn("starttls"):
            raise errors.StartTlsUnsupportedError(
                f"{where} does not offer STARTTLS. Choose SSL/TLS (usually port 465) "
                "or, only on a trusted network, no encryption.")
        try:
            self.smtp.starttls(context=self._tls_context())
        except smtplib.SMTPResponseException as exc:
            raise errors.SmtpTlsError(f"{where} refused STARTTLS", exc.smtp_code,
                                      _text(exc.smtp_error)) from None
        self.smtp.ehlo()

    def open(self):
        where = f"{self.host}:{self.port}"
        if self.username:
            self._check_credentials()
        try:
            if self.security == "ssl":
                self.smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                             local_hostname=self.helo_domain,
                                             context=self._tls_context())
            else:
                self.smtp = tls_probe.ProbingSmtp(self.host, self.port, timeout=self.timeout,
                                                 local_hostname=self.helo_domain)
            self.smtp.ehlo()
            if self.security == "starttls":
                self._starttls(where)
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
        except OSError as exc:  # socket, ssl and smtplib errors all derive from it
            self._abort()
            raise self._open_error(exc, where) from None

    def _check_credentials(self):
        """smtplib would raise UnicodeEncodeError halfway through AUTH: say why first."""
        for value, label in ((self.username, "SMTP username"), (self.password, "SMTP password")):
            problem = credential_problem(value, label)
            if problem:
                raise errors.UnsendableSettingError(problem)

    def _open_error(self, exc, where):
        """Name what went wrong while connecting, securing or logging in."""
        exc = _unwrap_timeout(exc)
        if isinstance(exc, socket.gaierror):
            return errors.DnsError(f"cannot resolve {self.host!r} ({exc.strerror}). "
                                   "Check the SMTP host name.")
        if isinstance(exc, ConnectionRefusedError):
            return errors.ConnectionRefusedMailError(
                f"nothing accepts connections on {where}. Check host and port, and that "
                "the server runs and a firewall lets the port through.")
        if isinstance(exc, (socket.timeout, TimeoutError)):
            hint = (" A server on port 465 waits for SSL/TLS and stays silent to plain "
                    "connections: choose SSL/TLS." if self.port == 465 and self.security != "ssl"
                    else "")
            return errors.SmtpTimeoutError(
                f"{where} did not answer within {self.timeout} s. The port may be blocked "
                f"by a firewall, or the timeout too short.{hint}")
        if isinstance(exc, ssl.SSLCertVerificationError):
            return errors.SmtpCertificateError(
                f"the certificate of {self.host} is not trusted ({exc.verify_message}). Fix the "
                "certificate, or name this host as self-signed in Email settings.")
        if isinstance(exc, ssl.SSLError):
            hint = (" The server may expect STARTTLS or plain SMTP on this port; SSL/TLS is "
                    "usually port 465." if self.security == "ssl" else "")
            return errors.SmtpTlsError(f"TLS with {where} failed ({exc.reason or exc}).{hint}")
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return errors.SmtpAuthError(f"{where} rejected the username or password.",
                                        exc.smtp_code, _text(exc.smtp_error))
        if isinstance(exc, smtplib.SMTPConnectError):
            return errors.ConnectionRefusedMailError(
                f"{where} refused the session in its greeting.", exc.smtp_code,
                _text(exc.smtp_error))
        if isinstance(exc, smtplib.SMTPResponseException):
            return _reply_error(exc.smtp_code, exc.smtp_error, f"{where} refused the session")
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            hint = (" A server on an SSL/TLS port (465) closes plain connections: try SSL/TLS."
                    if self.security != "ssl" else "")
            return errors.DisconnectedError(f"{where} closed the connection ({exc}).{hint}")
        if isinstance(exc, smtplib.SMTPException):
            # "AUTH extension not supported", "No suitable authentication method found".
            return errors.AuthUnsupportedError(f"{where} offers no login we can use ({exc}).")
        return errors.ConnectionRefusedMailError(f"cannot reach {where} ({exc}).")

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
        raw = self.wire(message, raw)
        sender, recipient = envelope_sender(message), message.recipients[0]
        require_sender(sender)
        require_recipient(recipient)
        try:
            return self._transaction(sender, recipient, raw)
        except OSError as exc:  # socket and smtplib errors all derive from it
            raise self._send_error(exc) from None
        except (UnicodeError, ValueError) as exc:
            # smtplib refuses to encode a command (non-ASCII, a line break) before sending it.
            self._reset()
            raise errors.UnsendableError(f"the envelope cannot be sent ({exc})") from None

    def _transaction(self, sender, recipient, raw):
        if self.smtp.has_extn("pipelining"):
            return self._pipelined_transaction(sender, recipient, raw)
        # ``docmd`` sends what ``mail()``/``rcpt()`` would: both addresses passed
        # require_sender/require_recipient, which admit only addresses smtplib's quoteaddr
        # leaves unchanged, and we pass no ESMTP options. Skipping quoteaddr's address
        # parser saves about a tenth of the worker's time per message.
        code, reply = self.smtp.docmd("mail", f"FROM:<{sender}>")
        if code != 250:
            self._reset()
            self._refuse_unless_login_wanted("MAIL FROM", code, reply)
            raise _reply_error(code, reply, f"MAIL FROM:<{sender}> refused",
                               errors.SenderRejectedError)
        code, reply = self.smtp.docmd("rcpt", f"TO:<{recipient}>")
        if code not in (250, 251):
            self._reset()
            self._refuse_unless_login_wanted("RCPT TO", code, reply)
            raise _reply_error(code, reply, f"RCPT TO:<{recipient}> refused",
                               errors.RecipientRejectedError)
        code, reply = self.smtp.data(raw)
        if code != 250:
            self._reset()
            raise _reply_error(code, reply, "the message was refused after DATA",
                               errors.MessageRejectedError)
        return code, _text(reply)

    def _pipelined_transaction(self, sender, recipient, raw):
        """RFC 2920: ``MAIL``, ``RCPT`` and ``DATA`` in one write, their replies read after.

        Two waits for the server per message instead of four (most of what a worker spent
        waiting on the socket). The replies are judged in order, as the unpipelined path
        judges them one by one: the first refusal is the answer, and the commands after it
        fail by consequence (a server refuses ``DATA`` without an accepted recipient). The
        message's bytes go only after ``DATA``'s 354, never speculatively.
        """
        commands = f"MAIL FROM:<{sender}>\r\nRCPT TO:<{recipient}>\r\nDATA\r\n"
        if commands.count("\n") != 3 or commands.count("\r") != 3:
            # What putcmd refuses: a line break would smuggle in a command of its own.
            raise ValueError("a line break in an address")
        self.smtp.send(commands.encode(self.smtp.command_encoding))
        replies = []
        for _ in range(3):
            try:
                replies.append(self.smtp.getreply())
            except smtplib.SMTPServerDisconnected:
                if not replies or replies[-1][0] in (250, 251):
                    raise  # gone without a refusal: the connection, not this message
                # It said no and hung up (421 on MAIL): the refusal is the answer.
                self._abort()
                break
        refusal = self._refusal(replies, sender, recipient)
        if refusal is not None:
            if len(replies) == 3 and replies[2][0] == 354:
                # DATA accepted although the envelope was refused: the server now waits
                # for a message no recipient would get. Leave instead of sending one.
                self._abort()
            elif self.smtp is not None:
                self._reset()
            raise refusal
        code, reply = self._send_data(raw)
        if code != 250:
            self._reset()
            raise _reply_error(code, reply, "the message was refused after DATA",
                               errors.MessageRejectedError)
        return code, _text(reply)

    def _refusal(self, replies, sender, recipient):
        """The error for the first refused command of a pipelined envelope, or None."""
        steps = (("MAIL FROM", (250,), f"MAIL FROM:<{sender}> refused",
                  errors.SenderRejectedError),
                 ("RCPT TO", (250, 251), f"RCPT TO:<{recipient}> refused",
                  errors.RecipientRejectedError),
                 ("DATA", (354,), "the server refused the message", errors.MessageRejectedError))
        for (command, wanted, detail, permanent), (code, reply) in zip(steps, replies):
            if code not in wanted:
                return ((command != "DATA" and self._login_wanted(command, code, reply))
                        or _reply_error(code, reply, detail, permanent))
        return None

    def _send_data(self, raw):
        """What ``smtplib.SMTP.data`` does once the server said 354: the bytes with leading
        dots doubled (RFC 5321 4.5.2), the end-of-data line, and the server's verdict."""
        stuffed = _LEADING_DOT.sub(b"..", raw)
        if stuffed[-2:] != b"\r\n":
            stuffed += b"\r\n"
        self.smtp.send(stuffed + b".\r\n")
        return self.smtp.getreply()

    def _refuse_unless_login_wanted(self, command, code, reply):
        """No username is set and the server asks for a login: that, not the address, is
        what to fix."""
        error = self._login_wanted(command, code, reply)
        if error is not None:
            raise error

    def _login_wanted(self, command, code, reply):
        if self.username or not _wants_login(code, reply):
            return None
        return errors.AuthRequiredError(
            f"{self.host}:{self.port} answered {command} with {code}: this server wants a "
            "username and password before it takes mail, and none is set.",
            code, _text(reply))

    def _send_error(self, exc):
        exc = _unwrap_timeout(exc)
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            self._abort()
            return errors.DisconnectedError(f"the server closed the connection ({exc})")
        if isinstance(exc, (socket.timeout, TimeoutError)):
            self._abort()
            return errors.SmtpTimeoutError(f"no answer within {self.timeout} s while sending")
        if isinstance(exc, smtplib.SMTPResponseException):
            self._abort()
            return _reply_error(exc.smtp_code, exc.smtp_error, "the server refused the message")
        if isinstance(exc, smtplib.SMTPException):
            # Raised before anything is sent, e.g. an address the server cannot take (SMTPUTF8).
            self._reset()
            return errors.MessageRejectedError(f"the message cannot be sent as it is ({exc})")
        self._abort()
        return errors.DisconnectedError(f"connection lost while sending ({exc})")

    def _reset(self):
        try:
            self.smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._abort()


def _wants_login(code, reply):
    """530 (RFC 4954), or a refusal whose words ask for authentication."""
    words = _text(reply).lower()
    return code == 530 or (500 <= (code or 0) < 600 and "authentication required" in words)


def _unwrap_timeout(exc):
    """smtplib reports a read timeout as SMTPServerDisconnected; the timeout is the truth."""
    if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(
            exc.__context__, (socket.timeout, TimeoutError)):
        return exc.__context__
    return exc


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
