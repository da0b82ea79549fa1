"""Is a silent SMTP port waiting for TLS? Asked while a plain connection waits for a greeting.

A server that speaks TLS from the first byte (SMTPS, usually port 465) says nothing to a
plain connection: it waits for a TLS ClientHello. STARTTLS or no encryption chosen against
such a port would wait the whole timeout and report "timed out". An SMTP server greets
within milliseconds, so when the greeting is late a second connection offers a TLS
handshake: any TLS answer (a finished handshake or a TLS alert) names the real problem at
once, and anything else leaves the first connection waiting out the rest of its timeout.
"""
import ipaddress
import select
import smtplib
import socket
import ssl
import time

from . import errors

# How long a greeting may take before the port is suspected of waiting for TLS.
GREETING_GRACE = 1.0
# How long the probing handshake may take at most.
PROBE_TIMEOUT = 3.0


def greeting_is_late(sock, timeout):
    """True when nothing arrived on ``sock`` within the grace (a part of ``timeout``)."""
    readable, _, _ = select.select([sock], [], [], min(GREETING_GRACE, timeout / 4))
    return not readable


def speaks_tls(host, port, timeout):
    """True when ``host:port`` answers a TLS ClientHello with TLS (a handshake or an alert).

    Certificates are not checked here: nothing is sent over this connection but the
    handshake, and the question is only which protocol the port speaks.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw, \
                context.wrap_socket(raw, server_hostname=_sni(host),
                                    do_handshake_on_connect=False) as tls:
            tls.do_handshake()
            return True
    except ssl.SSLError as exc:
        # The server answered in TLS, refusing something about our hello.
        return "ALERT" in (exc.reason or "").upper()
    except OSError:  # refused, reset, timed out: no sign of TLS
        return False


def remaining(deadline):
    return max(deadline - time.monotonic(), 0.05)


def _sni(host):
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host
    return None


class ProbingSmtp(smtplib.SMTP):
    """``smtplib.SMTP`` whose late greeting makes it ask whether the port waits for TLS:
    the answer comes in about a second, not after the timeout."""

    def _get_socket(self, host, port, timeout):
        deadline = time.monotonic() + timeout
        sock = super()._get_socket(host, port, timeout)
        if greeting_is_late(sock, timeout) and speaks_tls(
                host, port, min(PROBE_TIMEOUT, remaining(deadline))):
            sock.close()
            raise errors.ImplicitTlsPortError(
                f"{host}:{port} speaks TLS from the first byte (it answered a TLS handshake "
                "and sent no SMTP greeting): choose SSL/TLS.")
        # The greeting gets what is left of the timeout; every later step the whole of it.
        sock.settimeout(remaining(deadline))
        return sock

    def connect(self, host="localhost", port=0, source_address=None):
        reply = super().connect(host, port, source_address)
        self.sock.settimeout(self.timeout)
        return reply
