"""One rule for text a person or a program sends us that ends up on a page or in a mail:
no control characters.

A NUL breaks PostgreSQL (it refuses it in text) and hides the rest of a string in many
viewers; CR/LF in a one-line field forges mail headers (a title becomes the
``Subject:``); a lone surrogate (JSON allows ``"\\ud800"``) cannot be encoded to UTF-8 at
all. One-line fields take no control characters, no Unicode line or paragraph separator,
and no RFC 2047 word that decodes to one (the mail library would decode it into a
header). Multi-line fields (messages, descriptions) also take line breaks and tabs.

Forms (through ``form_fields.PlainText``), the API schema and the services all ask
:func:`text_problem`, so the rule and its wording live here once.
"""
import unicodedata
from email.errors import HeaderParseError
from email.header import decode_header, make_header

MULTI_LINE_WHITESPACE = frozenset("\n\r\t")
_SEPARATORS = ("Zl", "Zp")  # U+2028, U+2029: line breaks to the mail library


def _decoded_words(value):
    """``value`` with RFC 2047 encoded words decoded, as a mail header would read it."""
    if "=?" not in value:
        return ""
    try:
        return str(make_header(decode_header(value)))
    except (HeaderParseError, LookupError, UnicodeDecodeError, ValueError):
        return ""


def _first_bad_character(value, multi_line):
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs":
            return char
        if category == "Cc" and not (multi_line and char in MULTI_LINE_WHITESPACE):
            return char
        if category in _SEPARATORS and not multi_line:
            return char
    return None


def text_problem(value, multi_line=False):
    """Why ``value`` cannot be taken, in words for the person who sent it; ``None`` if it can.

    Anything that is not a string is left to the caller's own type check.
    """
    if not isinstance(value, str):
        return None
    bad = _first_bad_character(value, multi_line)
    if bad is None and not multi_line:
        bad = _first_bad_character(_decoded_words(value), multi_line)
    if bad is None:
        return None
    code = f"U+{ord(bad):04X}"
    if multi_line:
        return (f"Remove the control character ({code}): only text, line breaks and tabs "
                "are allowed here.")
    if bad in "\r\n\u2028\u2029\x85":
        return f"It must fit on one line, without line breaks ({code})."
    return f"Use a single line of plain text, without control characters ({code})."



def printable(value):
    """``value`` with the characters :func:`text_problem` refuses written as escapes
    (``\\x00``), for text we keep although nobody vetted it: an uploaded file's name, an
    address someone tried to sign in with."""
    if not isinstance(value, str):
        return value
    return "".join(char.encode("unicode_escape").decode("ascii")
                   if unicodedata.category(char) in ("Cc", "Cs", *_SEPARATORS) else char
                   for char in value)
