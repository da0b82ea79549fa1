"""Test send: each way delivery can fail is produced by a real server (or a real absence of
one), sent by a real RQ worker, and must come back as its own diagnosis with the server's
words. Settings are made through the settings form, the mail through the test-send form."""
import socket
import time

import pytest

from statusmail.extensions import db
from statusmail.models import CapturedMail, OutboundMail
from tests.mail.sendgrid_double import AUTH_ERROR, SendGridDouble
from tests.mail.support import result, save_settings, send_test, smtp_fields
from tests.support.certs import make_self_signed, server_context
from tests.support import web
from tests.support.smtp import free_port

SMTP_USERS = {"mailer": "right horse battery"}


@pytest.fixture
def cert(tmp_path):
    return make_self_signed(tmp_path)


@pytest.fixture
def tls_server(smtp_server, cert):
    """STARTTLS with a self-signed certificate; AUTH offered only once TLS is up."""
    return smtp_server(tls_context=server_context(*cert), users=SMTP_USERS)


@pytest.fixture
def silent_port():
    """A loopback port whose connections are accepted by the kernel but never answered."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


@pytest.fixture
def sendgrid(app):
    double = SendGridDouble("SG.right-key").start()
    app.config["SENDGRID_API_URL"] = double.url
    yield double
    double.stop()


def _fail(client, run_jobs, recipient="ops@example.com"):
    outbound_id = send_test(client, recipient=recipient)
    run_jobs()
    page, status = result(client, outbound_id)
    assert status["state"] == "failed" and status["done"] and not status["ok"]
    # The page shows the diagnosis, its detail and what to do, and no longer polls.
    assert status["title"] in page and status["hint"] and "What to do" in page
    assert "data-poll-url" not in page and 'http-equiv="refresh"' not in page
    return page, status


def test_dns_failure(admin_client, run_jobs):
    save_settings(admin_client, **smtp_fields(_Host("mail.statusmail.invalid", 587)))
    page, status = _fail(admin_client, run_jobs)
    assert status["diagnosis"] == "dns" and status["title"] == "Host name does not resolve"
    assert "mail.statusmail.invalid" in status["detail"] and status["code"] is None


def test_connection_refused(admin_client, run_jobs):
    port = free_port()
    save_settings(admin_client, **smtp_fields(_Host("127.0.0.1", port)))
    page, status = _fail(admin_client, run_jobs)
    assert status["diagnosis"] == "refused" and status["title"] == "Connection refused"
    assert f"127.0.0.1:{port}" in status["detail"]


def test_timeout(admin_client, run_jobs, silent_port):
    save_settings(admin_client, **smtp_fields(_Host("127.0.0.1", silent_port), smtp_timeout=1))
    page, status = _fail(admin_client, run_jobs)
    assert status["diagnosis"] == "timeout" and status["title"] == "Connection timed out"
    assert "within 1 s" in status["detail"]


def test_tls_handshake_failure(admin_client, run_jobs, smtp_server):
    plain = smtp_server()
    save_settings(admin_client, **smtp_fields(plain, smtp_security="ssl"))
    page, status = _fail(admin_client, run_jobs)
    assert status["diagnosis"] == "tls_handshake" and status["title"] == "TLS handshake failed"
    assert "SSL/TLS is usually port 465" in status["detail"]


def test_certificate_not_trusted(admin_client, run_jobs, tls_server):
    save_settings(admin_client, **smtp_fields(tls_server, smtp_security="starttls"))
    page, status = _fail(admin_client, run_jobs)
    assert status["diagnosis"] == "tls_certificate" and status["title"] == "TLS certificate not trusted"
    assert "self-signed certificate" in status["detail"]
    assert not tls_server.messages


def test_starttls_not_offered(admin_client, run_jobs, smtp_server):
    plain = smtp_server()
    save_settings(admin_client, **smtp_fields(plain, smtp_security="starttls"))
    page, status = _fail(admin_client, run_jobs)
    assert status["diagnosis"] == "starttls_unsupported"
    assert status["title"] == "Server does not offer STARTTLS"


def test_authentication_rejected(app, admin_client, run_jobs, tls_server, cert):
    app.config["STATUSMAIL_SMTP_CA_FILE"] = str(cert[0])
    save_settings(admin_client, **smtp_fields(
        tls_server, smtp_security="starttls", smtp_username="mailer", smtp_password="wrong one"))
    page, status = _fail(admin_client, run_jobs)
    assert status["diagnosis"] == "auth" and status["title"] == "Authentication rejected"
    assert status["code"] == 535 and "Authentication credentials invalid" in status["reply"]
    assert "535" in page and "Authentication credentials invalid" in page
    assert "wrong one" not in page


def test_sender_rejected(admin_client, run_jobs, smtp_server):
    server = smtp_server()
    server.mail_replies["status@example.com"] = "550 5.7.1 Sender address not allowed here"
    save_settings(admin_client, **smtp_fields(server))
    page, status = _fail(admin_client, run_jobs)
    assert status["diagnosis"] == "sender_rejected" and status["title"] == "Sender address rejected"
    assert status["code"] == 550 and status["reply"] == "5.7.1 Sender address not allowed here"
    assert "550 5.7.1 Sender address not allowed here" in page


def test_recipient_rejected(admin_client, run_jobs, smtp_server):
    server = smtp_server()
    server.rcpt_replies["nobody@example.com"] = "550 5.1.1 User unknown"
    save_settings(admin_client, **smtp_fields(server))
    page, status = _fail(admin_client, run_jobs, recipient="nobody@example.com")
    assert status["diagnosis"] == "recipient_rejected"
    assert status["title"] == "Recipient address rejected"
    assert status["code"] == 550 and status["reply"] == "5.1.1 User unknown"
    assert "nobody@example.com" in status["detail"] and not server.messages


@pytest.mark.parametrize("security", ["starttls", "none"])
def test_a_plain_start_against_an_implicit_tls_port_is_named_without_waiting(
        admin_client, run_jobs, smtp_server, cert, security):
    """The server speaks TLS from the first byte and greets nobody in plain text: the
    diagnosis names that well before the (long) timeout would have run out."""
    server = smtp_server(tls_context=server_context(*cert), implicit_tls=True)
    save_settings(admin_client, **smtp_fields(server, smtp_security=security, smtp_timeout=120))
    started = time.monotonic()
    page, status = _fail(admin_client, run_jobs)
    assert time.monotonic() - started < 60
    assert status["diagnosis"] == "tls_port"
    assert status["title"] == "This port speaks TLS from the first byte"
    assert f"127.0.0.1:{server.port} speaks TLS from the first byte" in status["detail"]
    assert "choose SSL/TLS" in status["detail"] and "Choose SSL/TLS" in status["hint"]
    assert not server.messages


def test_a_temporary_refusal_says_a_test_is_not_retried(admin_client, run_jobs, smtp_server):
    server = smtp_server()
    server.rcpt_replies["busy@example.com"] = "451 4.7.1 Greylisted, try again later"
    save_settings(admin_client, **smtp_fields(server))
    page, status = _fail(admin_client, run_jobs, recipient="busy@example.com")
    assert status["diagnosis"] == "temporary" and status["code"] == 451
    assert status["reply"] == "4.7.1 Greylisted, try again later"
    assert status["title"] == "Refused for now: a temporary failure"
    assert "not retried" in status["hint"] and "real notices" in status["hint"]
    assert "will retry" not in page.lower()
    with admin_client.application.app_context():
        # Tried once: nothing is waiting for a second attempt.
        row = db.session.get(OutboundMail, status["id"])
        assert (row.state, row.attempts, row.next_attempt_at) == ("failed", 1, None)


def test_a_login_wanted_without_a_username_says_so(app, admin_client, run_jobs, smtp_server,
                                                   cert):
    app.config["STATUSMAIL_SMTP_CA_FILE"] = str(cert[0])
    server = smtp_server(tls_context=server_context(*cert), users=SMTP_USERS, auth_required=True)
    save_settings(admin_client, **smtp_fields(server, smtp_security="starttls"))
    page, status = _fail(admin_client, run_jobs)
    assert status["diagnosis"] == "auth_required" and status["code"] == 530
    assert status["title"] == "The server wants a username and password"
    assert "MAIL FROM with 530" in status["detail"]
    assert "wants a username and password" in page and "5.7.0 Authentication required" in page
    assert not server.messages


def test_a_captured_test_links_its_copy_instead_of_spam_advice(app, admin_client, run_jobs):
    save_settings(admin_client, provider="capture")
    outbound_id = send_test(admin_client, subject="Kept here")
    run_jobs()
    page, status = result(admin_client, outbound_id)
    assert status["ok"] and status["captured"]
    with app.app_context():
        [copy] = CapturedMail.query.all()
        assert copy.subject == "Kept here"
    assert status["captured_id"] == copy.id
    assert f'href="/admin/captured/{copy.id}"' in page and "Open the captured copy" in page
    assert "SPF" not in page and "spam" not in page

    with app.app_context():
        CapturedMail.query.delete()
        db.session.commit()
    page, status = result(admin_client, outbound_id)
    assert status["captured"] and status["captured_id"] is None
    assert "has been deleted since" in page and "/admin/captured/" not in page


def _sent(client, run_jobs, server):
    outbound_id = send_test(client, recipient="ops@example.com", subject="Over TLS")
    run_jobs()
    page, status = result(client, outbound_id)
    assert status["state"] == "sent" and status["ok"] and status["done"], status
    assert status["code"] == 250 and status["reply"] == "2.0.0 Ok: queued as test"
    assert "Sent: the server accepted the mail" in page and "250 2.0.0 Ok: queued as test" in page
    [received] = server.messages
    assert received.rcpt_tos == ["ops@example.com"] and received.message["Subject"] == "Over TLS"
    return received


def test_success_over_starttls_and_auth_with_ca_file(app, admin_client, run_jobs, tls_server, cert):
    app.config["STATUSMAIL_SMTP_CA_FILE"] = str(cert[0])
    save_settings(admin_client, **smtp_fields(
        tls_server, smtp_security="starttls", smtp_username="mailer",
        smtp_password=SMTP_USERS["mailer"]))
    # The server offers AUTH only after STARTTLS: a delivered mail proves both happened.
    received = _sent(admin_client, run_jobs, tls_server)
    assert "Hello from the test." in received.message.get_body(("plain",)).get_content()


def test_success_over_implicit_tls_with_ca_file(app, admin_client, run_jobs, smtp_server, cert):
    app.config["STATUSMAIL_SMTP_CA_FILE"] = str(cert[0])
    server = smtp_server(tls_context=server_context(*cert), implicit_tls=True)
    save_settings(admin_client, **smtp_fields(server, smtp_security="ssl"))
    _sent(admin_client, run_jobs, server)


def test_success_with_self_signed_opt_out_host(admin_client, run_jobs, tls_server):
    save_settings(admin_client, **smtp_fields(
        tls_server, smtp_security="starttls", smtp_tls_unverified_host="127.0.0.1",
        smtp_username="mailer", smtp_password=SMTP_USERS["mailer"]))
    _sent(admin_client, run_jobs, tls_server)


def test_sendgrid_success_sends_what_sendgrid_expects(admin_client, run_jobs, sendgrid):
    save_settings(admin_client, provider="sendgrid", sendgrid_api_key="SG.right-key",
                  reply_to="help@example.com")
    outbound_id = send_test(admin_client, recipient="ops@example.com", subject="Via the API")
    run_jobs()
    page, status = result(admin_client, outbound_id)
    assert status["state"] == "sent" and status["code"] == 202, status
    [(headers, payload)] = sendgrid.requests
    assert status["reply"].startswith("sg-") and status["reply"] in page
    assert headers["Authorization"] == "Bearer SG.right-key"
    assert payload["personalizations"] == [{"to": [{"email": "ops@example.com"}]}]
    assert payload["from"] == {"email": "status@example.com", "name": "Example Status"}
    assert payload["reply_to"] == {"email": "help@example.com"}
    assert payload["subject"] == "Via the API"
    assert [part["type"] for part in payload["content"]] == ["text/plain", "text/html"]
    assert "Hello from the test." in payload["content"][0]["value"]
    assert payload["headers"]["Auto-Submitted"] == "auto-generated"
    assert payload["headers"]["Message-ID"].endswith("@example.com>")


def test_sendgrid_wrong_key_is_authentication_rejected(admin_client, run_jobs, sendgrid):
    save_settings(admin_client, provider="sendgrid", sendgrid_api_key="SG.revoked-key")
    page, status = _fail(admin_client, run_jobs)
    assert status["diagnosis"] == "auth" and status["title"] == "Authentication rejected"
    assert status["code"] == 401 and status["reply"] == AUTH_ERROR
    assert AUTH_ERROR in page and not sendgrid.requests


def test_pending_page_works_without_javascript_and_names_a_missing_worker(app, admin_client):
    outbound_id = send_test(admin_client)
    page, status = result(admin_client, outbound_id)
    assert status["state"] == "queued" and not status["done"] and status["stalled"] is None
    # Without JS the page refreshes itself; with JS it polls the JSON.
    assert '<noscript><meta http-equiv="refresh"' in page
    assert f'data-poll-url="/admin/email/test/{outbound_id}.json"' in page
    assert "No worker is running" not in page

    with app.app_context():  # five seconds later, still nobody has taken it
        row = db.session.get(OutboundMail, outbound_id)
        row.created_at = row.created_at.replace(microsecond=0) - _seconds(6)
        db.session.commit()
    page, status = result(admin_client, outbound_id)
    assert status["stalled"]["reason"] == "no_worker"
    assert "No worker is running" in page and "flask --app wsgi worker" in page


def test_only_test_sends_are_shown(app, admin_client):
    with app.app_context():
        row = OutboundMail(kind="password_reset", recipient="admin@example.com")
        db.session.add(row)
        db.session.commit()
        other_id = row.id
    assert admin_client.get(f"/admin/email/test/{other_id}").status_code == 404
    assert admin_client.get(f"/admin/email/test/{other_id}.json").status_code == 404


def test_form_refuses_bad_input_and_queues_nothing(app, admin_client):
    response = web.submit(admin_client, "/admin/email/test",
                          {"recipient": "not an address", "subject": "Hi\r\nBcc: x@example.com",
                           "body": "x"})
    assert response.status_code == 200
    assert "must have an @-sign" in response.text and "without line breaks" in response.text
    with app.app_context():
        assert OutboundMail.query.count() == 0


class _Host:
    """Where a server would be: enough for :func:`smtp_fields`."""

    def __init__(self, host, port):
        self.host, self.port = host, port


def _seconds(n):
    from datetime import timedelta
    return timedelta(seconds=n)


@pytest.mark.browser
def test_result_page_follows_the_worker_in_a_browser(live_app, page, smtp_server):
    """With JavaScript: the page polls, names the missing worker, and shows the reply once sent."""
    server = smtp_server()
    web.use_smtp(live_app, server)
    web.create_admin(live_app)
    page.goto(live_app.base_url + "/admin/login")
    page.fill("input[name=email]", web.ADMIN_EMAIL)
    page.fill("input[name=password]", web.ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_app.base_url + "/admin/")

    page.goto(live_app.base_url + "/admin/email/test")
    page.fill("input[name=recipient]", "ops@example.com")
    page.click("text=Send test mail")
    page.wait_for_selector('[data-field="state"]:has-text("Waiting for a worker")')
    outbound_id = int(page.url.rsplit("/", 1)[1])

    with live_app.app_context():  # nobody has taken it for a while
        row = db.session.get(OutboundMail, outbound_id)
        row.created_at -= _seconds(6)
        db.session.commit()
    page.wait_for_selector('[data-field="stalled"]:has-text("No worker is running")')

    web.drain_queues(live_app)
    page.wait_for_selector("text=Sent: the server accepted the mail")
    assert "250 2.0.0 Ok: queued as test" in page.text_content(".outcome")
    assert page.query_selector("[data-poll-url]") is None
    assert len(server.wait_for(1)) == 1
