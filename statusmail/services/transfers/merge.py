"""The rules for merging an import's staging rows into the list, in SQL.

Import never makes anyone "more subscribed" than they chose to be: an address that
unsubscribed or bounced here stays that way, and a file's own unsubscribed, bounced or
pending rows keep that status. The operator picks how the rest become subscribers: a
confirmation mail (double opt-in) or confirmed at once on their word that they have
consent. The first line of an address decides for it; a later line repeating it is a
duplicate, except that a later unsubscribe or bounce wins (as in every version so far).

Each rule is one statement over a range of lines (:func:`merge_range`), so the cost per
line is the database's, not a round trip and Python objects per row; the caller runs
the ranges inside one transaction. Only a line naming components comes back to Python,
to match the names as the component pages do.
"""
from sqlalchemy import (
    and_, case, exists, func, insert, literal, null, or_, select, true, update,
)

from ...models import Component, OutboundMail, Subscriber, SubscriberImportRow, Suppression
from ...models import subscriber_components
from ...extensions import db
from ..subscriber_csv_reader import SUPPRESSED
from ..timezones import format_local

IMPORT_MODES = ("send_confirmation", "mark_confirmed")
BOUNCED_NOTE = "Marked as bounced in an imported file."
_rows = SubscriberImportRow.__table__
_subscribers = Subscriber.__table__
_suppressions = Suppression.__table__
SUPPRESSED_NOTE = "On the suppression list: not subscribed."
_DATES = ("created_at", "confirmed_at", "unsubscribed_at")
_NOTIFY = ("notify_incidents", "notify_maintenance", "notify_component_changes")


def suppressed_reason(status, unsubscribed_at, on_list=False):
    if on_list:
        return SUPPRESSED_NOTE
    if status == "bounced":
        return "Bounced here (mail to it failed): not resubscribed."
    when = f" on {format_local(unsubscribed_at, '%Y-%m-%d')}" if unsubscribed_at else ""
    return f"Unsubscribed here{when}: not resubscribed."


class Rules:
    """The statements of one import (its transfer id, mode and clock)."""

    def __init__(self, transfer_id, mode, now):
        self.transfer_id, self.mode, self.now = transfer_id, mode, now
        self.mark_confirmed = mode == "mark_confirmed"
        self.component_ids = None  # lower-case name → id, read at the first need

    def _in(self, table, first_line, last_line):
        return and_(table.c.transfer_id == self.transfer_id,
                    table.c.line.between(first_line, last_line))

    def _same_address(self, other):
        return and_(other.c.transfer_id == self.transfer_id, other.c.email == _rows.c.email)

    # -- deciding ---------------------------------------------------------------------
    def mark_repeats(self, first_line, last_line):
        earlier = _rows.alias("earlier")
        db.session.execute(
            update(_rows).where(self._in(_rows, first_line, last_line),
                                exists().where(self._same_address(earlier),
                                               earlier.c.line < _rows.c.line))
            .values(outcome="repeat"))

    def apply_later_suppression(self, first_line, last_line):
        """A first line not unsubscribed or bounced takes the status (and the dates it
        gives) of the first later line that is."""
        later = _rows.alias("later")
        suppressing = and_(self._same_address(later), later.c.line > _rows.c.line,
                           later.c.status.in_(SUPPRESSED))

        def first_later(column):
            return (select(later.c[column]).where(suppressing).order_by(later.c.line)
                    .limit(1).scalar_subquery())
        db.session.execute(
            update(_rows).where(self._in(_rows, first_line, last_line),
                                _rows.c.outcome.is_(None),
                                or_(_rows.c.status.is_(None), _rows.c.status.not_in(SUPPRESSED)),
                                exists().where(suppressing))
            .values(status=first_later("status"),
                    **{name: func.coalesce(first_later(name), _rows.c[name])
                       for name in _DATES}))

    def classify(self, first_line, last_line):
        """Each first line against the list: new, skipped, to confirm, or already there."""
        current = _subscribers.alias("current")
        confirms = (and_(current.c.status == "pending",
                         or_(_rows.c.status.is_(None), _rows.c.status == "confirmed"))
                    if self.mark_confirmed else literal(False))
        decision = (select(case((current.c.status.in_(SUPPRESSED), "skipped"),
                                (confirms, "confirm"), else_="there"))
                    .where(current.c.email == _rows.c.email).scalar_subquery())
        db.session.execute(
            update(_rows).where(self._in(_rows, first_line, last_line),
                                _rows.c.outcome.is_(None))
            .values(outcome=case((_on_suppression_list(), "skipped"),
                                 else_=func.coalesce(decision, "new"))))

    def new_status(self):
        kept = ("pending", *SUPPRESSED)
        return case((_rows.c.status.in_(kept), _rows.c.status),
                    else_="confirmed" if self.mark_confirmed else "pending")

    # -- changing the list ------------------------------------------------------------
    def confirm_pending(self, first_line, last_line):
        db.session.execute(
            update(_subscribers)
            .where(_subscribers.c.status == "pending",
                   _subscribers.c.email.in_(
                       select(_rows.c.email).where(self._in(_rows, first_line, last_line),
                                                   _rows.c.outcome == "confirm")))
            .values(status="confirmed", confirmed_at=self.now),
            execution_options={"synchronize_session": False})

    def insert_new(self, first_line, last_line):
        status, now = self.new_status(), literal(self.now, Subscriber.created_at.type)
        mailed_at = null() if self.mark_confirmed else case((status == "pending", now),
                                                              else_=null())
        values = {
            "email": _rows.c.email, "status": status, "source": literal("import"),
            "created_at": func.coalesce(_rows.c.created_at, now),
            "confirmed_at": case((status == "confirmed", func.coalesce(_rows.c.confirmed_at, now)),
                                 (status.in_(SUPPRESSED), _rows.c.confirmed_at), else_=null()),
            "unsubscribed_at": case(
                (status == "unsubscribed", func.coalesce(_rows.c.unsubscribed_at, now)),
                (status == "bounced", _rows.c.unsubscribed_at), else_=null()),
            "confirmation_sent_at": mailed_at,
            "bounce_count": literal(0),
            "last_bounce": case((status == "bounced", BOUNCED_NOTE), else_=null()),
            "link_key": _rows.c.link_key,
            "all_components": case(
                (_rows.c.all_components.isnot(None), _rows.c.all_components),
                else_=func.coalesce(_rows.c.components, "") == ""),
            **{name: func.coalesce(_rows.c[name], true()) for name in _NOTIFY},
        }
        db.session.execute(insert(_subscribers).from_select(
            list(values), select(*values.values())
            .where(self._in(_rows, first_line, last_line), _rows.c.outcome == "new")
            .order_by(_rows.c.line)))

    def _added(self, first_line, last_line):
        return (select(_subscribers.c.id).join(_rows, _rows.c.email == _subscribers.c.email)
                .where(self._in(_rows, first_line, last_line), _rows.c.outcome == "new"))

    def queue_confirmations(self, first_line, last_line):
        """The confirmation mails of this range's new pending subscribers; their ids."""
        if self.mark_confirmed:
            return []
        added = (self._added(first_line, last_line)
                 .add_columns(literal("confirm"), _subscribers.c.email,
                              literal(self.now, OutboundMail.created_at.type),
                              literal("queued"), literal(0))
                 .where(_subscribers.c.status == "pending").order_by(_rows.c.line))
        return db.session.scalars(
            insert(OutboundMail.__table__).from_select(
                ["subscriber_id", "kind", "recipient", "created_at", "state", "attempts"], added)
            .returning(OutboundMail.__table__.c.id)).all()

    def link_components(self, first_line, last_line):
        """Link this range's new subscribers to the components their line names (matched
        by name, any case); the names that match no component."""
        named = self._added(first_line, last_line).add_columns(_rows.c.components).where(
            _rows.c.components.isnot(None), _rows.c.components != "")
        links, unknown = set(), set()
        for subscriber_id, names in db.session.execute(named):
            if self.component_ids is None:
                self.component_ids = {name.lower(): component_id for component_id, name in
                                      db.session.execute(select(Component.id, Component.name))}
            for name in names.split(";"):
                component_id = self.component_ids.get(name.lower())
                if component_id is None:
                    unknown.add(name)
                else:
                    links.add((subscriber_id, component_id))
        if links:
            db.session.execute(insert(subscriber_components), [
                {"subscriber_id": subscriber_id, "component_id": component_id}
                for subscriber_id, component_id in sorted(links)])
        return unknown

    def merge_range(self, first_line, last_line):
        """Every rule for the lines in [first_line, last_line]; returns (confirmation
        mail ids, unknown component names)."""
        self.mark_repeats(first_line, last_line)
        self.apply_later_suppression(first_line, last_line)
        self.classify(first_line, last_line)
        if self.mark_confirmed:
            self.confirm_pending(first_line, last_line)
        self.insert_new(first_line, last_line)
        return self.queue_confirmations(first_line, last_line), \
            self.link_components(first_line, last_line)

    # -- the result page --------------------------------------------------------------
    def counts(self):
        """{(outcome, status a new subscriber got): lines} over the whole file."""
        status = case((_rows.c.outcome == "new", self.new_status()), else_=null())
        return {(outcome, new_status): count for outcome, new_status, count in db.session.execute(
            select(_rows.c.outcome, status, func.count())
            .where(_rows.c.transfer_id == self.transfer_id)
            .group_by(_rows.c.outcome, status))}

    def duplicates(self, limit):
        """(line, the earlier line it repeats), by first line then line."""
        earlier = _rows.alias("earlier")
        first = (select(func.min(earlier.c.line)).where(self._same_address(earlier))
                 .scalar_subquery())
        shown = (select(_rows.c.line, first.label("first"))
                 .where(_rows.c.transfer_id == self.transfer_id, _rows.c.outcome == "repeat")
                 .subquery())
        return [(line, first_line) for line, first_line in db.session.execute(
            select(shown.c.line, shown.c.first).order_by(shown.c.first, shown.c.line)
            .limit(limit))]

    def skipped(self, limit):
        """(line, address, reason) of first lines the list refuses, in file order."""
        return [(line, email, suppressed_reason(status, unsubscribed_at, on_list))
                for line, email, status, unsubscribed_at, on_list in db.session.execute(
                    select(_rows.c.line, _rows.c.email, _subscribers.c.status,
                           _subscribers.c.unsubscribed_at, _on_suppression_list())
                    .outerjoin(_subscribers, _subscribers.c.email == _rows.c.email)
                    .where(_rows.c.transfer_id == self.transfer_id,
                           _rows.c.outcome == "skipped")
                    .order_by(_rows.c.line).limit(limit))]


def _on_suppression_list():
    """The import row's address is actively suppressed: never (re)subscribed by a file."""
    return exists().where(_suppressions.c.email == _rows.c.email,
                          _suppressions.c.lifted_at.is_(None))
