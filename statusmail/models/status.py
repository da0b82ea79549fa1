"""What the status page shows: components, incidents with their updates, maintenance."""
import unicodedata

from sqlalchemy.orm import validates

from ..extensions import db
from ..wording import N_
from . import utcnow

NAME_KEY_MAX = 480  # characters; well inside a PostgreSQL index entry even at 4 bytes each

COMPONENT_STATUSES = {
    "operational": N_("Operational"),
    "degraded_performance": N_("Degraded performance"),
    "partial_outage": N_("Partial outage"),
    "major_outage": N_("Major outage"),
    "under_maintenance": N_("Under maintenance"),
}
INCIDENT_STATUSES = {
    "investigating": N_("Investigating"),
    "identified": N_("Identified"),
    "monitoring": N_("Monitoring"),
    "resolved": N_("Resolved"),
}
INCIDENT_IMPACTS = {"none": N_("None"), "minor": N_("Minor"), "major": N_("Major"),
                    "critical": N_("Critical")}
MAINTENANCE_STATUSES = {
    "scheduled": N_("Scheduled"),
    "in_progress": N_("In progress"),
    "completed": N_("Completed"),
    "cancelled": N_("Cancelled"),
}


def name_key(name):
    """The form in which two component names are the same name: NFKC, case-folded
    (Unicode's NFKC_Casefold). SQLite's ``lower()`` folds only ASCII, so comparing there
    let "ÄPI" and "äpi", or "ﬁle" and "file", sit side by side."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


class Component(db.Model):
    __tablename__ = "components"
    __table_args__ = (db.UniqueConstraint("name_key", name="uq_components_name_key"),)

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(120), nullable=False, unique=True)
    # name_key(name), kept by the model: the unique key people mean by "the same name".
    name_key = db.Column(db.String(NAME_KEY_MAX), nullable=False)
    group_name = db.Column(db.String(120))
    description = db.Column(db.Text)
    status = db.Column(db.String(32), nullable=False, default="operational")
    position = db.Column(db.Integer, nullable=False, default=0)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    @validates("name")
    def _keep_name_key(self, _attribute, value):
        self.name_key = name_key(value) if isinstance(value, str) else None
        return value

    @property
    def status_label(self):
        return COMPONENT_STATUSES.get(self.status, self.status)


class Incident(db.Model):
    __tablename__ = "incidents"

    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(200), nullable=False)
    impact = db.Column(db.String(16), nullable=False, default="minor")
    status = db.Column(db.String(16), nullable=False, default="investigating")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    resolved_at = db.Column(db.DateTime)
    # A draft is the operator's alone: not on the status page, in no count, announced to
    # nobody, moving no component, until it is published.
    draft = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false(),
                      index=True)
    # Entered after the fact (start and resolution given): history only, never announced.
    backfilled = db.Column(db.Boolean, nullable=False, default=False,
                           server_default=db.false())

    updates = db.relationship("IncidentUpdate", back_populates="incident",
                              order_by="[IncidentUpdate.created_at.desc(), "
                                       "IncidentUpdate.id.desc()]",
                              cascade="all, delete-orphan")
    affected = db.relationship("IncidentComponent", cascade="all, delete-orphan",
                               back_populates="incident")

    @property
    def status_label(self):
        return INCIDENT_STATUSES.get(self.status, self.status)

    @property
    def impact_label(self):
        return INCIDENT_IMPACTS.get(self.impact, self.impact)


class IncidentComponent(db.Model):
    """A component an incident affects, and the status the incident moved it to."""
    __tablename__ = "incident_components"

    incident_id = db.Column(db.ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    component_id = db.Column(db.ForeignKey("components.id", ondelete="CASCADE"), primary_key=True)
    new_status = db.Column(db.String(32), nullable=False, default="partial_outage")

    incident = db.relationship("Incident", back_populates="affected")
    component = db.relationship("Component")


class IncidentUpdate(db.Model):
    __tablename__ = "incident_updates"

    id = db.Column(db.Integer, primary_key=True)
    incident_id = db.Column(db.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False,
                            index=True)
    status = db.Column(db.String(16), nullable=False)
    message = db.Column(db.Text, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    incident = db.relationship("Incident", back_populates="updates")

    @property
    def status_label(self):
        return INCIDENT_STATUSES.get(self.status, self.status)


maintenance_components = db.Table(
    "maintenance_components",
    db.Column("maintenance_id", db.ForeignKey("maintenances.id", ondelete="CASCADE"),
              primary_key=True),
    db.Column("component_id", db.ForeignKey("components.id", ondelete="CASCADE"),
              primary_key=True),
)


class Maintenance(db.Model):
    __tablename__ = "maintenances"

    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(200), nullable=False)
    description = db.Column(db.Text, nullable=False, default="")
    starts_at = db.Column(db.DateTime, nullable=False, index=True)  # UTC
    ends_at = db.Column(db.DateTime, nullable=False, index=True)  # UTC
    status = db.Column(db.String(16), nullable=False, default="scheduled", index=True)
    notify = db.Column(db.Boolean, nullable=False, default=True)
    # Which stages mail subscribers (all under ``notify``): defaults from the settings.
    notify_scheduled = db.Column(db.Boolean, nullable=False, default=True,
                                 server_default=db.true())
    notify_reminder = db.Column(db.Boolean, nullable=False, default=True,
                                server_default=db.true())
    notify_started = db.Column(db.Boolean, nullable=False, default=True,
                               server_default=db.true())
    notify_completed = db.Column(db.Boolean, nullable=False, default=True,
                                 server_default=db.true())
    # The reminder: how long before the start, when it is due (NULL: none is due) and
    # when it went out. Moving the start re-arms it; the scheduler claims it once.
    reminder_minutes = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    remind_at = db.Column(db.DateTime, index=True)
    reminder_sent_at = db.Column(db.DateTime)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    started_at = db.Column(db.DateTime)
    completed_at = db.Column(db.DateTime)

    components = db.relationship("Component", secondary=maintenance_components)
    updates = db.relationship("MaintenanceUpdate", back_populates="maintenance",
                              order_by="[MaintenanceUpdate.created_at.desc(), "
                                       "MaintenanceUpdate.id.desc()]",
                              cascade="all, delete-orphan")

    @property
    def status_label(self):
        return MAINTENANCE_STATUSES.get(self.status, self.status)

    @property
    def subscribers_told(self):
        """Whether subscribers have heard of this window (so a change or a cancellation
        is news to them): announced when scheduled, reminded, or announced as started."""
        return bool(self.notify and (self.notify_scheduled or self.reminder_sent_at
                                     or (self.started_at and self.notify_started)))


class MaintenanceUpdate(db.Model):
    """A note during a window ("taking longer", "verifying"), like an incident update."""
    __tablename__ = "maintenance_updates"

    id = db.Column(db.Integer, primary_key=True)
    maintenance_id = db.Column(db.ForeignKey("maintenances.id", ondelete="CASCADE"),
                               nullable=False, index=True)
    # The window's status when it was posted, shown beside it.
    status = db.Column(db.String(16), nullable=False)
    message = db.Column(db.Text, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    maintenance = db.relationship("Maintenance", back_populates="updates")

    @property
    def status_label(self):
        return MAINTENANCE_STATUSES.get(self.status, self.status)
