"""Problems the operator must see on every admin page."""
import redis

from ..models import SiteSettings
from ..queues import any_worker_alive


def banners():
    settings = SiteSettings.get()
    found = []
    if settings.provider_failure:
        found.append(("error", "Sending is paused: " + settings.provider_failure
                      + " Fix Email settings and save them to resume."))
    try:
        alive = any_worker_alive()
    except redis.RedisError:
        found.append(("error", "Redis does not answer: nothing can be sent until it is back."))
    else:
        if settings.notifications_enabled and not alive:
            found.append(("error", "Notifications are enabled but no worker is running, so no "
                          "mail goes out. Start one with: flask --app wsgi worker"))
    if not settings.notifications_enabled:
        found.append(("info", "Email notifications are off: subscribers get no notices "
                      "(confirmation mails to new subscribers still go out)."))
    return found
