"""Where captured mail goes, and the cap that keeps it from filling the disk.

An afternoon of development once captured 478 MB. ``STATUSMAIL_CAPTURE_MAX_MB`` caps the
raw mail kept: capturing a mail that would pass it first deletes the oldest captured
mail, down to nine tenths of the cap (so the next captures do not delete again at
once). The check reads the totals the database keeps (``CapturedMailUsage``), never the
messages; trimming reads the sizes of the oldest, found by id, as many as it deletes.

The trimming runs before the new row is inserted, while the capturing transaction holds
no counter row yet: two workers trimming at once then wait for each other in one
order, never in a circle.
"""
from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import CapturedMail, CapturedMailUsage

TRIM_BATCH = 200
TRIM_TO = 0.9


def captured_usage():
    """``(messages, bytes)`` of all captured mail."""
    messages, size = db.session.execute(
        select(func.coalesce(func.sum(CapturedMailUsage.messages), 0),
               func.coalesce(func.sum(CapturedMailUsage.bytes), 0))).one()
    return int(messages), int(size)


def make_room(incoming, max_bytes):
    """Delete the oldest captured mail if ``incoming`` more bytes would pass the cap;
    how many were deleted. The newest mail is kept even when it alone is larger."""
    used = captured_usage()[1]
    if used + incoming <= max_bytes:
        return 0
    excess = used + incoming - int(max_bytes * TRIM_TO)
    deleted = 0
    while excess > 0:
        oldest = db.session.execute(
            select(CapturedMail.id, func.length(CapturedMail.raw))
            .order_by(CapturedMail.id).limit(TRIM_BATCH)).all()
        if not oldest:
            break
        chosen = []
        for captured_id, size in oldest:
            chosen.append(captured_id)
            excess -= size
            if excess <= 0:
                break
        db.session.execute(delete(CapturedMail).where(CapturedMail.id.in_(chosen)))
        deleted += len(chosen)
    return deleted


def store_captured(sender, recipient, subject, raw, max_bytes):
    """Keep one mail (in the caller's transaction), making room for it first."""
    make_room(len(raw), max_bytes)
    row = CapturedMail(sender=sender, recipient=recipient, subject=subject, raw=raw)
    db.session.add(row)
    db.session.flush()
    return row
