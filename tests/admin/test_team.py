"""Invitations, roles and deactivation: the rules in services/security/team.py, through
the service and through the pages an owner, an invitee and a deactivated admin use."""
import re
import threading
from datetime import timedelta

import pytest

from statusmail.extensions import db
from statusmail.models import AdminInvitation, AdminSession, AdminUser, OutboundMail, utcnow
from statusmail.services.security import team
from tests.support import web

NEW_PASSWORD = "an invited passphrase"


def _invitation_link(server, address):
    mails = [m for m in server.messages if address in m.rcpt_tos]
    text = mails[-1].message.get_body(("plain",)).get_content()
    return re.search(r"https?://\S+(/admin/invitation/\S+)", text).group(1)


def _invite(client, email, role="editor"):
    return web.submit(client, "/admin/users", {"email": email, "role": role},
                      action="/admin/users/invite")


def _accept(client, path, password=NEW_PASSWORD):
    page = client.get(path)
    assert page.status_code == 200, page.text
    return client.post(path, data={"csrf_token": web.csrf_token(page.text),
                                   "password": password, "confirm": password})


def _users_action(client, path, **data):
    return web.submit(client, "/admin/users", data, action=path, follow_redirects=True)


def _user(app, email):
    with app.app_context():
        user = AdminUser.query.filter_by(email=email).one()
        db.session.expunge(user)
        return user


# Invitations -------------------------------------------------------------------------

def test_an_invitation_goes_out_by_the_queue_and_its_link_makes_an_account_once(
        app, admin_client, smtp, run_jobs):
    answer = _invite(admin_client, "New.Person@Example.com", "viewer")
    assert answer.status_code == 302
    page = admin_client.get("/admin/users")
    assert "Invitation sent to new.person@example.com as viewer" in page.text
    assert "new.person@example.com" in page.text.split('aria-label="Pending invitations"')[1]
    with app.app_context():
        mail = OutboundMail.query.filter_by(kind="invitation").one()
        assert mail.state == "queued"  # the same outbound path as a reset mail
    run_jobs()
    with app.app_context():
        assert OutboundMail.query.filter_by(kind="invitation").one().state == "sent"
    path = _invitation_link(smtp, "new.person@example.com")

    invitee = app.test_client()
    done = _accept(invitee, path)
    assert done.status_code == 302 and done.headers["Location"] == "/admin/"
    home = invitee.get("/admin/")
    assert home.status_code == 200 and "new.person@example.com" in home.text
    assert _user(app, "new.person@example.com").role == "viewer"
    web.login(app.test_client(), "new.person@example.com", NEW_PASSWORD)

    again = app.test_client().get(path)
    assert again.status_code == 400 and "already been accepted" in again.text
    assert "No pending invitations" in admin_client.get("/admin/users").text


def test_inviting_an_existing_admin_or_twice_says_so(app, admin_client, admin):
    taken = _invite(admin_client, admin.email)
    assert taken.status_code == 400
    assert f"{admin.email} already has an account (owner)" in taken.text
    assert _invite(admin_client, "twice@example.com").status_code == 302
    twice = _invite(admin_client, "twice@example.com")
    assert twice.status_code == 400 and "already invited" in twice.text
    bad = _invite(admin_client, "not an address")
    assert bad.status_code == 400
    with app.app_context():
        assert AdminInvitation.query.count() == 1


def test_re_sending_kills_the_old_link_and_revoking_kills_the_new(
        app, admin_client, smtp, run_jobs):
    _invite(admin_client, "late@example.com")
    run_jobs()
    first = _invitation_link(smtp, "late@example.com")
    with app.app_context():
        invitation_id = AdminInvitation.query.one().id
    resent = _users_action(admin_client, f"/admin/users/invitations/{invitation_id}/resend")
    assert "the earlier link no longer works" in resent.text
    run_jobs()
    second = _invitation_link(smtp, "late@example.com")
    assert second != first
    old = app.test_client().get(first)
    assert old.status_code == 400 and "replaced by a newer one" in old.text
    assert app.test_client().get(second).status_code == 200

    revoked = _users_action(admin_client, f"/admin/users/invitations/{invitation_id}/revoke")
    assert "revoked; its link no longer works" in revoked.text
    gone = app.test_client().get(second)
    assert gone.status_code == 400 and "withdrawn" in gone.text
    again = _users_action(admin_client, f"/admin/users/invitations/{invitation_id}/resend")
    assert "no longer pending" in again.text


def test_a_revoked_invitation_is_not_mailed_when_its_job_runs_later(
        app, admin_client, smtp, run_jobs):
    _invite(admin_client, "never@example.com")
    with app.app_context():
        invitation_id = AdminInvitation.query.one().id
    _users_action(admin_client, f"/admin/users/invitations/{invitation_id}/revoke")
    run_jobs()
    assert smtp.messages == []
    with app.app_context():
        assert OutboundMail.query.filter_by(kind="invitation").one().state == "cancelled"


def test_an_expired_invitation_accepts_nothing(app, admin_client, smtp, run_jobs):
    _invite(admin_client, "slow@example.com")
    run_jobs()
    path = _invitation_link(smtp, "slow@example.com")
    with app.app_context():
        invitation = AdminInvitation.query.one()
        invitation.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    page = app.test_client().get(path)
    assert page.status_code == 400 and "expired" in page.text and "72 hours" in page.text
    assert "expired" in admin_client.get("/admin/users").text  # and the list says so


def test_tampered_and_foreign_tokens_are_refused(app, client):
    from statusmail.tokens import make_token
    with app.test_request_context():
        reset_token = make_token("password-reset", [1, "x"])
        odd_shape = make_token("invitation", {"id": 1})
        too_big = make_token("invitation", [2**40, "x"])
    for token in ("garbage", reset_token, odd_shape, too_big):
        page = client.get(f"/admin/invitation/{token}")
        assert page.status_code == 400, token


def test_the_link_is_used_once_even_when_sent_twice(app, admin, smtp, run_jobs):
    with app.app_context():
        invitation = team.invite("twice@example.com", "editor", db.session.get(AdminUser, admin.id))
        team.accept(invitation, NEW_PASSWORD)
        with pytest.raises(team.InvitationUnusable):
            team.accept(invitation, "another passphrase")  # the stale object of a 2nd POST
        assert AdminUser.query.filter_by(email="twice@example.com").count() == 1


def test_accepting_in_a_browser_where_an_owner_is_signed_in_keeps_their_session(
        app, admin_client, admin, smtp, run_jobs):
    _invite(admin_client, "colleague@example.com")
    run_jobs()
    done = _accept(admin_client, _invitation_link(smtp, "colleague@example.com"))
    assert done.status_code == 302
    home = admin_client.get("/admin/")
    assert "You are still logged in as admin@example.com" in home.text
    assert _user(app, "colleague@example.com").role == "editor"


# Roles and the last owner ------------------------------------------------------------

def test_the_last_owner_cannot_be_demoted_or_deactivated(app, admin):
    with app.app_context():
        for change in (lambda: team.set_role(admin.id, "editor"),
                       lambda: team.deactivate(admin.id)):
            with pytest.raises(team.TeamError, match="last active owner"):
                change()
        user = db.session.get(AdminUser, admin.id)
        assert user.role == "owner" and user.is_active


def test_a_second_owner_may_go_and_then_the_first_may_not(app, admin):
    other = web.create_admin(app, email="other@example.com")
    with app.app_context():
        team.set_role(other.id, "viewer")
        with pytest.raises(team.TeamError):
            team.set_role(admin.id, "viewer")
        team.set_role(other.id, "owner")
        team.deactivate(admin.id)
        with pytest.raises(team.TeamError):
            team.deactivate(other.id)
        # A deactivated owner does not count as one.
        with pytest.raises(team.TeamError):
            team.set_role(other.id, "editor")
        with pytest.raises(team.TeamError, match="Choose a role"):
            team.set_role(other.id, "admin")


def test_the_check_reads_the_database_not_objects_loaded_before(app, admin):
    """Two owners each demote the other (or themselves, in two tabs): each request loaded
    both as owners; whichever runs second must see that only one owner is left."""
    other = web.create_admin(app, email="other@example.com")
    with app.app_context():
        me = db.session.get(AdminUser, admin.id)
        them = db.session.get(AdminUser, other.id)
        assert me.role == them.role == "owner"  # what this request saw
        # Meanwhile another request (its own connection) demotes the other owner.
        with app.app_context():
            team.set_role(other.id, "editor")
        with pytest.raises(team.TeamError, match="last active owner"):
            team.set_role(me.id, "editor")  # demoting myself, believing there are two
        db.session.expire_all()
        assert db.session.get(AdminUser, admin.id).role == "owner"


def test_two_owners_demoting_themselves_at_once_leave_one(app, admin):
    """Both changes start together on their own connections; at most one may succeed."""
    other = web.create_admin(app, email="other@example.com")
    barrier, outcomes = threading.Barrier(2), []

    def demote(user_id):
        with app.app_context():
            barrier.wait(timeout=30)
            try:
                team.set_role(user_id, "editor")
                outcomes.append("demoted")
            except team.TeamError:
                outcomes.append("refused")

    threads = [threading.Thread(target=demote, args=(uid,)) for uid in (admin.id, other.id)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["demoted", "refused"]
    with app.app_context():
        assert team.active_owner_count() == 1


def test_demoting_yourself_through_the_page(app, admin_client, admin):
    alone = _users_action(admin_client, f"/admin/users/{admin.id}/role", role="editor")
    assert "admin@example.com is the last active owner" in alone.text
    assert _user(app, admin.email).role == "owner"
    web.create_admin(app, email="other@example.com")
    done = _users_action(admin_client, f"/admin/users/{admin.id}/role", role="editor")
    assert "admin@example.com is now an editor" in done.text
    assert admin_client.get("/admin/users").status_code == 403  # no longer mine
    assert admin_client.get("/admin/incidents").status_code == 200  # still signed in


def test_an_owner_changes_a_role_and_it_applies_to_the_next_request(app, admin_client):
    web.create_admin(app, email="ed@example.com", role="editor")
    ed = app.test_client()
    web.login(ed, "ed@example.com")
    assert ed.get("/admin/incidents/new").status_code == 200
    user = _user(app, "ed@example.com")
    done = _users_action(admin_client, f"/admin/users/{user.id}/role", role="viewer")
    assert "ed@example.com is now a viewer" in done.text
    assert ed.get("/admin/incidents/new").status_code == 403
    assert "Not for your role" in ed.get("/admin/incidents/new").text
    bad = _users_action(admin_client, f"/admin/users/{user.id}/role", role="root")
    assert "Choose one of the roles" in bad.text


# Deactivation ------------------------------------------------------------------------

def test_deactivation_ends_sessions_and_blocks_login_until_reactivated(app, admin_client, admin):
    web.create_admin(app, email="leaving@example.com", role="editor")
    theirs = app.test_client()
    web.login(theirs, "leaving@example.com")
    user = _user(app, "leaving@example.com")
    done = _users_action(admin_client, f"/admin/users/{user.id}/deactivate")
    assert "leaving@example.com is deactivated" in done.text
    ended = theirs.get("/admin/", follow_redirects=True)
    assert "/admin/login" in ended.request.path
    with app.app_context():
        assert AdminSession.query.filter_by(admin_user_id=user.id).count() == 0
    refused = web.submit(app.test_client(), "/admin/login",
                         {"email": "leaving@example.com", "password": web.ADMIN_PASSWORD})
    assert refused.status_code == 200 and "This account is deactivated" in refused.text
    assert "deactivated" in admin_client.get("/admin/users").text

    _users_action(admin_client, f"/admin/users/{user.id}/reactivate")
    web.login(app.test_client(), "leaving@example.com")


def test_you_cannot_deactivate_yourself(app, admin_client, admin):
    web.create_admin(app, email="other@example.com")
    page = _users_action(admin_client, f"/admin/users/{admin.id}/deactivate")
    assert "You cannot deactivate your own account" in page.text
    assert _user(app, admin.email).is_active


def test_a_deactivated_admin_gets_no_reset_mail_and_no_reset(app, admin, smtp, run_jobs):
    web.create_admin(app, email="gone@example.com", role="editor")
    client = app.test_client()
    web.submit(client, "/admin/forgot-password", {"email": "gone@example.com"})
    with app.app_context():
        user = AdminUser.query.filter_by(email="gone@example.com").one()
        team.deactivate(user.id)
    run_jobs()  # the link mailed before the deactivation…
    text = smtp.messages[0].message.get_body(("plain",)).get_content()
    path = re.search(r"https?://\S+(/admin/reset-password/\S+)", text).group(1)
    page = client.get(path)
    assert page.status_code == 400 and "deactivated" in page.text  # …resets nothing
    web.submit(client, "/admin/forgot-password", {"email": "gone@example.com"})
    run_jobs()
    assert len(smtp.messages) == 1  # and no new one goes out


# The admin's own address -------------------------------------------------------------

def change_email(client, email, password=web.ADMIN_PASSWORD):
    return web.submit(client, "/admin/account/email",
                      {"email": email, "current_password": password})


def test_changing_your_address_needs_the_password_and_a_free_address(app, admin_client, admin):
    wrong = change_email(admin_client, "new@example.com", "not my password")
    assert wrong.status_code == 200 and "not your current password" in wrong.text
    web.create_admin(app, email="taken@example.com", role="viewer")
    taken = change_email(admin_client, "Taken@Example.com")
    assert "Another admin account uses that address" in taken.text
    done = change_email(admin_client, "New@Example.com")
    assert done.status_code == 302
    assert "now new@example.com" in admin_client.get("/admin/").text
    web.login(app.test_client(), "new@example.com")
    old = web.submit(app.test_client(), "/admin/login",
                     {"email": admin.email, "password": web.ADMIN_PASSWORD})
    assert "do not match" in old.text
    with app.app_context():
        from statusmail.models import AuditEvent
        event = AuditEvent.query.filter_by(kind="email_changed").one()
        assert event.detail["old_email"] == admin.email


def test_a_reset_link_mailed_to_the_old_address_dies_with_it(app, client, admin, smtp, run_jobs):
    web.submit(client, "/admin/forgot-password", {"email": admin.email})
    run_jobs()
    text = smtp.messages[0].message.get_body(("plain",)).get_content()
    path = re.search(r"https?://\S+(/admin/reset-password/\S+)", text).group(1)
    web.login(client)
    change_email(client, "moved@example.com")
    page = app.test_client().get(path)
    assert page.status_code == 400 and "already been used" in page.text


def test_every_role_manages_its_own_account(app):
    web.create_admin(app, email="viewer@example.com", role="viewer")
    viewer = app.test_client()
    web.login(viewer, "viewer@example.com")
    assert change_email(viewer, "seer@example.com").status_code == 302
    changed = web.submit(viewer, "/admin/account/password", {
        "current_password": web.ADMIN_PASSWORD, "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD})
    assert changed.status_code == 302
    web.login(app.test_client(), "seer@example.com", NEW_PASSWORD)
