"""Importing an uploaded file: read it into staging rows, then merge in one transaction.

Reading commits its staging rows a chunk at a time (:mod:`.staging`), so neither the
file nor the list is ever held in memory. The merge (:mod:`.merge`) then applies the
import's rules in SQL, a range of lines per statement, all inside ONE transaction: if
anything fails, nothing of the file is in the list. Confirmation mails are written in
that transaction and queued after it commits.
"""
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import SubscriberImportRow, utcnow
from ..outbox import enqueue_outbound_range
from ..subscriber_csv_reader import ImportFileError, LineProblem
from . import files
from .merge import Rules
from .reader import read_rows
from .staging import staging_values, write_chunk

__all__ = ["ImportFileError", "drop_staging", "run_import"]
CHUNK = 2000  # lines per staging write (and commit)
MERGE_CHUNK = 25_000  # lines per merge statement: a heartbeat and progress between them
SHOWN = 1000  # refused lines listed on the result page; the rest are counted
_rows = SubscriberImportRow.__table__
# The merge's outcome of a line → the result page's figure.
_COUNTED = {"there": "already_there", "confirm": "confirmed", "skipped": "skipped",
            "repeat": "duplicates"}


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
    lines, last_line = _stage(transfer, run, tally)
    run.report(phase="merging", rows_done=0, rows_total=lines)
    try:
        first_outbound, last_outbound = _merge(transfer, run, tally, lines, last_line)
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
    """Read the file into staging rows; refused lines go straight to the tally.
    Returns the number of rows staged and the last one's line."""
    done = {"bytes": 0}

    def progress(size):
        done["bytes"] += size

    staged, lines, last_line = [], 0, 0
    with open(files.path_of(transfer.file_name), "rb") as binary:
        for kind, item in read_rows(binary, progress):
            if kind == "header":
                tally.has_header = True
            elif kind == "problem":
                tally.note("errors", item)
            else:
                staged.append(staging_values(transfer.id, item))
                lines, last_line = lines + 1, item.line
                if len(staged) >= CHUNK:
                    write_chunk(staged)
                    run.report(bytes_done=done["bytes"], rows_done=lines)
    write_chunk(staged)
    run.report(bytes_done=done["bytes"], rows_done=lines)
    return lines, last_line


def _merge(transfer, run, tally, lines, last_line):
    """Everything the file changes, in the session's one transaction (not committed);
    the range of confirmation mail ids written."""
    rules = Rules(transfer.id, transfer.mode, utcnow())
    mails, after, merged = [], 0, 0  # the lowest and highest confirmation mail id
    while after < last_line:
        upto = db.session.scalar(
            select(_rows.c.line).where(_rows.c.transfer_id == transfer.id, _rows.c.line > after)
            .order_by(_rows.c.line).offset(MERGE_CHUNK - 1).limit(1)) or last_line
        ids, unknown = rules.merge_range(after + 1, upto)
        if ids:
            mails = [min(ids + mails), max(ids + mails)]
        tally.counts["confirmations_queued"] += len(ids)
        tally.unknown_components.update(unknown)
        after, merged = upto, min(lines, merged + MERGE_CHUNK)
        run.report(rows_done=merged)
    _count(rules, tally)
    return (mails[0], mails[1]) if mails else (None, None)


def _count(rules, tally):
    for (outcome, status), count in rules.counts().items():
        key = f"added_{status}" if outcome == "new" else _COUNTED[outcome]
        tally.counts[key] += count
    tally.lists["duplicates"] = rules.duplicates(SHOWN)
    tally.lists["skipped"] = [LineProblem(line, email, reason)
                              for line, email, reason in rules.skipped(SHOWN)]
