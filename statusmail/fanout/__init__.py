"""Events become mail: publish → delivery rows → batch jobs → send → record.

The database is the truth and Redis only carries work; each step is guarded so that a
crashed worker or a lost queue delays mail but never drops or repeats it.

- :mod:`.publish` records the notification with the change it announces;
  :mod:`.expand` (a job) copies its audience into delivery rows and queues batches;
- :mod:`.queue` puts delivery ids on the "fanout" queue; :mod:`.sweeper` puts back what
  crashed workers or a forgetful Redis lost;
- :mod:`.ledger` claims deliveries with a lease and records outcomes; :mod:`.recorder`
  is its cheap path for accepted messages;
- :mod:`.batch` sends one batch over one connection, within the provider's
  :mod:`.rate`; :mod:`.notices` renders what it sends;
- :mod:`.control` pauses, resumes, cancels and reports progress.

The rest of the app calls what this module exports.
"""
from .control import (
    cancel_notification, notification_progress, pause_notification, resume_notification,
    retry_failed,
)
from .publish import publish_event

__all__ = ["cancel_notification", "notification_progress", "pause_notification",
           "publish_event", "resume_notification", "retry_failed"]
