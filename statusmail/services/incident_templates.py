"""Incident templates: prepared incidents (title, message, impact, components) that the
new-incident form starts from. Checked with the rules an incident is checked with, so a
template that saves is one that opens."""
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import IncidentTemplate, IncidentTemplateComponent
from ..models.status import INCIDENT_IMPACTS
from . import audit
from .incidents import clean_affected
from .status import StatusError, clean_choice, clean_text, clean_title, find

NAME_MAX = 120


def all_templates():
    """Every template, components loaded in one more query (the list shows them)."""
    return (IncidentTemplate.query
            .options(selectinload(IncidentTemplate.affected)
                     .selectinload(IncidentTemplateComponent.component))
            .order_by(IncidentTemplate.name, IncidentTemplate.id).all())


def find_template(template_id):
    return find(IncidentTemplate, template_id)


def _clean_name(name, template_id):
    name = clean_title(name, field="name")
    if len(name) > NAME_MAX:
        raise StatusError("name", f"Keep the name under {NAME_MAX} characters.")
    taken = db.session.scalar(select(IncidentTemplate.id).where(
        func.lower(IncidentTemplate.name) == name.lower(),
        IncidentTemplate.id != (template_id or 0)))
    if taken:
        raise StatusError("name", f"There is already a template named “{name}”.")
    return name


def save_template(template=None, *, name, title, impact, message, affected=()):
    """Create (``template`` None) or replace a template; returns it."""
    name = _clean_name(name, template.id if template else None)
    title = clean_title(title)
    impact = clean_choice(impact, INCIDENT_IMPACTS, "impact", "impact")
    message = clean_text(message, "message", required=False)
    affected = clean_affected(affected)
    created = template is None
    if created:
        template = IncidentTemplate()
        db.session.add(template)
    template.name, template.title, template.impact, template.message = (
        name, title, impact, message)
    template.affected = [IncidentTemplateComponent(component=component, new_status=status)
                         for component, status in affected]
    db.session.commit()
    audit.record("incident_template_saved",
                 f"Incident template {'added' if created else 'changed'}: {name}",
                 template_id=template.id, name=name, created=created)
    return template


def delete_template(template):
    template_id, name = template.id, template.name
    db.session.delete(template)
    db.session.commit()
    audit.record("incident_template_deleted", f"Incident template deleted: {name}",
                 template_id=template_id, name=name)


def form_values(template):
    """What the new-incident form starts with when this template is picked."""
    values = {"title": template.title, "impact": template.impact, "message": template.message}
    values.update({f"component_{link.component_id}": link.new_status
                   for link in template.affected})
    return values
