"""Input checks shared by forms, CSV import, the API and the CLI."""
from email_validator import EmailNotValidError, validate_email


class InvalidEmail(ValueError):
    pass


def normalize_email(raw, check_deliverability=False):
    """Return the canonical, lower-case ASCII form of an address, or raise InvalidEmail.

    Non-ASCII local parts (SMTPUTF8) are refused: many servers cannot deliver them.
    """
    raw = (raw or "").strip()
    if not raw:
        raise InvalidEmail("Enter an email address.")
    if len(raw) > 254:
        raise InvalidEmail("That address is too long.")
    try:
        result = validate_email(raw, check_deliverability=check_deliverability,
                                allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from None
    return (result.ascii_email or result.normalized).lower()
