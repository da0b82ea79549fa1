"""Input checks shared by forms, CSV import, the API and the CLI."""
from email_validator import EmailNotValidError, validate_email

from ..mail.addresses import address_problem
from ..wording import N_


class InvalidEmail(ValueError):
    pass


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
        raise InvalidEmail(N_("Enter an email address."))
    if len(raw) > 254:
        raise InvalidEmail(N_("That address is too long."))
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
