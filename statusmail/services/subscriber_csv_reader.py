"""Reading an uploaded subscriber file into checked rows and the lines that were refused.

The whole file is decoded and parsed before anything is written, so a file that breaks
anywhere imports nothing. Files with or without a header line both work.
"""
import codecs
import csv
import io
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


@dataclass
class ParsedFile:
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    duplicate_lines: list = field(default_factory=list)  # (line, line it repeats)
    has_header: bool = False


def decode_upload(data):
    """The file's text: UTF-8 (with or without BOM), or UTF-16 with a BOM (Excel's
    "Unicode text"). Anything else is refused as a whole, naming the line that broke."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportFileError("The file says it is UTF-16 text but is not, so nothing was "
                                  "imported. Save it as “CSV UTF-8” and upload it again.") from None
    if b"\x00" in data:
        raise ImportFileError("This is not a text file (it contains binary data), so nothing "
                              "was imported. Upload a CSV file: a spreadsheet saved as "
                              "“CSV UTF-8”, or a text file with one address per line.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ImportFileError(f"Line {line} is not UTF-8 text, so nothing was imported. Save "
                              "the file as “CSV UTF-8” and upload it again.") from None


def parse_upload(data):
    """Unique, checked rows (first line wins) plus every refused line with its reason."""
    text = decode_upload(data)
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    parsed, by_email, blank_lines, header, end = ParsedFile(), {}, [], None, 0
    try:
        for record in reader:
            line, end = end + 1, reader.line_num
            shown = delimiter.join(record)[:SHOWN_CHARS]
            if not any(cell.strip() for cell in record):
                blank_lines.append(LineProblem(line, shown, "Empty line."))
                continue
            first_content = not by_email and not parsed.errors and header is None
            if first_content and (header := _find_header(record)) is not None:
                parsed.has_header = True
                blank_lines = []
                continue
            # Blank lines count only between addresses, not at the end of the file.
            parsed.errors.extend(blank_lines)
            blank_lines = []
            try:
                row = _read_record(record, line, header)
            except ValueError as exc:
                parsed.errors.append(LineProblem(line, shown, str(exc)))
                continue
            _merge(by_email, row, parsed.duplicate_lines)
    except csv.Error as exc:
        raise ImportFileError(f"Line {end + 1} cannot be read as CSV ({exc}), so nothing was "
                              "imported.") from None
    if not by_email and not parsed.errors:
        raise ImportFileError("The file has a header line but no addresses under it."
                              if header else "The file holds no addresses.")
    parsed.rows = list(by_email.values())
    return parsed


def _delimiter(text):
    """Comma, unless the first line plainly uses semicolons or tabs (European Excel)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    if "," not in first:
        for candidate in (";", "\t"):
            if candidate in first:
                return candidate
    return ","


def _label(cell):
    return re.sub(r"[\s_\-]+", "", cell.strip().lower())


def _find_header(record):
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


def _read_record(record, line, header):
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


def _merge(by_email, row, duplicate_lines):
    """Keep the first line for an address; an unsubscribe or bounce on any line wins."""
    first = by_email.get(row.email)
    if first is None:
        by_email[row.email] = row
        return
    duplicate_lines.append((row.line, first.line))
    if row.status in SUPPRESSED and first.status not in SUPPRESSED:
        first.status, first.dates = row.status, {**first.dates, **row.dates}
