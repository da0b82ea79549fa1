"""What a line of an uploaded subscriber file means: header detection, the columns, the
checks on each value (services.transfers.reader streams a file through these).

Files with or without a header line both work.
"""
import re
from dataclasses import dataclass, field

from ..models.subscribers import SUBSCRIBER_STATUSES
from .subscriber_csv import (
    DATE_COLUMNS, EXPORT_COLUMNS, FLAG_COLUMNS, parse_date, parse_flag, restore,
)
from .validation import InvalidEmail, normalize_email

SHOWN_CHARS = 200
SUPPRESSED = ("unsubscribed", "bounced")
EMAIL_LABELS = {"email", "emailaddress", "address", "mail", "mailaddress"}
# Labels that make a first line a header even when none of them names the address column.
OTHER_LABELS = {name.replace("_", "") for name in EXPORT_COLUMNS} | {
    "name", "firstname", "lastname", "fullname"}


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; the message says why and what to do."""


@dataclass
class LineProblem:
    line: int
    text: str
    reason: str


@dataclass
class ImportRow:
    """One address from the file, with whatever else the file said about it."""
    line: int
    email: str
    status: str | None = None
    dates: dict = field(default_factory=dict)
    flags: dict = field(default_factory=dict)
    components: list | None = None  # None: the file has no components column


@dataclass
class Header:
    columns: dict  # our column name → index in the file
    width: int


def delimiter_of(text):
    """Comma, unless the first line plainly uses semicolons or tabs (European Excel)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    if "," not in first:
        for candidate in (";", "\t"):
            if candidate in first:
                return candidate
    return ","


def _label(cell):
    return re.sub(r"[\s_\-]+", "", cell.strip().lower())


def find_header(record):
    """A Header if the line names columns instead of holding an address, else None.

    The address column is the one named like "email"; without one, the first column.
    """
    labels = [_label(cell) for cell in record]
    if any(_is_address(cell) for cell in record) or \
            not any(label in EMAIL_LABELS | OTHER_LABELS for label in labels):
        return None
    columns = {}
    for index, label in enumerate(labels):
        name = "email" if label in EMAIL_LABELS else next(
            (known for known in EXPORT_COLUMNS if known.replace("_", "") == label), None)
        if name is not None:
            columns.setdefault(name, index)
    columns.setdefault("email", 0)
    return Header(columns=columns, width=len(record))


def _is_address(cell):
    try:
        normalize_email(restore(cell))
    except InvalidEmail:
        return False
    return True


def read_record(record, line, header):
    """An ImportRow, or ValueError with a reason a person can act on."""
    columns = header.columns if header else {"email": 0}
    if header and len(record) > header.width:
        raise ValueError(f"Too many columns ({len(record)}; the header has {header.width}). "
                         "Put a value that contains the separator in quotes.")
    if len(record) <= columns["email"]:
        raise ValueError(f"Too few columns ({len(record)}): the address column is missing.")

    def value(name):
        index = columns.get(name)
        return restore(record[index].strip()) if index is not None and index < len(record) else ""

    try:
        email = normalize_email(value("email"))
    except InvalidEmail as exc:
        raise ValueError(f"Invalid address: {exc}") from None
    status = value("status").lower() or None
    if status is not None and status not in SUBSCRIBER_STATUSES:
        raise ValueError(f"Unknown status “{status}” (use {', '.join(SUBSCRIBER_STATUSES)}).")
    components = [name.strip() for name in value("components").split(";") if name.strip()]
    return ImportRow(
        line=line, email=email, status=status,
        dates={name: parse_date(name, value(name)) for name in DATE_COLUMNS},
        flags={name: parse_flag(name, value(name)) for name in FLAG_COLUMNS},
        components=components if "components" in columns else None)
