"""The links in a notice belong to its subscriber's current key: the one-click header of
an older notice stops working once the links are invalidated; the next notice's works."""
import re

from statusmail.extensions import db
from statusmail.models import Subscriber
from statusmail.services.subscriber_admin import invalidate_links
from tests.support.web import use_smtp

from .helpers import add_subscribers, enable_notifications, publish_incident

ONE_CLICK = re.compile(rb"^List-Unsubscribe: <http://statusmail\.test(/unsubscribe/[^/>]+"
                       rb"/one-click)>\r$", re.M)
MANAGE = re.compile(r"http://statusmail\.test(/manage/[^\s\"<]+)")


def _links_of_last_mail(smtp):
    received = smtp.messages[-1]
    text = received.message.get_body(("plain",)).get_content()
    return ONE_CLICK.search(received.raw).group(1).decode(), MANAGE.search(text).group(1)


def _status(app):
    with app.app_context():
        return db.session.scalar(db.select(Subscriber.status))


def test_invalidated_links_in_an_older_notice_act_on_nobody(app, smtp, run_jobs):
    enable_notifications(app)
    use_smtp(app, smtp)
    [address] = add_subscribers(app, 1)
    publish_incident(app, title="First")
    run_jobs()
    old_one_click, old_manage = _links_of_last_mail(smtp)
    provider = app.test_client(use_cookies=False)
    assert provider.get(old_manage).status_code == 200

    with app.app_context():
        invalidate_links(db.session.scalar(db.select(Subscriber.id)))
    stale = provider.get(old_manage)
    assert stale.status_code == 400 and address not in stale.text
    provider.post(old_one_click, data={"List-Unsubscribe": "One-Click"})
    assert _status(app) == "confirmed"

    publish_incident(app, title="Second")
    run_jobs()
    one_click, manage = _links_of_last_mail(smtp)
    assert (one_click, manage) != (old_one_click, old_manage)
    assert provider.get(manage).status_code == 200
    done = provider.post(one_click, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and _status(app) == "unsubscribed"
