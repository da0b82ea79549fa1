"""Every notice carries a List-Id (RFC 2919): the operator's, or the base URL's host."""
import pytest

from statusmail.mail.list_id import derived_list_id
from tests.mail.support import smtp_fields, submit_settings

from .helpers import add_subscribers, enable_notifications, publish_incident, publish_maintenance


def test_notices_carry_the_list_id_of_the_base_url_host(app, smtp, run_jobs):
    enable_notifications(app)
    add_subscribers(app, 2)
    publish_incident(app)
    publish_maintenance(app)
    run_jobs()
    received = smtp.wait_for(4)
    assert [mail.message["List-Id"] for mail in received] == ["<statusmail.test>"] * 4
    assert all(b"\r\nList-Id: <statusmail.test>\r\n" in mail.raw for mail in received)


def test_the_list_id_set_in_settings_wins(app, admin_client, smtp, run_jobs):
    response = submit_settings(admin_client, **smtp_fields(smtp),
                               list_id=" <Notices.Example.COM> ")
    assert response.status_code == 302
    enable_notifications(app)
    add_subscribers(app, 1)
    publish_incident(app)
    run_jobs()
    (received,) = smtp.wait_for(1)
    assert received.message["List-Id"] == "<Notices.Example.COM>"
    assert 'value="Notices.Example.COM"' in admin_client.get("/admin/email").text


@pytest.mark.parametrize("base_url, expected", [
    ("https://status.example.com/", "status.example.com"),
    ("https://Status.Example.com:8443/sub/path", "status.example.com"),
    ("http://localhost:5000", "localhost.localhost"),
    ("http://127.0.0.1:5000", "status.localhost"),
    ("http://[::1]:5000", "status.localhost"),
    ("", "status.localhost"),
])
def test_derived_list_id_is_always_a_valid_identifier(base_url, expected):
    assert derived_list_id(base_url) == expected
