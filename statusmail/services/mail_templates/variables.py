"""What an operator's subject, intro and footer may say, per kind of mail: the documented
variables, their values for a notice (from its snapshot), and a sample notice for the
preview. Every value is a plain string, so a template needs no attribute access."""
from ...models.notifications import EVENT_KINDS

CONFIRM = "confirm"
# Every kind of subscriber mail an operator can customise, in the order the admin lists them.
KINDS = {**EVENT_KINDS, CONFIRM: "Subscription confirmation"}

_COMMON = {"page_name": "The status page's name",
           "kind": "What happened, e.g. “Incident created”"}
_NOTICE = {**_COMMON, "title": "The incident or maintenance title (the component's name "
                                "for a component change)",
           "status": "Its status now, e.g. “Investigating”",
           "components": "The components it touches, comma-separated (may be empty)"}
_INCIDENT = {**_NOTICE, "impact": "The incident's impact, e.g. “Major”"}
_MAINTENANCE = {**_NOTICE, "starts": "When the window starts, in the page's time zone",
                "ends": "When the window ends, in the page's time zone"}
_COMPONENT = {**_NOTICE, "previous_status": "The component's status before (may be empty)"}


def documented(kind):
    """``{name: meaning}`` of the variables ``kind``'s templates may use."""
    if kind == CONFIRM:
        return dict(_COMMON)
    if kind.startswith("incident_"):
        return dict(_INCIDENT)
    if kind.startswith("maintenance_"):
        return dict(_MAINTENANCE)
    return dict(_COMPONENT)


def values_for(kind, context):
    """The variables' values for a notice's snapshot ``context`` (or a confirmation's
    ``{"site_name": …}``): exactly the names :func:`documented` lists."""
    values = {"page_name": context.get("site_name") or "", "kind": KINDS.get(kind, kind)}
    if kind == CONFIRM:
        return values
    components = ", ".join(c["name"] for c in context.get("components") or ())
    incident, maintenance = context.get("incident"), context.get("maintenance")
    change = context.get("change")
    if kind.startswith("incident_"):
        incident = incident or {}
        values.update(title=incident.get("title", ""), status=incident.get("status_label", ""),
                      impact=incident.get("impact_label", ""), components=components)
    elif kind.startswith("maintenance_"):
        maintenance = maintenance or {}
        values.update(title=maintenance.get("title", ""),
                      status=maintenance.get("status_label", ""),
                      starts=maintenance.get("starts_local", ""),
                      ends=maintenance.get("ends_local", ""), components=components)
    else:
        change = change or {}
        values.update(title=change.get("name", ""), status=change.get("status_label", ""),
                      previous_status=change.get("previous_status_label") or "",
                      components=components)
    return {name: str(value) for name, value in values.items()}


def sample_context(kind, site_name, status_url):
    """A notice snapshot of ``kind`` for the preview, shaped as ``fanout.notices.snapshot``
    makes them."""
    incident = maintenance = incident_update = maintenance_update = previous = change = None
    components = [{"name": "API", "status": "major_outage", "status_label": "Major outage"},
                  {"name": "Dashboard", "status": "degraded_performance",
                   "status_label": "Degraded performance"}]
    if kind.startswith("incident_"):
        resolved = kind == "incident_resolved"
        incident = {"id": 0, "title": "Elevated error rates on the API", "impact": "major",
                    "impact_label": "Major", "status": "resolved" if resolved else "investigating",
                    "status_label": "Resolved" if resolved else "Investigating",
                    "url": status_url}
        incident_update = {"status_label": incident["status_label"],
                           "message": "We are looking into **elevated error rates**.",
                           "posted_utc": "2026-01-15 09:30 UTC",
                           "posted_local": "2026-01-15 09:30 UTC"}
    elif kind.startswith("maintenance_"):
        maintenance = {"id": 0, "title": "Database upgrade",
                       "description": "The dashboard may be *read-only* for a few minutes.",
                       "status_label": "Scheduled", "starts_utc": "2026-01-20 22:00 UTC",
                       "ends_utc": "2026-01-20 23:00 UTC", "starts_local": "2026-01-20 22:00 UTC",
                       "ends_local": "2026-01-20 23:00 UTC", "zone": "UTC", "url": status_url}
        if kind == "maintenance_updated":
            maintenance_update = {"status_label": "In progress", "message": "Half way there.",
                                  "posted_utc": "2026-01-20 22:30 UTC",
                                  "posted_local": "2026-01-20 22:30 UTC"}
        if kind == "maintenance_rescheduled":
            previous = {"starts_utc": "2026-01-19 22:00 UTC", "ends_utc": "2026-01-19 23:00 UTC",
                        "starts_local": "2026-01-19 22:00 UTC",
                        "ends_local": "2026-01-19 23:00 UTC"}
    else:
        components = components[:1]
        change = {"name": "API", "status_label": "Major outage",
                  "previous_status_label": "Operational"}
    return {"kind": kind, "kind_label": KINDS.get(kind, kind), "site_name": site_name,
            "status_url": status_url, "incident": incident, "incident_update": incident_update,
            "maintenance": maintenance, "maintenance_update": maintenance_update,
            "previous_window": previous, "components": components, "change": change}
