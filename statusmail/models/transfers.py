"""Subscriber exports and imports, run as jobs on files under instance/transfers/.

A request only records what was asked and queues the job; the job streams the file in
constant memory and reports progress on the row, so neither the size of the list nor
gunicorn's timeout can cut it short. The staging rows hold an import's lines between
reading the file and merging it, so that the merge can look across the whole file
(duplicates, an unsubscribe further down) without holding it in memory.
"""
from ..extensions import db
from . import utcnow

TRANSFER_KINDS = ("export", "import")
TRANSFER_STATES = ("queued", "running", "done", "failed")


class SubscriberTransfer(db.Model):
    __tablename__ = "subscriber_transfers"

    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(8), nullable=False)
    state = db.Column(db.String(8), nullable=False, default="queued", index=True)
    # Export: the list's filters. Import: how new subscribers start, and the file's name.
    status_filter = db.Column(db.String(16))
    search = db.Column(db.String(254))
    mode = db.Column(db.String(32))
    original_name = db.Column(db.String(255))
    # Our file under instance/transfers/ (a random name; never the operator's).
    file_name = db.Column(db.String(64))
    phase = db.Column(db.String(16))  # import: "reading", then "merging"
    rows_done = db.Column(db.Integer, nullable=False, default=0)
    rows_total = db.Column(db.Integer)
    bytes_done = db.Column(db.BigInteger, nullable=False, default=0)
    bytes_total = db.Column(db.BigInteger)
    attempts = db.Column(db.Integer, nullable=False, default=0)
    result = db.Column(db.JSON)
    error = db.Column(db.Text)
    created_by_id = db.Column(db.ForeignKey("admin_users.id", ondelete="SET NULL"))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    started_at = db.Column(db.DateTime)
    # Written with each chunk: the sweeper re-queues a running job that stopped beating.
    heartbeat_at = db.Column(db.DateTime)
    finished_at = db.Column(db.DateTime)

    @property
    def percent(self):
        if self.state == "done":
            return 100.0
        if self.kind == "import" and self.phase != "merging":
            done, total = self.bytes_done, self.bytes_total
            share, base = 50.0, 0.0
        else:
            done, total = self.rows_done, self.rows_total
            share, base = (50.0, 50.0) if self.kind == "import" else (100.0, 0.0)
        return round(base + (share * done / total if total else 0.0), 1)


class SubscriberImportRow(db.Model):
    """One readable line of an import file, until the merge (which works on these rows a
    range of lines at a time, in SQL, instead of reading them back one by one)."""
    __tablename__ = "subscriber_import_rows"
    __table_args__ = (db.Index("ix_import_rows_email", "transfer_id", "email", "line"),)

    transfer_id = db.Column(db.ForeignKey("subscriber_transfers.id", ondelete="CASCADE"),
                            primary_key=True)
    line = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(254), nullable=False)
    status = db.Column(db.String(16))
    created_at = db.Column(db.DateTime)
    confirmed_at = db.Column(db.DateTime)
    unsubscribed_at = db.Column(db.DateTime)
    all_components = db.Column(db.Boolean)
    notify_incidents = db.Column(db.Boolean)
    notify_maintenance = db.Column(db.Boolean)
    notify_component_changes = db.Column(db.Boolean)
    components = db.Column(db.Text)  # ";"-joined names; NULL when none are named
    # Made when the line is read (secrets, like every link key), copied if it is added.
    link_key = db.Column(db.String(32))
    # What the merge decided: "repeat" (an earlier line has the address), then for a
    # first line "new", "there", "confirm" (pending here, now confirmed) or "skipped".
    outcome = db.Column(db.String(8))
