"""Importing an uploaded file: read it into staging rows, then merge in one transaction.

Reading commits its staging rows a chunk at a time, so neither the file nor the list is
ever held in memory. The merge then walks the first line of every address (later lines
repeat it; an unsubscribe or bounce on any line wins, as it always did), and applies
the same rules as before, a chunk at a time, inside ONE transaction: if anything fails,
nothing of the file is in the list. Confirmation mails are written in that transaction
and queued after it commits.
"""
from sqlalchemy import delete, exists, insert, select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import OutboundMail, SubscriberImportRow, utcnow
from ..outbox import enqueue_outbound_range
from ..subscriber_csv_reader import SUPPRESSED, ImportFileError, ImportRow, LineProblem
from ..subscriber_import import (
    confirm_pending, existing_subscribers, insert_new, suppressed_reason,
)
from . import files
from .reader import read_rows

__all__ = ["ImportFileError", "drop_staging", "run_import"]
CHUNK = 2000
SHOWN = 1000  # refused lines listed on the result page; the rest are counted
_rows = SubscriberImportRow.__table__
_FLAGS = ("all_components", "notify_incidents", "notify_maintenance", "notify_component_changes")
_DATES = ("created_at", "confirmed_at", "unsubscribed_at")


class Tally:
    """The result page's figures, with bounded lists of the lines it names."""

    def __init__(self):
        self.counts = {"added_pending": 0, "added_confirmed": 0, "added_unsubscribed": 0,
                       "added_bounced": 0, "already_there": 0, "confirmed": 0, "skipped": 0,
                       "errors": 0, "duplicates": 0, "confirmations_queued": 0}
        self.lists = {"errors": [], "skipped": [], "duplicates": []}
        self.unknown_components = set()
        self.has_header = False

    def note(self, kind, item):
        self.counts[kind] += 1
        if len(self.lists[kind]) < SHOWN:
            self.lists[kind].append(item)

    def as_json(self):
        return {**self.counts, "has_header": self.has_header,
                "unknown_components": sorted(self.unknown_components),
                "errors_list": [vars(p) for p in self.lists["errors"]],
                "skipped_list": [vars(p) for p in self.lists["skipped"]],
                "duplicates_list": self.lists["duplicates"]}


def drop_staging(transfer_id):
    db.session.rollback()
    db.session.execute(delete(SubscriberImportRow).where(
        SubscriberImportRow.transfer_id == transfer_id))
    db.session.commit()


def run_import(transfer, run):
    drop_staging(transfer.id)  # an earlier attempt's rows
    tally = Tally()
    lines = _stage(transfer, run, tally)
    run.report(phase="merging", rows_done=0, rows_total=lines)
    try:
        first_outbound, last_outbound = _merge(transfer, run, tally)
        if not run.finish("done", session_commit=False, result=tally.as_json()):
            db.session.rollback()
            return "superseded by a later attempt"
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ImportFileError("Some of these addresses subscribed while the file was being "
                              "imported, so nothing was imported. Upload the file again.") from None
    files.remove(transfer.file_name)
    if first_outbound is not None:
        enqueue_outbound_range("confirm", first_outbound, last_outbound)
    return f"imported: {tally.counts}"


def _stage(transfer, run, tally):
    """Read the file into staging rows; refused lines go straight to the tally."""
    done = {"bytes": 0}

    def progress(size):
        done["bytes"] += size

    staged, lines = [], 0
    with open(files.path_of(transfer.file_name), "rb") as binary:
        for kind, item in read_rows(binary, progress):
            if kind == "header":
                tally.has_header = True
            elif kind == "problem":
                tally.note("errors", item)
            else:
                staged.append(_staging_values(transfer.id, item))
                lines += 1
                if len(staged) >= CHUNK:
                    _write(staged)
                    run.report(bytes_done=done["bytes"], rows_done=lines)
    _write(staged)
    run.report(bytes_done=done["bytes"], rows_done=lines)
    return lines


def _staging_values(transfer_id, row):
    return {"transfer_id": transfer_id, "line": row.line, "email": row.email,
            "status": row.status, **row.dates, **row.flags,
            "components": None if row.components is None else ";".join(row.components)}


def _write(staged):
    if staged:
        db.session.execute(insert(_rows), staged)
        db.session.commit()
        staged.clear()


def _first_lines(transfer_id, after_line):
    """The next chunk of first lines (one per address), in file order."""
    earlier = _rows.alias("earlier")
    return db.session.execute(
        select(_rows)
        .where(_rows.c.transfer_id == transfer_id, _rows.c.line > after_line,
               ~exists().where(earlier.c.transfer_id == transfer_id,
                               earlier.c.email == _rows.c.email,
                               earlier.c.line < _rows.c.line))
        .order_by(_rows.c.line).limit(CHUNK)).all()


def _repeats(transfer_id, emails, first_line):
    """{email: [later lines]} and {email: first later line that unsubscribes or bounces},
    for the addresses of a chunk whose first lines start at ``first_line``."""
    later, suppressing = {}, {}
    for staged in db.session.execute(
            select(_rows).where(_rows.c.transfer_id == transfer_id,
                                _rows.c.email.in_(emails), _rows.c.line > first_line)
            .order_by(_rows.c.line)):
        later.setdefault(staged.email, []).append(staged)
        if staged.status in SUPPRESSED:
            suppressing.setdefault(staged.email, staged)
    return later, suppressing


def _as_import_row(staged, suppressing):
    row = ImportRow(line=staged.line, email=staged.email, status=staged.status,
                    dates={name: getattr(staged, name) for name in _DATES},
                    flags={name: getattr(staged, name) for name in _FLAGS},
                    components=None if staged.components is None
                    else [name for name in staged.components.split(";") if name])
    override = suppressing.get(staged.email)
    if override is not None and row.status not in SUPPRESSED:
        row.status = override.status
        row.dates = {**row.dates, **{name: getattr(override, name) for name in _DATES
                                     if getattr(override, name) is not None}}
    return row


def _merge(transfer, run, tally):
    """Everything the file changes, in the session's one transaction (not committed)."""
    now, last_line, merged = utcnow(), 0, 0
    first_outbound = last_outbound = None
    while chunk := _first_lines(transfer.id, last_line):
        last_line = chunk[-1].line
        later, suppressing = _repeats(transfer.id, [staged.email for staged in chunk],
                                      chunk[0].line)
        for staged in chunk:
            for repeat in later.get(staged.email, []):
                if repeat.line != staged.line:
                    tally.note("duplicates", (repeat.line, staged.line))
        rows = [_as_import_row(staged, suppressing) for staged in chunk]
        mails = _merge_rows(rows, transfer.mode, now, tally)
        if mails:
            ids = db.session.scalars(insert(OutboundMail).returning(OutboundMail.id),
                                     [{"kind": "confirm", **mail} for mail in mails]).all()
            first_outbound = min(ids + ([first_outbound] if first_outbound else []))
            last_outbound = max(ids + ([last_outbound] if last_outbound else []))
            tally.counts["confirmations_queued"] += len(ids)
        merged += len(chunk)
        run.report(rows_done=merged)
    return first_outbound, last_outbound


def _merge_rows(rows, mode, now, tally):
    """The rules of an import for one chunk of addresses; the confirmation mails needed."""
    existing = existing_subscribers([row.email for row in rows])
    new_rows, confirm_ids = [], []
    for row in rows:
        current = existing.get(row.email)
        if current is None:
            new_rows.append(row)
        elif current.status in SUPPRESSED:
            tally.note("skipped", LineProblem(row.line, row.email, suppressed_reason(current)))
        elif current.status == "pending" and mode == "mark_confirmed" and row.status in (
                None, "confirmed"):
            confirm_ids.append(current.id)
        else:
            tally.counts["already_there"] += 1
    added = {"pending": 0, "confirmed": 0, "unsubscribed": 0, "bounced": 0}
    unknown = []
    mails = insert_new(new_rows, mode, now, added, unknown)
    for status, count in added.items():
        tally.counts[f"added_{status}"] += count
    tally.unknown_components.update(unknown)
    confirm_pending(confirm_ids, now)
    tally.counts["confirmed"] += len(confirm_ids)
    return mails
