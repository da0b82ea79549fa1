"""Features → Notifications switch and the worker-health indicator."""
from statusmail.extensions import db
from statusmail.models import SiteSettings
from tests.support import processes, web


def _notifications_enabled(app):
    with app.app_context():
        return SiteSettings.get().notifications_enabled


def test_switch_turns_notifications_on_and_off(app, admin_client):
    assert not _notifications_enabled(app)
    page = admin_client.get("/admin/")
    assert "Email notifications are <strong class=\"state-off\">off" in page.text
    assert "confirmation mail" in page.text  # says what still happens while off

    on = web.submit(admin_client, "/admin/", {"enabled": "on"},
                    action="/admin/features/notifications", follow_redirects=True)
    assert "Email notifications are on" in on.text
    assert _notifications_enabled(app)

    web.submit(admin_client, "/admin/", {"enabled": "off"},
               action="/admin/features/notifications")
    assert not _notifications_enabled(app)


def test_switch_refuses_nonsense(app, admin_client):
    answer = web.submit(admin_client, "/admin/", {"enabled": "maybe"},
                        action="/admin/features/notifications", follow_redirects=True)
    assert "Choose on or off" in answer.text
    assert not _notifications_enabled(app)


def test_banner_when_enabled_without_worker_and_health_with_one(app, admin_client):
    with app.app_context():
        SiteSettings.get().notifications_enabled = True
        db.session.commit()
    page = admin_client.get("/admin/")
    assert "no worker is running" in page.text

    worker = processes.start_flask("worker", "--name", "health-check-worker")
    try:
        processes.wait_until(lambda: "health-check-worker" in admin_client.get("/admin/").text,
                             message="the worker to register")
        page = admin_client.get("/admin/")
        assert "alive" in page.text
        assert "no worker is running" not in page.text
    finally:
        processes.stop(worker)
    # A worker that stopped cleanly unregisters itself: the banner is back.
    assert "no worker is running" in admin_client.get("/admin/").text
