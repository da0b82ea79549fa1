"""Incident templates: the words and choices of an incident prepared in daylight, picked
at 3 a.m. (title, message, impact, components and the status each takes)."""
from ..extensions import db
from . import utcnow


class IncidentTemplate(db.Model):
    __tablename__ = "incident_templates"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(120), nullable=False, unique=True)
    title = db.Column(db.String(200), nullable=False)
    impact = db.Column(db.String(16), nullable=False, default="minor")
    message = db.Column(db.Text, nullable=False, default="")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    affected = db.relationship("IncidentTemplateComponent", cascade="all, delete-orphan",
                               back_populates="template")


class IncidentTemplateComponent(db.Model):
    """A component the template marks affected, and the status it gives it."""
    __tablename__ = "incident_template_components"

    template_id = db.Column(db.ForeignKey("incident_templates.id", ondelete="CASCADE"),
                            primary_key=True)
    component_id = db.Column(db.ForeignKey("components.id", ondelete="CASCADE"),
                             primary_key=True)
    new_status = db.Column(db.String(32), nullable=False)

    template = db.relationship("IncidentTemplate", back_populates="affected")
    component = db.relationship("Component")
