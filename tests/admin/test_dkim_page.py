"""The DKIM page: generate or paste keys, publish the record it shows, enable, delete —
and the private key is never shown back nor stored in the clear."""
import html
import re
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from statusmail.extensions import db
from statusmail.models import AuditEvent, DkimKey
from tests.mail.dkim_support import DKIM_PAGE, enable_key, generate_key, key_id, published_records
from tests.mail.support import save_settings
from tests.support import web


def _pem(private, encryption=None):
    return private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 encryption or serialization.NoEncryption()).decode()


def _paste(client, text, selector="pasted1", domain="example.com"):
    return web.submit(client, DKIM_PAGE, {"paste-domain": domain, "paste-selector": selector,
                                          "paste-private_key": text},
                      action=f"{DKIM_PAGE}/paste")


def _keys(app):
    with app.app_context():
        return [(k.selector, k.algorithm, k.enabled) for k in
                db.session.scalars(db.select(DkimKey).order_by(DkimKey.id))]


def test_page_defaults_to_the_from_domain_and_a_first_selector(app, admin_client):
    save_settings(admin_client, from_address="status@mail.example.net")
    page = admin_client.get(DKIM_PAGE)
    assert page.status_code == 200
    assert re.search(r'name="generate-domain"[^>]*value="mail.example.net"', page.text)
    assert re.search(r'name="generate-selector"[^>]*value="statusmail1"', page.text)
    assert "Mail goes out unsigned" in page.text
    assert "_dmarc.mail.example.net" in page.text and "v=spf1" in page.text
    assert 'href="/admin/email/dkim"' in admin_client.get("/admin/email").text


def test_generated_rsa_record_is_split_into_dns_strings(app, admin_client):
    selector = generate_key(admin_client, "rsa", enable=False)
    record = published_records(admin_client)[f"{selector}._domainkey.example.com"].decode()
    assert record.startswith("v=DKIM1; k=rsa; p=MIIBIjAN")  # a 2048-bit SubjectPublicKeyInfo
    zone = re.search(r'<pre class="dkim-record-zone"[^>]*>([^<]*)</pre>',
                     admin_client.get(DKIM_PAGE).text).group(1)
    strings = re.findall(r'"([^"]*)"', html.unescape(zone))
    assert len(strings) == 2 and len(strings[0]) == 255 and "".join(strings) == record
    # The next key gets the next selector: a new key, a new record.
    assert re.search(r'name="generate-selector"[^>]*value="statusmail2"',
                     admin_client.get(DKIM_PAGE).text)


def test_pasted_keys_publish_their_own_public_half(app, admin_client):
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert _paste(admin_client, _pem(private)).status_code == 302
    edwards = ed25519.Ed25519PrivateKey.generate()
    traditional = private.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.TraditionalOpenSSL,
                                        serialization.NoEncryption()).decode()
    assert _paste(admin_client, _pem(edwards), selector="pasted2").status_code == 302
    assert _paste(admin_client, traditional, selector="pasted3").status_code == 302
    import base64
    records = published_records(admin_client)
    rsa_public = base64.b64encode(private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
    ed_public = base64.b64encode(edwards.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()
    assert records["pasted1._domainkey.example.com"].decode() == f"v=DKIM1; k=rsa; p={rsa_public}"
    assert records["pasted3._domainkey.example.com"] == records["pasted1._domainkey.example.com"]
    assert records["pasted2._domainkey.example.com"].decode() == (
        f"v=DKIM1; k=ed25519; p={ed_public}")


@pytest.mark.parametrize("text, words", [
    ("hello", "not a PEM private key"),
    ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "not a private key we can read"),
    ("-----BEGIN PRIVATE KEY-----\n\u00e9\u0000\n-----END PRIVATE KEY-----", "not a PEM private key"),
    ("", "Paste a private key"),
    ("-" * 20_000, "longer than any key"),
    (None, "protected by a passphrase"),
    ("ec", "RSA or Ed25519 keys only"),
    ("small", "512 bits"),
])
def test_garbage_is_refused_with_a_clear_error(app, admin_client, text, words):
    if text is None:
        text = _pem(ed25519.Ed25519PrivateKey.generate(),
                    serialization.BestAvailableEncryption(b"secret words"))
    elif text == "ec":
        text = _pem(ec.generate_private_key(ec.SECP256R1()))
    elif text == "small":
        # cryptography refuses to make a key this weak; openssl still does.
        text = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                               "rsa_keygen_bits:512"], capture_output=True, check=True,
                              text=True).stdout
    answer = _paste(admin_client, text)
    assert answer.status_code == 200
    assert words in answer.text and "No key was saved" in answer.text
    assert "BEGIN" not in re.search(r"<textarea[^>]*>([^<]*)</textarea>", answer.text).group(1)
    assert _keys(app) == []


def test_private_key_is_never_shown_and_stored_encrypted(app, admin_client):
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = _pem(private)
    body = "".join(pem.splitlines()[1:-1])
    _paste(admin_client, pem)
    generate_key(admin_client, "ed25519")
    page = admin_client.get(DKIM_PAGE).text
    assert "PRIVATE KEY-----" not in page.replace('placeholder="-----BEGIN PRIVATE KEY-----"', "")
    assert body[:40] not in page
    with app.app_context():
        for key in db.session.scalars(db.select(DkimKey)):
            assert "PRIVATE" not in key.private_key_encrypted
            assert body[:40] not in key.private_key_encrypted
        events = db.session.scalars(db.select(AuditEvent.kind)).all()
        assert {"dkim_key_pasted", "dkim_key_generated", "dkim_key_enabled"} <= set(events)
        details = " ".join(str(e.detail) for e in db.session.scalars(db.select(AuditEvent)))
        assert "PRIVATE" not in details and body[:40] not in details


def test_one_key_per_algorithm_signs_and_enabled_keys_cannot_be_deleted(app, admin_client):
    generate_key(admin_client, "rsa")                        # statusmail1
    generate_key(admin_client, "ed25519")                    # statusmail2
    assert _keys(app) == [("statusmail1", "rsa", True), ("statusmail2", "ed25519", True)]
    generate_key(admin_client, "rsa")                        # statusmail3 replaces statusmail1
    assert _keys(app) == [("statusmail1", "rsa", False), ("statusmail2", "ed25519", True),
                          ("statusmail3", "rsa", True)]
    number, page = key_id(admin_client, "statusmail3")
    refused = admin_client.post(f"{DKIM_PAGE}/{number}/delete",
                                data={"csrf_token": web.csrf_token(page)}, follow_redirects=True)
    assert "Disable the key before deleting it" in refused.text and len(_keys(app)) == 3
    admin_client.post(f"{DKIM_PAGE}/{number}/disable", data={"csrf_token": web.csrf_token(page)})
    gone = admin_client.post(f"{DKIM_PAGE}/{number}/delete",
                             data={"csrf_token": web.csrf_token(page)}, follow_redirects=True)
    assert "deleted" in gone.text and [k[0] for k in _keys(app)] == ["statusmail1", "statusmail2"]
    # Without a CSRF token nothing changes.
    number, page = key_id(admin_client, "statusmail1")
    assert admin_client.post(f"{DKIM_PAGE}/{number}/enable", data={}).status_code == 400
    assert _keys(app)[0] == ("statusmail1", "rsa", False)
    assert admin_client.post(f"{DKIM_PAGE}/99999/enable",
                             data={"csrf_token": web.csrf_token(page)}).status_code == 404


def test_names_are_checked(app, admin_client):
    generate_key(admin_client, "rsa", selector="taken", enable=False)
    page = admin_client.get(DKIM_PAGE)
    for domain, selector, words in [("example.com", "taken", "exists"),
                                    ("localhost", "s1", "Enter a domain name"),
                                    ("bad_domain.com", "s1", "Enter a domain name"),
                                    ("exämple.com", "s1", "punycode"),
                                    ("example.com", "-x", "A selector is"),
                                    ("example.com", "", "Enter a selector")]:
        answer = admin_client.post(f"{DKIM_PAGE}/generate", data={
            "csrf_token": web.csrf_token(page.text), "generate-domain": domain,
            "generate-selector": selector, "generate-algorithm": "rsa"})
        assert answer.status_code == 200 and words in answer.text, (domain, selector)
    assert len(_keys(app)) == 1


def test_an_ed25519_key_alone_and_sendgrid_are_explained(app, admin_client):
    selector = generate_key(admin_client, "ed25519")
    assert "Only an Ed25519 key signs" in admin_client.get(DKIM_PAGE).text
    save_settings(admin_client, provider="sendgrid", sendgrid_api_key="SG.key")
    page = admin_client.get(DKIM_PAGE).text
    assert "SendGrid signs with its own domain authentication" in page
    enable_key(admin_client, selector)  # enabling twice changes nothing
    assert _keys(app) == [(selector, "ed25519", True)]
