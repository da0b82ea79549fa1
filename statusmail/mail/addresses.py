"""What the mail layer can carry: addresses for envelope and header, SMTP credentials.

One set of rules, asked in two places so they can never disagree: every entry point
validates with them (through :func:`statusmail.services.validation.normalize_email` and
the settings forms), and the mail layer checks them again before it builds or sends, so a
value stored before these rules (or written straight into the database) fails as a named
error for its one mail instead of an exception in the middle of a batch.

An address is sendable when it is plain ASCII without spaces or control characters,
``smtplib`` puts it into ``MAIL FROM``/``RCPT TO`` unchanged, and the header serialiser
writes it and reads it back unchanged. The last rule is the one email-validator does not
know: ``=?utf-8?b?ysq6?='x@example.com`` is a valid address whose local part the header
parser decodes as an RFC 2047 word (into bytes that are not even UTF-8).

Addresses with non-ASCII local parts (SMTPUTF8) are refused whatever the provider: our
SMTP transport does not negotiate SMTPUTF8, and an address stored today must still be
sendable after the operator changes provider tomorrow.
"""
import email.policy
import re
import smtplib
import unicodedata
from email.errors import MessageError
from email.message import EmailMessage

from . import errors

# How every mail is serialised (see :mod:`.compose`): CRLF, and no folding that would
# RFC 2047-encode a long List-Unsubscribe. Defined here so the check reads headers as
# the serialiser writes them.
SMTP_POLICY = email.policy.SMTP.clone(max_line_length=998)

# Dot-atoms of atext @ a host name: the header parser and smtplib leave these unchanged,
# so only other addresses pay for the full check (~80 µs).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


def _character_name(char):
    return f"U+{ord(char):04X} {unicodedata.name(char, 'control character')}"


def address_problem(address):
    """Why ``address`` cannot be sent as it is, in words for a person; ``None`` if it can."""
    if not isinstance(address, str) or not address:
        return "Enter an email address."
    if _PLAIN.fullmatch(address) and "=?" not in address:
        return None
    odd = next((char for char in address if not " " < char < "\x7f"), None)
    if odd is not None:
        if odd.isprintable() and not odd.isspace():
            return ("Use an address in plain ASCII letters: mail to addresses with other "
                    "characters before the @ (SMTPUTF8) cannot be sent through every "
                    "mail server, so they are not accepted.")
        return f"The address contains a space or control character ({_character_name(odd)})."
    if "=?" in address:
        return ("The address contains “=?”, which mail programs read as the start of an "
                "encoded word: it cannot be put in a mail header unchanged.")
    if smtplib.quoteaddr(address) != f"<{address}>":
        return "The address cannot be put in a mail envelope unchanged."
    if not _header_round_trips(address):
        return "The address cannot be put in a mail header unchanged."
    return None


def require_sender(address, role="From"):
    """A sender or Reply-To comes from the settings: every mail would fail alike."""
    problem = address_problem(address)
    if problem:
        raise errors.UnsendableSettingError(f"the {role} address {address!r}: {problem}")


def require_recipient(address):
    """A recipient is one subscriber or admin: only this mail fails."""
    problem = address_problem(address)
    if problem:
        raise errors.UnsendableError(f"the recipient address {address!r}: {problem}")


def _header_round_trips(address):
    message = EmailMessage(policy=SMTP_POLICY)
    try:
        message["To"] = address
        found = message["To"].addresses
        folded = SMTP_POLICY.fold_binary("To", message["To"])
    except (MessageError, ValueError, IndexError, UnicodeError):
        return False
    return (len(found) == 1 and found[0].addr_spec == address
            and folded == f"To: {address}\r\n".encode("ascii"))


def credential_problem(value, label):
    """Why smtplib cannot send this username or password; ``None`` if it can.

    smtplib encodes AUTH responses as ASCII, so anything else (a non-ASCII letter, U+2028,
    U+0085, a control character) would raise in the middle of logging in.
    """
    odd = next((char for char in value or "" if not " " <= char < "\x7f"), None)
    if odd is None:
        return None
    kind = ("a control character or line separator" if not odd.isprintable() or odd.isspace()
            else "a non-ASCII character")
    return (f"The {label} contains {kind}, which SMTP login cannot send. Use ASCII letters, "
            "digits, spaces and punctuation only.")
