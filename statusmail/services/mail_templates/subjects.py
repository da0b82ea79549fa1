"""The subjects statusmail writes when the operator has not written one, in the status
page's language."""
from flask_babel import gettext

SUBJECT_MAX = 255


def default_subject(kind, site_name, context):
    incident, maintenance = context["incident"], context["maintenance"]
    change = context["change"]
    window = ({"title": maintenance["title"], "starts": maintenance["starts_local"]}
              if maintenance else {})
    topics = {
        "incident_created": lambda: gettext("Incident: %(title)s", title=incident["title"]),
        "incident_updated": lambda: gettext("%(status)s: %(title)s",
                                            status=incident["status_label"],
                                            title=incident["title"]),
        "incident_resolved": lambda: gettext("Resolved: %(title)s", title=incident["title"]),
        "maintenance_scheduled": lambda: gettext("Scheduled maintenance: %(title)s (%(starts)s)",
                                                 **window),
        "maintenance_started": lambda: gettext("Maintenance in progress: %(title)s", **window),
        "maintenance_completed": lambda: gettext("Maintenance completed: %(title)s", **window),
        "maintenance_cancelled": lambda: gettext("Maintenance cancelled: %(title)s (%(starts)s)",
                                                 **window),
        "maintenance_rescheduled": lambda: gettext(
            "Maintenance rescheduled: %(title)s (now %(starts)s)", **window),
        "maintenance_reminder": lambda: gettext(
            "Reminder: maintenance %(title)s starts %(starts)s", **window),
        "maintenance_updated": lambda: gettext("Maintenance update: %(title)s", **window),
        "component_status_changed": lambda: gettext("%(name)s: %(status)s", name=change["name"],
                                                    status=change["status_label"]),
    }
    subject = f"[{site_name}] {topics[kind]()}"
    return subject if len(subject) <= SUBJECT_MAX else subject[:SUBJECT_MAX - 1] + "…"


def default_confirm_subject(site_name):
    return gettext("Confirm your subscription to %(site_name)s", site_name=site_name)
