"""What maintenance notices say, read from a real SMTP server."""
from tests.fanout.helpers import add_subscribers
from tests.status.test_admin_maintenance import STAGES_TICKED
from tests.support.web import submit


def _schedule(client, **fields):
    form = {"title": "Database upgrade", "description": "Read-only for a while.",
            "starts_at": "2030-06-01T08:01", "ends_at": "2030-06-01T09:30", **STAGES_TICKED,
            **fields}
    response = submit(client, "/admin/maintenance/new", form)
    assert response.status_code == 302, response.text
    return response


def _bodies(received):
    mail = received.message
    return mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()


def test_times_in_utc_are_printed_once(admin_client, data, smtp, run_jobs):
    data.settings(timezone="UTC", notifications_enabled=True)
    add_subscribers(data.app, 1)
    _schedule(admin_client)
    run_jobs()
    (received,) = smtp.wait_for(1)
    for body in _bodies(received):
        assert "2030-06-01 08:01 UTC" in body and "2030-06-01 09:30 UTC" in body
        assert "UTC (2030-06-01" not in body  # not "08:01 UTC (08:01 UTC)"


def test_times_in_another_zone_also_show_utc(admin_client, data, smtp, run_jobs):
    data.settings(timezone="America/New_York", notifications_enabled=True)
    add_subscribers(data.app, 1)
    _schedule(admin_client)
    run_jobs()
    (received,) = smtp.wait_for(1)
    for body in _bodies(received):
        assert "2030-06-01 08:01 EDT (2030-06-01 12:01 UTC)" in body
