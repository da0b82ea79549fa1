"""Forgot password: a signed, single-use link valid one hour, sent through the real queue."""
import re

from statusmail.models import AdminUser
from tests.support import web


def _reset_link(server, address):
    mails = [m for m in server.messages if address in m.rcpt_tos]
    assert len(mails) == 1
    text = mails[0].message.get_body(("plain",)).get_content()
    return re.search(r"https?://\S+/admin/reset-password/\S+", text).group(0)


def test_reset_link_sets_a_new_password_once(app, client, admin, smtp, run_jobs):
    answer = web.submit(client, "/admin/forgot-password", {"email": admin.email})
    assert answer.status_code == 302
    run_jobs()
    path = _reset_link(smtp, admin.email).split("statusmail.test", 1)[1]

    page = client.get(path)
    assert page.status_code == 200 and "Choose a new password" in page.text
    new_password = "a brand new passphrase"
    done = client.post(path, data={"csrf_token": web.csrf_token(page.text),
                                   "password": new_password, "confirm": new_password})
    assert done.status_code == 302

    web.login(client, admin.email, new_password)
    # Single use: the link stops working once the password changed.
    again = client.get(path)
    assert again.status_code == 400 and "already been used" in again.text


def test_unknown_address_gets_the_same_answer_and_no_mail(app, client, admin, smtp, run_jobs):
    known = web.submit(client, "/admin/forgot-password", {"email": admin.email},
                       follow_redirects=True)
    unknown = web.submit(client, "/admin/forgot-password", {"email": "nobody@example.com"},
                         follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    assert "If that address belongs to an admin" in known.text
    assert "If that address belongs to an admin" in unknown.text
    run_jobs()
    assert [m.rcpt_tos for m in smtp.messages] == [[admin.email]]


def test_tampered_and_foreign_tokens_are_refused(app, client, admin):
    from statusmail.tokens import make_token
    with app.test_request_context():
        unsubscribe_token = make_token("unsubscribe", {"sid": 1})
    for token in ("garbage", unsubscribe_token):
        response = client.get(f"/admin/reset-password/{token}")
        assert response.status_code == 400 and "not valid" in response.text


def test_old_sessions_end_when_the_password_changes(app, client, admin):
    web.login(client)
    assert client.get("/admin/").status_code == 200
    with app.app_context():
        from statusmail.extensions import db
        user = db.session.get(AdminUser, admin.id)
        user.set_password("changed elsewhere 123")
        db.session.commit()
    assert client.get("/admin/").status_code == 302
