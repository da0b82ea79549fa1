"""Every kind of mail, read off a real SMTP server, carries DKIM signatures that dkimpy
verifies against the DNS records exactly as the DKIM page shows them — RSA and Ed25519."""
import re

import dkim
import pytest
from cryptography.fernet import Fernet

from statusmail.extensions import db
from statusmail.models import CapturedMail, DkimKey
from statusmail.models.notifications import EVENT_KINDS
from tests.fanout.helpers import (add_component, add_subscribers, enable_notifications,
                                  publish_component_change, publish_incident,
                                  publish_maintenance)
from tests.public.support import post_from
from tests.support import web

from .dkim_support import (generate_key, published_records, resolver, signatures, verify_all,
                           verify_one)
from .support import SETTINGS_FORM, result, save_settings, send_test

# RFC 8058 requires the last two List- headers signed; the rest is what a mail is.
NOTICE_HEADERS = {"from", "to", "subject", "date", "message-id", "list-id", "list-unsubscribe",
                  "list-unsubscribe-post", "mime-version", "content-type"}
ONE_OFF_HEADERS = {"from", "to", "subject", "date", "message-id", "mime-version", "content-type"}


@pytest.fixture
def both_keys(app, smtp, admin_client):
    """An RSA and an Ed25519 key, both enabled: every mail carries both signatures."""
    generate_key(admin_client, "rsa")
    generate_key(admin_client, "ed25519")
    return published_records(admin_client)


def _check(raw, records, headers):
    found = signatures(raw)
    assert [(algorithm, selector) for algorithm, selector, _ in found] == [
        ("rsa-sha256", "statusmail1"), ("ed25519-sha256", "statusmail2")]
    for _, _, signed in found:
        assert headers <= set(signed), headers - set(signed)
    assert verify_all(raw, records)


@pytest.mark.parametrize("kind", sorted(EVENT_KINDS))
def test_every_notice_kind_verifies(app, smtp, both_keys, run_jobs, kind):
    enable_notifications(app)
    api = add_component(app, "API")
    add_subscribers(app, 2)
    if kind.startswith("incident"):
        publish_incident(app, kind=kind, component_ids=[api])
    elif kind.startswith("maintenance"):
        publish_maintenance(app, kind=kind, component_ids=[api])
    else:
        publish_component_change(app, api)
    run_jobs()
    received = smtp.wait_for(2)
    assert {m.to for m in received} == {"user0@example.org", "user1@example.org"}
    for mail in received:
        _check(mail.raw, both_keys, NOTICE_HEADERS)


def test_confirmation_verifies(app, client, smtp, both_keys, run_jobs):
    page = client.get("/subscribe")
    post_from(client, "/subscribe", {"csrf_token": web.csrf_token(page.text),
                                     "email": "new@example.org"}, "10.0.0.9")
    run_jobs()
    mail = smtp.to("new@example.org")
    assert len(mail) == 1 and "/confirm/" in mail[0].raw.decode()
    _check(mail[0].raw, both_keys, ONE_OFF_HEADERS)


def test_password_reset_verifies(app, client, admin, smtp, both_keys, run_jobs):
    client.post("/admin/logout", data={"csrf_token": web.csrf_token(client.get("/admin/").text)})
    answer = web.submit(client, "/admin/forgot-password", {"email": admin.email})
    assert answer.status_code == 302
    run_jobs()
    mail = smtp.to(admin.email)
    assert len(mail) == 1 and "/admin/reset-password/" in mail[0].raw.decode()
    _check(mail[0].raw, both_keys, ONE_OFF_HEADERS)


def test_invitation_verifies(app, admin_client, smtp, both_keys, run_jobs):
    answer = web.submit(admin_client, "/admin/users", {"email": "colleague@example.org",
                                                        "role": "editor"},
                        action="/admin/users/invite")
    assert answer.status_code == 302
    run_jobs()
    mail = smtp.to("colleague@example.org")
    assert len(mail) == 1 and "/admin/invitation/" in mail[0].raw.decode()
    _check(mail[0].raw, both_keys, ONE_OFF_HEADERS)


@pytest.mark.parametrize("status", ["confirmed", "pending"])
def test_manage_link_verifies(app, client, smtp, both_keys, run_jobs, status):
    add_subscribers(app, 1, status=status)
    page = client.get("/manage-link")
    post_from(client, "/manage-link", {"csrf_token": web.csrf_token(page.text),
                                       "email": "user0@example.org"}, "10.0.0.9")
    run_jobs()
    mail = smtp.to("user0@example.org")
    path = "/manage/" if status == "confirmed" else "/confirm/"
    assert len(mail) == 1 and path in mail[0].raw.decode()
    _check(mail[0].raw, both_keys, ONE_OFF_HEADERS)


def test_every_outbound_kind_has_a_test_here():
    from statusmail.models.outbound import OUTBOUND_KINDS
    names = {"confirm": "test_confirmation_verifies", "manage_link": "test_manage_link_verifies",
             "password_reset": "test_password_reset_verifies",
             "invitation": "test_invitation_verifies", "test": "test_test_send_verifies"}
    assert set(OUTBOUND_KINDS) == set(names)
    assert all(name in globals() for name in names.values())


def test_test_send_verifies(app, admin_client, smtp, both_keys, run_jobs):
    outbound_id = send_test(admin_client, recipient="ops@example.com")
    run_jobs()
    assert result(admin_client, outbound_id)[1]["ok"]
    _check(smtp.to("ops@example.com")[0].raw, both_keys, ONE_OFF_HEADERS)


def test_unsaved_settings_trial_verifies(app, admin_client, smtp, both_keys):
    data = {**SETTINGS_FORM, "provider": "smtp", "smtp_host": smtp.host,
            "smtp_port": str(smtp.port), "smtp_security": "none", "trial_recipient": "ops@example.com"}
    answer = web.submit(admin_client, "/admin/email", data, action="/admin/email/try")
    assert answer.status_code == 200
    _check(smtp.wait_for(1)[0].raw, both_keys, ONE_OFF_HEADERS)


def test_captured_mail_is_signed(app, admin_client, both_keys, run_jobs):
    save_settings(admin_client, provider="capture")
    send_test(admin_client, recipient="ops@example.com")
    run_jobs()
    with app.app_context():
        raw = db.session.scalar(db.select(CapturedMail.raw))
    _check(bytes(raw), both_keys, ONE_OFF_HEADERS)


@pytest.mark.parametrize("algorithm", ["rsa", "ed25519"])
def test_each_algorithm_alone(app, admin_client, smtp, run_jobs, algorithm):
    generate_key(admin_client, algorithm, selector="solo")
    records = published_records(admin_client)
    assert re.fullmatch(rf"v=DKIM1; k={algorithm}; p=[A-Za-z0-9+/=]+",
                        records["solo._domainkey.example.com"].decode())
    send_test(admin_client)
    run_jobs()
    raw = smtp.wait_for(1)[0].raw
    assert [s[:2] for s in signatures(raw)] == [(f"{algorithm}-sha256", "solo")]
    assert verify_all(raw, records)


def test_tampering_breaks_the_signature(app, smtp, both_keys, run_jobs):
    enable_notifications(app)
    add_subscribers(app, 1)
    publish_incident(app)
    run_jobs()
    raw = smtp.wait_for(1)[0].raw
    assert verify_all(raw, both_keys)
    subject = re.search(rb"^Subject: .*$", raw, re.M).group(0)
    unsubscribe = re.search(rb"^List-Unsubscribe: .*$", raw, re.M).group(0)
    for tampered in (raw.replace(subject, b"Subject: Your account is locked, log in here"),
                     raw.replace(unsubscribe, b"List-Unsubscribe: <https://evil.example/x>"),
                     raw.replace(b"Database outage", b"Database is fine")):
        assert tampered != raw
        assert not verify_one(tampered, both_keys, 0)
        assert not verify_one(tampered, both_keys, 1)
        assert not dkim.verify(tampered, dnsfunc=resolver(both_keys))
    # ...and neither does the mail against another key's record.
    swapped = {"statusmail1._domainkey.example.com": _other_rsa_record(),
               "statusmail2._domainkey.example.com": both_keys["statusmail2._domainkey.example.com"]}
    assert not verify_one(raw, swapped, 0) and verify_one(raw, swapped, 1)


def _other_rsa_record():
    import base64
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    der = public.public_bytes(serialization.Encoding.DER,
                              serialization.PublicFormat.SubjectPublicKeyInfo)
    return b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)


def test_disabled_keys_do_not_sign(app, admin_client, smtp, run_jobs):
    generate_key(admin_client, "rsa", enable=False)
    send_test(admin_client)
    run_jobs()
    assert b"DKIM-Signature" not in smtp.wait_for(1)[0].raw


def test_an_unreadable_key_stops_sending_instead_of_sending_unsigned(app, admin_client, smtp,
                                                                     run_jobs):
    generate_key(admin_client, "rsa")
    with app.app_context():
        key = db.session.scalar(db.select(DkimKey))
        key.private_key_encrypted = Fernet(Fernet.generate_key()).encrypt(b"x").decode()
        db.session.commit()
    outbound_id = send_test(admin_client)
    run_jobs()
    page, status = result(admin_client, outbound_id)
    assert status["diagnosis"] == "dkim_key" and not status["ok"]
    assert "DKIM" in status["title"] and smtp.messages == []
