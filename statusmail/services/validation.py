"""Input checks shared by forms, CSV import, the API and the CLI."""
from email_validator import EmailNotValidError, validate_email

from ..mail.addresses import address_problem
from ..wording import N_


class InvalidEmail(ValueError):
    """``translatable``: the message is one of ours in the catalogue; email-validator's and
    the mail layer's detailed ones are English only (:func:`translated_problem`)."""

    def __init__(self, message, translatable=False):
        super().__init__(message)
        self.translatable = translatable


def normalize_email(raw, check_deliverability=False):
    """Return the canonical, lower-case ASCII form of an address, or raise InvalidEmail.

    The one validator for every address statusmail stores or sends to: email-validator's
    syntax rules, then the mail layer's own check (:func:`~statusmail.mail.addresses.
    address_problem`) that the address survives the envelope and the header unchanged,
    so nothing accepted here can fail later for its form. Non-ASCII local parts
    (SMTPUTF8) are refused: the mail layer does not send them (see that module).
    """
    raw = (raw or "").strip()
    if not raw:
        raise InvalidEmail(N_("Enter an email address."), translatable=True)
    if len(raw) > 254:
        raise InvalidEmail(N_("That address is too long."), translatable=True)
    try:
        result = validate_email(raw, check_deliverability=check_deliverability,
                                allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from None
    address = (result.ascii_email or result.normalized).lower()
    problem = address_problem(address)
    if problem:
        raise InvalidEmail(problem)
    return address


def translated_problem(exc):
    """What a subscriber is told about an :class:`InvalidEmail`, in the page's language:
    an English-only detail is kept in English and replaced by a general message in any
    other language."""
    from flask_babel import get_locale, gettext
    if exc.translatable:
        return gettext(str(exc))
    locale = get_locale()
    if locale is None or locale.language == "en":
        return str(exc)
    return gettext("That is not a valid email address: check it for typos.")
