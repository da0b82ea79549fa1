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


STRANGER = "203.0.113.9"
ADMIN_DESK = "198.51.100.4"


def _request_reset(client, address, ip):
    return web.submit(client, "/admin/forgot-password", {"email": address},
                      environ_base={"REMOTE_ADDR": ip})


def test_a_strangers_reset_requests_do_not_block_the_admins(app, client, admin, smtp, run_jobs):
    stranger = [_request_reset(client, admin.email, STRANGER).status_code for _ in range(4)]
    assert stranger == [302, 302, 302, 429]
    assert _request_reset(app.test_client(), admin.email, ADMIN_DESK).status_code == 302
    run_jobs()
    assert len([m for m in smtp.messages if admin.email in m.rcpt_tos]) == 4


def test_reset_mails_are_capped_per_account_and_the_page_does_not_say_so(app, admin, smtp,
                                                                        run_jobs):
    answers = set()
    for n in range(8):
        for address in (admin.email, "nobody@example.com"):
            answer = _request_reset(app.test_client(), address, f"192.0.2.{n + 1}")
            answers.add((answer.status_code, answer.headers["Location"]))
    assert answers == {(302, "/admin/login")}
    run_jobs()
    assert len(smtp.messages) == 5  # RESET_MAILS_PER_ACCOUNT, all to the admin
    # Each was a working link the admin still holds: a capped request blocks nobody.


def test_a_completed_reset_clears_the_accounts_throttle(app, client, admin, smtp, run_jobs):
    # A first delay no slow machine lets pass between the fifth failure and the sixth try.
    app.config["SIGNIN_FIRST_DELAY_SECONDS"] = 60
    for _ in range(5):
        web.submit(client, "/admin/login", {"email": admin.email, "password": "my old typo!"})
    throttled = web.submit(client, "/admin/login", {"email": admin.email,
                                                     "password": web.ADMIN_PASSWORD})
    assert throttled.status_code == 429 and "Reset it" in throttled.text
    web.submit(client, "/admin/forgot-password", {"email": admin.email})
    run_jobs()
    path = _reset_link(smtp, admin.email).split("statusmail.test", 1)[1]
    page = client.get(path)
    new_password = "after the lockout 77"
    client.post(path, data={"csrf_token": web.csrf_token(page.text), "password": new_password,
                            "confirm": new_password})
    web.login(client, admin.email, new_password)


def test_a_reset_ends_every_session_of_the_admin(app, admin, smtp, run_jobs):
    logged_in = app.test_client()
    web.login(logged_in)
    resetting = app.test_client()
    web.submit(resetting, "/admin/forgot-password", {"email": admin.email})
    run_jobs()
    path = _reset_link(smtp, admin.email).split("statusmail.test", 1)[1]
    page = resetting.get(path)
    resetting.post(path, data={"csrf_token": web.csrf_token(page.text),
                               "password": "brand new secret 9", "confirm": "brand new secret 9"})
    assert logged_in.get("/admin/").status_code == 302
    with app.app_context():
        from statusmail.models import AdminSession
        assert AdminSession.query.count() == 0
