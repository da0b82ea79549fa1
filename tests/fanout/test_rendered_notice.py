"""A worker reuses a rendered notice for its next batches, and only while nothing it was
rendered from has changed."""
from statusmail.extensions import db
from statusmail.fanout.notices import rendered_notice
from statusmail.models import Notification, SiteSettings

from .helpers import add_subscribers, enable_notifications, publish_incident


def test_a_rendered_notice_is_reused_until_a_sender_setting_changes(app):
    enable_notifications(app)
    add_subscribers(app, 1)
    first_id, second_id = publish_incident(app), publish_incident(app, title="Another")
    with app.app_context():
        first, second = (db.session.get(Notification, i) for i in (first_id, second_id))
        settings = SiteSettings.get()
        rendered = rendered_notice(first, settings)
        assert rendered_notice(first, settings) is rendered
        assert rendered_notice(second, settings) is not rendered

        settings.from_address = "alerts@elsewhere.example"
        db.session.commit()
        changed = rendered_notice(first, settings)
        assert changed is not rendered
        assert changed.template.message.sender in (
            "alerts@elsewhere.example", (settings.from_name, "alerts@elsewhere.example"))
        assert b"@elsewhere.example>" in changed.template.raw  # the Message-ID's domain
