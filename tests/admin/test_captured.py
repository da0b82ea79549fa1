"""Captured mail: with no provider, mail is kept and can be read, downloaded and deleted."""
import email
import email.policy
import html
import re
from datetime import timedelta

from statusmail.extensions import db
from statusmail.mail.compose import build_message, to_bytes
from statusmail.models import CapturedMail, utcnow
from tests.mail.support import result, save_settings, send_test
from tests.support import web

LIST = "/admin/captured"


def _capture(app, **fields):
    """Store a captured mail built the way statusmail builds mail; return its id."""
    values = {"sender": ("Example Status", "status@example.com"), "recipient": "ops@example.com",
              "subject": "Hello", "text": "Plain words", "html": "<p>Rich words</p>",
              "headers": {"List-Unsubscribe": "<https://status.example.com/u/x>"}, **fields}
    created_at = values.pop("created_at", None)
    with app.app_context():
        message = build_message(**values)
        row = CapturedMail(sender="status@example.com", recipient=values["recipient"],
                           subject=values["subject"], raw=to_bytes(message),
                           **({"created_at": created_at} if created_at else {}))
        db.session.add(row)
        db.session.commit()
        return row.id


def test_a_test_send_without_provider_lands_in_captured_mail(app, admin_client, run_jobs):
    save_settings(admin_client, provider="capture")
    outbound_id = send_test(admin_client, recipient="ops@example.com", subject="Kept, not sent",
                            body="Body of the kept mail")
    run_jobs()
    _, status = result(admin_client, outbound_id)
    assert status["state"] == "sent" and status["reply"].startswith("captured locally as #")

    listing = admin_client.get(LIST).text
    assert "Kept, not sent" in listing and "ops@example.com" in listing
    captured_id = int(re.search(r'href="/admin/captured/(\d+)"', listing).group(1))
    view = admin_client.get(f"/admin/captured/{captured_id}").text
    assert "Example Status &lt;status@example.com&gt;" in view
    assert "Kept, not sent" in view and "Body of the kept mail" in view
    assert "Auto-Submitted" in view and "Message-ID" in view
    assert "<iframe" in view and "sandbox" in view


def test_view_shows_headers_parts_and_a_sandboxed_escaped_html_part(app, admin_client):
    hostile = '<p title="x">Hi</p><script>alert("pwned")</script><img src=x onerror="alert(1)">'
    captured_id = _capture(app, html=hostile, subject="A <b>subject</b>")
    view = admin_client.get(f"/admin/captured/{captured_id}").text
    assert "List-Unsubscribe" in view and "https://status.example.com/u/x" in view
    assert "Plain words" in view and "A &lt;b&gt;subject&lt;/b&gt;" in view

    iframe = re.search(r"<iframe[^>]*>", view).group(0)
    # Sandboxed: same-origin only, so the page's own script can size the frame to the mail;
    # no scripts, forms, pop-ups or top navigation.
    assert re.findall(r'\ssandbox="([^"]*)"', iframe) == ["allow-same-origin"]
    assert "data-fit-content" in iframe and "allow-scripts" not in view
    assert "<script>" not in view and 'onerror="alert' not in view
    # The part is its own document, under a policy that runs nothing even opened directly.
    src = html.unescape(re.search(r'\ssrc="([^"]*)"', iframe).group(1))
    part = admin_client.get(src)
    assert part.status_code == 200 and part.mimetype == "text/html"
    assert part.text.strip() == hostile
    policy = part.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert policy.endswith("; sandbox allow-same-origin") and "allow-scripts" not in policy
    assert part.headers["Cache-Control"] == "no-store"


def test_eml_download_is_the_raw_message(app, admin_client):
    captured_id = _capture(app, subject="Download me")
    response = admin_client.get(f"/admin/captured/{captured_id}.eml")
    assert response.status_code == 200 and response.mimetype == "message/rfc822"
    assert (response.headers["Content-Disposition"]
            == f'attachment; filename="captured-{captured_id}.eml"')
    with app.app_context():
        assert response.data == db.session.get(CapturedMail, captured_id).raw
    parsed = email.message_from_bytes(response.data, policy=email.policy.default)
    assert parsed["Subject"] == "Download me"


def test_list_is_newest_first_paginated_and_filterable(app, admin_client):
    start = utcnow() - timedelta(hours=1)
    for n in range(55):
        _capture(app, subject=f"Mail {n:02d}", recipient=f"user{n:02d}@example.com",
                 created_at=start + timedelta(seconds=n))
    first = admin_client.get(LIST).text
    subjects = re.findall(r">Mail (\d\d)<", first)
    assert subjects == [f"{n:02d}" for n in range(54, 4, -1)]
    older = re.search(r'href="([^"]+)" rel="next">Older', first).group(1)
    second = admin_client.get(older.replace("&amp;", "&")).text
    assert re.findall(r">Mail (\d\d)<", second) == ["04", "03", "02", "01", "00"]

    filtered = admin_client.get(LIST + "?recipient=USER1").text
    assert re.findall(r">Mail (\d\d)<", filtered) == [f"{n}" for n in range(19, 9, -1)]
    nothing = admin_client.get(LIST + "?recipient=%25").text  # a literal %, not a wildcard
    assert "No captured mail to an address containing" in nothing


def test_delete_all_asks_first_and_removes_everything(app, admin_client):
    for n in range(3):
        _capture(app, subject=f"Old {n}")
    listing = admin_client.get(LIST).text
    assert 'data-confirm="Delete all captured mail? This cannot be undone."' in listing
    response = web.submit(admin_client, LIST, {}, action="/admin/captured/delete-all",
                          follow_redirects=True)
    assert "Deleted 3 captured mails." in response.text and "No captured mail." in response.text
    with app.app_context():
        assert CapturedMail.query.count() == 0


def test_delete_all_needs_a_csrf_token(app, admin_client):
    _capture(app)
    assert admin_client.post("/admin/captured/delete-all").status_code == 400
    with app.app_context():
        assert CapturedMail.query.count() == 1


def test_unknown_mail_is_not_found(admin_client):
    assert admin_client.get("/admin/captured/999").status_code == 404
    assert admin_client.get("/admin/captured/999.eml").status_code == 404


def test_headers_and_raw_source_are_on_the_page_on_demand_and_escaped(app, admin_client):
    captured_id = _capture(app, html='<p>Rich</p><script>alert("raw")</script>',
                           subject="Raw <i>one</i>")
    view = admin_client.get(f"/admin/captured/{captured_id}").text
    headers = re.search(r'<details class="more" id="headers">.*?</details>', view, re.S).group(0)
    assert "<summary>Headers (" in headers and "List-Unsubscribe" in headers
    raw = re.search(r'<details class="more" id="raw-source">.*?</details>', view, re.S).group(0)
    assert '<pre class="mail-raw">' in raw and "MIME-Version: 1.0" in raw
    assert "&lt;p&gt;Rich&lt;/p&gt;&lt;script&gt;alert(&#34;raw&#34;)&lt;/script&gt;" in raw
    assert "<script>alert" not in raw and " — only the first" not in raw
    assert f'href="/admin/captured/{captured_id}/raw"' in raw


def test_raw_source_as_plain_text(app, admin_client):
    captured_id = _capture(app, html="<b>Bold</b>")
    response = admin_client.get(f"/admin/captured/{captured_id}/raw")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("inline;")
    with app.app_context():
        assert response.data == db.session.get(CapturedMail, captured_id).raw
    assert admin_client.get("/admin/captured/999/raw").status_code == 404


def test_a_huge_raw_source_is_cut_in_the_page_and_says_so(app):
    from statusmail.services.captured_mail import raw_source
    captured_id = _capture(app, text="x" * 5000)
    with app.app_context():
        row = db.session.get(CapturedMail, captured_id)
        shown = raw_source(row, limit=1000)
        whole = raw_source(row)
    assert shown["cut"] and len(shown["text"]) == 1000 and shown["size"] == len(row.raw)
    assert not whole["cut"] and whole["text"] == row.raw.decode()
