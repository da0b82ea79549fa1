"""Admin sessions end on the server: logout, password change and reset end them whatever
copy of the cookie exists; idle and absolute timeouts come from the environment."""
from datetime import timedelta

import pytest

from statusmail.config import ConfigError, load_config
from statusmail.extensions import db
from statusmail.models import AdminSession, utcnow
from tests.support import web

NEW_PASSWORD = "a fresh passphrase 42"


def session_cookie(client):
    return client.get_cookie("session").value


def replay(app, cookie):
    """A new browser presenting a copied cookie, as a thief would."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other.get("/admin/")


def logout(client):
    page = client.get("/admin/")
    return client.post("/admin/logout", data={"csrf_token": web.csrf_token(page.text)})


def change_password(client, current, new=NEW_PASSWORD):
    return web.submit(client, "/admin/account/password", {
        "current_password": current, "password": new, "confirm": new})


def age_sessions(app, **fields):
    with app.app_context():
        for row in AdminSession.query:
            for name, value in fields.items():
                setattr(row, name, value)
        db.session.commit()


def test_a_cookie_copied_before_logout_no_longer_works(app, admin_client):
    copied = session_cookie(admin_client)
    assert replay(app, copied).status_code == 200
    assert logout(admin_client).status_code == 302
    assert replay(app, copied).status_code == 302
    with app.app_context():
        assert AdminSession.query.count() == 0


def test_changing_the_password_ends_every_other_session(app, admin):
    mine, other = app.test_client(), app.test_client()
    web.login(mine), web.login(other)
    before_change = session_cookie(mine)
    done = change_password(mine, web.ADMIN_PASSWORD)
    assert done.status_code == 302
    assert mine.get("/admin/").status_code == 200  # this browser carries on…
    assert other.get("/admin/").status_code == 302  # …the other is logged out,
    assert replay(app, before_change).status_code == 302  # and so is the old cookie
    fresh = app.test_client()
    assert web.submit(fresh, "/admin/login", {"email": admin.email,
                                              "password": web.ADMIN_PASSWORD}).status_code == 200
    web.login(fresh, admin.email, NEW_PASSWORD)


def test_changing_the_password_needs_the_current_one(app, admin_client):
    page = change_password(admin_client, "not my password")
    assert page.status_code == 200 and "not your current password" in page.text
    assert admin_client.get("/admin/").status_code == 200
    web.login(app.test_client())  # the password did not change


def test_the_change_password_page_is_linked_from_every_admin_page(admin_client):
    assert 'href="/admin/account/password"' in admin_client.get("/admin/").text


def test_idle_sessions_end(app, admin_client):
    age_sessions(app, last_seen_at=utcnow() - timedelta(minutes=31))
    page = admin_client.get("/admin/", follow_redirects=True)
    assert "/admin/login" in page.request.path
    assert "ended after 30 minutes without activity" in page.text
    with app.app_context():
        assert AdminSession.query.count() == 0


def test_a_session_in_use_stays_alive(app, admin_client):
    age_sessions(app, last_seen_at=utcnow() - timedelta(minutes=29))
    assert admin_client.get("/admin/").status_code == 200
    with app.app_context():
        assert utcnow() - AdminSession.query.one().last_seen_at < timedelta(minutes=1)


def test_sessions_end_after_the_absolute_limit_even_in_use(app, admin_client):
    age_sessions(app, created_at=utcnow() - timedelta(hours=12, minutes=1))
    page = admin_client.get("/admin/", follow_redirects=True)
    assert "/admin/login" in page.request.path and "12 hours after you logged in" in page.text


def test_timeouts_come_from_the_environment(monkeypatch, make_app, admin):
    monkeypatch.setenv("STATUSMAIL_SESSION_IDLE_MINUTES", "5")
    monkeypatch.setenv("STATUSMAIL_SESSION_MAX_HOURS", "2")
    app = make_app()
    assert app.config["SESSION_IDLE_MINUTES"] == 5
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=2)
    client = app.test_client()
    web.login(client)
    age_sessions(app, last_seen_at=utcnow() - timedelta(minutes=6))
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize("name, value", [("STATUSMAIL_SESSION_IDLE_MINUTES", "0"),
                                         ("STATUSMAIL_SESSION_MAX_HOURS", "-1"),
                                         ("STATUSMAIL_SESSION_MAX_HOURS", "9" * 30),
                                         ("STATUSMAIL_SESSION_IDLE_MINUTES", "soon")])
def test_bad_timeouts_stop_start_up_with_a_message(monkeypatch, tmp_path, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        load_config(str(tmp_path))


def test_login_rotates_the_session_and_the_csrf_token(app, client, admin):
    login_page = client.get("/admin/login")
    token_before = web.csrf_token(login_page.text)
    cookie_before = session_cookie(client)
    web.login(client)
    assert session_cookie(client) != cookie_before
    # A token an attacker planted or read before login is worthless after it.
    stale = client.post("/admin/logout", data={"csrf_token": token_before})
    assert stale.status_code == 400
    assert client.get("/admin/").status_code == 200


def test_logging_in_again_ends_the_previous_session(app, admin_client):
    first = session_cookie(admin_client)
    web.login(admin_client)
    assert replay(app, first).status_code == 302
    assert admin_client.get("/admin/").status_code == 200


def test_the_session_cookie_is_not_permanent(app, client, admin):
    response = web.login(client)
    set_cookie = [value for name, value in response.headers if name == "Set-Cookie"
                  and value.startswith("session=")]
    assert set_cookie and "expires" not in set_cookie[0].lower()
    assert "max-age" not in set_cookie[0].lower()
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=12)
