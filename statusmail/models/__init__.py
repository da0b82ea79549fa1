"""Model groups, one module each. Importing this package registers every table."""
from datetime import datetime, timezone

INTEGER_MAX = 2**31 - 1  # the largest value an INTEGER column (and id) holds on both databases


def utcnow():
    """Naive UTC: what both SQLite and PostgreSQL ``timestamp`` columns store."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


from .users import AdminInvitation, AdminSession, AdminUser  # noqa: E402
from .settings import SiteSettings  # noqa: E402
from .status import (  # noqa: E402
    Component, Incident, IncidentComponent, IncidentUpdate, Maintenance, MaintenanceUpdate,
    maintenance_components,
)
from .subscribers import Subscriber, SubscriberEvent, subscriber_components  # noqa: E402
from .notifications import Delivery, Notification  # noqa: E402
from .outbound import CapturedMail, OutboundMail  # noqa: E402
from .api_tokens import ApiToken  # noqa: E402
from .audit import AuditEvent  # noqa: E402
from .transfers import SubscriberImportRow, SubscriberTransfer  # noqa: E402
from .counts import DeliveryStateCount, SubscriberStatusCount  # noqa: E402
from .captured_usage import CapturedMailUsage  # noqa: E402
from .deliverability import DailyCount, NotificationCount  # noqa: E402
from .incident_templates import IncidentTemplate, IncidentTemplateComponent  # noqa: E402
from .suppressions import EventWebhookSettings, ProviderEvent, Suppression  # noqa: E402
from .dkim import DkimKey  # noqa: E402
from .mail_customizations import MailCustomization  # noqa: E402
from . import search  # noqa: E402,F401  (the search index DDL)

__all__ = [
    "utcnow", "AdminUser", "SiteSettings", "Component", "Incident", "IncidentComponent",
    "IncidentUpdate", "Maintenance", "MaintenanceUpdate", "maintenance_components", "Subscriber",
    "SubscriberEvent", "subscriber_components", "Notification", "Delivery", "OutboundMail",
    "CapturedMail", "ApiToken", "AdminSession", "AdminInvitation", "AuditEvent",
    "SubscriberTransfer", "SubscriberImportRow",
    "DeliveryStateCount", "SubscriberStatusCount", "CapturedMailUsage", "IncidentTemplate",
    "IncidentTemplateComponent", "Suppression", "ProviderEvent", "EventWebhookSettings",
    "DkimKey",
    "DailyCount", "NotificationCount",
    "MailCustomization",
]
