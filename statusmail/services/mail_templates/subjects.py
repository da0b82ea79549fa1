"""The subjects statusmail writes when the operator has not written one."""
SUBJECT_MAX = 255


def default_subject(kind, site_name, context):
    incident, maintenance = context["incident"], context["maintenance"]
    change = context["change"]
    topics = {
        "incident_created": lambda: f"Incident: {incident['title']}",
        "incident_updated": lambda: f"{incident['status_label']}: {incident['title']}",
        "incident_resolved": lambda: f"Resolved: {incident['title']}",
        "maintenance_scheduled": lambda: (f"Scheduled maintenance: {maintenance['title']} "
                                          f"({maintenance['starts_local']})"),
        "maintenance_started": lambda: f"Maintenance in progress: {maintenance['title']}",
        "maintenance_completed": lambda: f"Maintenance completed: {maintenance['title']}",
        "maintenance_cancelled": lambda: (f"Maintenance cancelled: {maintenance['title']} "
                                          f"({maintenance['starts_local']})"),
        "maintenance_rescheduled": lambda: (f"Maintenance rescheduled: {maintenance['title']} "
                                            f"(now {maintenance['starts_local']})"),
        "maintenance_reminder": lambda: (f"Reminder: maintenance {maintenance['title']} "
                                         f"starts {maintenance['starts_local']}"),
        "maintenance_updated": lambda: f"Maintenance update: {maintenance['title']}",
        "component_status_changed": lambda: f"{change['name']}: {change['status_label']}",
    }
    subject = f"[{site_name}] {topics[kind]()}"
    return subject if len(subject) <= SUBJECT_MAX else subject[:SUBJECT_MAX - 1] + "…"


def default_confirm_subject(site_name):
    return f"Confirm your subscription to {site_name}"
