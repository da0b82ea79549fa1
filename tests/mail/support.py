"""Driving Email settings and Test send through the admin, as an operator would."""
import json
import re

from tests.support import web

SETTINGS_PAGE = "/admin/email"
TEST_SEND_PAGE = "/admin/email/test"

# A complete, valid settings form: capture, nothing secret.
SETTINGS_FORM = {
    "status_page_name": "Example Status", "timezone": "UTC", "delivery_retention_days": "90",
    "provider": "capture", "smtp_host": "", "smtp_port": "587", "smtp_security": "starttls",
    "smtp_username": "", "smtp_password": "", "smtp_timeout": "5",
    "smtp_tls_unverified_host": "", "sendgrid_api_key": "", "from_address": "status@example.com",
    "from_name": "Example Status", "reply_to": "", "rate_per_second": "", "rate_per_day": "",
    "maintenance_reminder_minutes": "60", "maintenance_notify_scheduled": "y",
    "maintenance_notify_started": "y", "maintenance_notify_completed": "y",
}


def submit_settings(client, **fields):
    """POST the settings form with ``fields`` changed; booleans as True/False."""
    data = {**SETTINGS_FORM}
    for name, value in fields.items():
        if value is True:
            data[name] = "y"
        elif value is False:
            data.pop(name, None)
        else:
            data[name] = str(value)
    return web.submit(client, SETTINGS_PAGE, data)


def save_settings(client, **fields):
    response = submit_settings(client, **fields)
    assert response.status_code == 302, _errors(response.text)
    return client.get(response.headers["Location"])


def smtp_fields(server, **fields):
    return {"provider": "smtp", "smtp_host": server.host, "smtp_port": server.port,
            "smtp_security": "none", **fields}


def send_test(client, recipient="ops@example.com", subject="Checking delivery",
              body="Hello from the test."):
    """Submit the test-send form; return the new mail's id."""
    response = web.submit(client, TEST_SEND_PAGE,
                          {"recipient": recipient, "subject": subject, "body": body})
    assert response.status_code == 302, _errors(response.text)
    found = re.search(r"/admin/email/test/(\d+)$", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def result(client, outbound_id):
    """(result page HTML, JSON report) of a test send."""
    page = client.get(f"/admin/email/test/{outbound_id}")
    assert page.status_code == 200
    status = client.get(f"/admin/email/test/{outbound_id}.json")
    assert status.status_code == 200
    return page.text, json.loads(status.text)


def _errors(html):
    return re.findall(r'class="(?:error|flash flash-error)"[^>]*>([^<]+)<', html) or html[:2000]
