"""Links die with their subscriber: removal, a new row at the same id or address, a
re-subscription and the operator's "Invalidate all links" all leave old links acting on
nobody, and no link carries the address."""
import base64
import re

from tests.public.support import confirm_path
from tests.support import web

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def _confirmed_by_mail(client, smtp, run_jobs, address):
    """Sign up and confirm as a person does; the links they now hold: confirm, manage,
    unsubscribe."""
    assert web.submit(client, "/subscribe", {"email": address}).status_code == 200
    run_jobs()
    confirm = confirm_path(smtp, address)
    page = client.get(confirm)
    done = client.post(confirm, data={"csrf_token": web.csrf_token(page.text)})
    assert done.status_code == 200 and "You are subscribed" in done.text
    manage = re.search(r'href="(/manage/[^"]+)"', done.text).group(1)
    preferences = client.get(manage)
    unsubscribe = re.search(r'action="(/unsubscribe/[^"]+)"', preferences.text).group(1)
    return confirm, manage, unsubscribe


def _remove(admin_client, subscriber_id):
    done = web.submit(admin_client, f"/admin/subscribers/{subscriber_id}/remove", {})
    assert done.status_code == 302


def _assert_stale(response, *addresses):
    assert response.status_code == 400
    assert "This link is no longer valid" in response.text
    assert "Request a new one" in response.text
    for address in addresses:
        assert address not in response.text


def test_a_removed_subscribers_links_never_reach_the_next_one(
        app, smtp, run_jobs, subscribers, admin_client):
    """What happened on SQLite: the next row got the removed one's id, and the old
    manage link showed the newcomer's address while one-click unsubscribed them."""
    person = app.test_client()
    confirm, manage, unsubscribe = _confirmed_by_mail(person, smtp, run_jobs,
                                                      "ann@example.com")
    ann = subscribers.get(email="ann@example.com")
    _remove(admin_client, ann.id)

    bob = subscribers.add("bob@example.com")
    stranger = app.test_client()
    for link in (confirm, manage, unsubscribe):
        _assert_stale(stranger.get(link), "bob@example.com", "ann@example.com")
    one_click = stranger.post(unsubscribe + "/one-click", data=ONE_CLICK)
    assert one_click.status_code == 200 and "nothing was changed" in one_click.text
    assert subscribers.get(bob).status == "confirmed"
    assert bob > ann.id, "a removed subscriber's id is never given to the next one"

    # The same address subscribing again is a new subscription: the old links stay dead.
    again = web.submit(person, "/subscribe", {"email": "ann@example.com"})
    assert again.status_code == 200
    newcomer = subscribers.get(email="ann@example.com")
    assert newcomer.id != ann.id and newcomer.link_key != ann.link_key
    for link in (confirm, manage, unsubscribe):
        _assert_stale(stranger.get(link), "ann@example.com")
    stranger.post(unsubscribe + "/one-click", data=ONE_CLICK)
    assert subscribers.get(newcomer.id).status == "pending"


def test_old_links_keep_working_for_the_same_person_until_they_subscribe_again(
        app, smtp, run_jobs, subscribers):
    person = app.test_client()
    _, manage, unsubscribe = _confirmed_by_mail(person, smtp, run_jobs, "cat@example.com")
    cat = subscribers.get(email="cat@example.com")
    ask = person.get(unsubscribe)
    person.post(unsubscribe, data={"csrf_token": web.csrf_token(ask.text)})
    assert subscribers.get(cat.id).status == "unsubscribed"

    # Left, but the key is the same: every old link still names the same person.
    again = person.get(unsubscribe)
    assert again.status_code == 200 and "c***@example.com" in again.text
    one_click = app.test_client(use_cookies=False).post(unsubscribe + "/one-click",
                                                        data=ONE_CLICK)
    assert one_click.status_code == 200 and "You are unsubscribed" in one_click.text
    assert person.get(manage).status_code == 200

    # Subscribing again is a fresh opt-in with fresh links; the mail carries them.
    assert web.submit(person, "/subscribe", {"email": "cat@example.com"}).status_code == 200
    back = subscribers.get(cat.id)
    assert back.status == "pending" and back.link_key != cat.link_key
    assert back.links_reset_at is not None
    for link in (manage, unsubscribe):
        _assert_stale(person.get(link), "cat@example.com")
    app.test_client(use_cookies=False).post(unsubscribe + "/one-click", data=ONE_CLICK)
    assert subscribers.get(cat.id).status == "pending"
    run_jobs()
    fresh = confirm_path(smtp, "cat@example.com")
    page = person.get(fresh)
    assert person.post(fresh, data={"csrf_token": web.csrf_token(page.text)}).status_code == 200
    assert subscribers.get(cat.id).status == "confirmed"


def test_the_operator_invalidates_all_links(app, smtp, run_jobs, subscribers, admin_client):
    person = app.test_client()
    _, manage, unsubscribe = _confirmed_by_mail(person, smtp, run_jobs, "dee@example.com")
    dee = subscribers.get(email="dee@example.com")
    detail_url = f"/admin/subscribers/{dee.id}"
    action = f"/admin/subscribers/{dee.id}/invalidate-links"
    detail = admin_client.get(detail_url)
    assert "Invalidate all links" in detail.text and f'action="{action}"' in detail.text
    assert "Links last replaced</dt><dd>never" in detail.text

    # Behind CSRF and the login gate.
    assert admin_client.post(action).status_code == 400
    anonymous = app.test_client()
    token = web.csrf_token(anonymous.get("/admin/login").text)
    refused = anonymous.post(action, data={"csrf_token": token})
    assert refused.status_code == 302 and "/admin/login" in refused.headers["Location"]
    assert subscribers.get(dee.id).link_key == dee.link_key

    done = admin_client.post(action, data={"csrf_token": web.csrf_token(detail.text),
                                           "next": detail_url})
    assert done.status_code == 302 and done.headers["Location"] == detail_url
    after = admin_client.get(detail_url)
    assert "Every link mailed to dee@example.com so far no longer works" in after.text
    assert "Links last replaced</dt><dd>never" not in after.text
    reset = subscribers.get(dee.id)
    assert reset.link_key != dee.link_key and reset.links_reset_at is not None
    log = admin_client.get("/admin/audit-log")
    assert "Subscriber&#39;s links invalidated" in log.text or \
        "Subscriber's links invalidated" in log.text

    for link in (manage, unsubscribe):
        _assert_stale(person.get(link), "dee@example.com")
    app.test_client(use_cookies=False).post(unsubscribe + "/one-click", data=ONE_CLICK)
    assert subscribers.get(dee.id).status == "confirmed"
    # New links (as the next mail carries) work.
    assert person.get(f"/manage/{subscribers.token('manage', dee.id)}").status_code == 200


def test_links_do_not_carry_the_address(app, smtp, run_jobs, subscribers):
    person = app.test_client()
    links = _confirmed_by_mail(person, smtp, run_jobs, "private.person@example.com")
    for link in links:
        token = link.split("/")[2]
        payload = token.split(".")[0]
        decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        assert b"private" not in decoded.lower() and b"example" not in decoded
        assert "private" not in link.lower()
