"""Signed links from mail: bad, foreign and expired ones, and RFC 8058 one-click unsubscribe."""
import pytest

from statusmail.models import utcnow
from statusmail.tokens import PURPOSES, SUBSCRIBER_PURPOSES
from tests.support import web
from tests.public.support import confirm_path

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def _tampered(token):
    return token[:-2] + ("AA" if not token.endswith("AA") else "BB")


@pytest.mark.parametrize("page", ["confirm", "manage", "unsubscribe"])
def test_tampered_and_foreign_links_get_a_clear_page(app, client, subscribers, page):
    sid = subscribers.add("eve@example.com", status="pending")
    own = subscribers.token(page, sid)
    foreign = [subscribers.token(purpose, sid) for purpose in SUBSCRIBER_PURPOSES
               if purpose != page]
    old_shape = {"sid": sid, "email": "eve@example.com"}
    foreign += [subscribers.signed(purpose, old_shape) for purpose in PURPOSES if purpose != page]
    for token in ["garbage", _tampered(own), own[:20], *foreign]:
        response = client.get(f"/{page}/{token}")
        assert response.status_code == 400, token
        assert "This link is not valid" in response.text
        assert 'href="/subscribe"' in response.text
    # A genuine link of the shape mailed before links had keys: it names only an id.
    response = client.get(f"/{page}/{subscribers.signed(page, old_shape)}")
    assert response.status_code == 400 and "This link is no longer valid" in response.text
    assert "eve@example.com" not in response.text
    assert subscribers.get(sid).status == "pending"


def test_an_unsubscribe_link_does_not_confirm(app, client, subscribers):
    sid = subscribers.add("mallory@example.com", status="pending")
    unsubscribe_token = subscribers.token("unsubscribe", sid)
    page = client.get("/subscribe")
    response = client.post(f"/confirm/{unsubscribe_token}",
                           data={"csrf_token": web.csrf_token(page.text)})
    assert response.status_code == 400 and "not valid" in response.text
    assert subscribers.get(sid).status == "pending"


def test_expired_confirmation_link_offers_a_new_one(app, client, smtp, run_jobs, subscribers):
    sent_long_ago = utcnow().replace(year=2020)
    sid = subscribers.add("late@example.com", status="pending",
                          confirmation_sent_at=sent_long_ago)
    old = subscribers.old_token("confirm", sid)

    page = client.get(f"/confirm/{old}")
    assert page.status_code == 400 and "This link has expired" in page.text
    assert "Send a new link" in page.text
    # Pressing "confirm" on an expired link sends a fresh one instead of confirming.
    resent = client.post(f"/confirm/{old}", data={"csrf_token": web.csrf_token(page.text)})
    assert resent.status_code == 200 and "A new link is on its way" in resent.text
    assert subscribers.get(sid).status == "pending"

    run_jobs()
    fresh = confirm_path(smtp, "late@example.com")
    assert fresh != f"/confirm/{old}"
    confirm_page = client.get(fresh)
    done = client.post(fresh, data={"csrf_token": web.csrf_token(confirm_page.text)})
    assert done.status_code == 200 and "You are subscribed" in done.text
    assert subscribers.get(sid).status == "confirmed"


def test_expired_link_of_a_confirmed_subscriber_says_so(app, client, subscribers):
    sid = subscribers.add("done@example.com")
    old = subscribers.old_token("confirm", sid)
    response = client.get(f"/confirm/{old}")
    assert response.status_code == 200 and "Already confirmed" in response.text
    assert '/manage/' in response.text


def test_expired_manage_link_gets_a_clear_page(app, client, subscribers):
    sid = subscribers.add("old@example.com")
    old = subscribers.old_token("manage", sid, hours=24 * 366)
    response = client.get(f"/manage/{old}")
    assert response.status_code == 400 and "This link has expired" in response.text


def test_confirmation_link_after_unsubscribing_does_not_resubscribe(app, client, subscribers):
    sid = subscribers.add("gone@example.com", status="unsubscribed", unsubscribed_at=utcnow())
    token = subscribers.token("confirm", sid)
    response = client.get(f"/confirm/{token}")
    assert response.status_code == 400 and "no longer valid" in response.text
    assert subscribers.get(sid).status == "unsubscribed"


@pytest.mark.parametrize("page", SUBSCRIBER_PURPOSES)
def test_a_link_made_with_another_key_acts_on_nobody(app, client, subscribers, page):
    """A link minted for another row at the same id (a deleted one) shows nobody's data."""
    sid = subscribers.add("now@example.com", status="pending")
    token = subscribers.token(page, sid, link_key="the-key-of-a-deleted-row")
    response = client.get(f"/{page}/{token}")
    assert response.status_code == 400 and "This link is no longer valid" in response.text
    assert "now@example.com" not in response.text
    assert subscribers.get(sid).status == "pending"


def test_one_click_unsubscribes_without_cookies_or_csrf(app, subscribers):
    sid = subscribers.add("busy@example.com")
    url = f"/unsubscribe/{subscribers.token('unsubscribe', sid)}/one-click"
    provider = app.test_client(use_cookies=False)

    response = provider.post(url, data=ONE_CLICK)
    assert response.status_code == 200 and "You are unsubscribed" in response.text
    assert "Set-Cookie" not in response.headers
    busy = subscribers.get(sid)
    assert busy.status == "unsubscribed" and busy.unsubscribed_at is not None

    again = provider.post(url, data=ONE_CLICK)
    assert again.status_code == 200 and again.data == response.data
    assert subscribers.get(sid).unsubscribed_at == busy.unsubscribed_at


def test_one_click_refuses_a_body_that_asks_for_something_else(app, subscribers):
    sid = subscribers.add("careful@example.com")
    url = f"/unsubscribe/{subscribers.token('unsubscribe', sid)}/one-click"
    provider = app.test_client(use_cookies=False)
    assert provider.post(url, data={"List-Unsubscribe": "Yes"}).status_code == 400
    assert provider.post(url, data="hello", content_type="text/plain").status_code == 400
    assert provider.post(url, data={"email": "careful@example.com"}).status_code == 400
    assert provider.post(f"/unsubscribe/{_tampered(url.split('/')[2])}/one-click",
                         data=ONE_CLICK).status_code == 400
    assert provider.post(f"/unsubscribe/{_tampered(url.split('/')[2])}/one-click"
                         ).status_code == 400
    assert subscribers.get(sid).status == "confirmed"


@pytest.mark.parametrize("content_type", [None, "application/x-www-form-urlencoded"])
def test_one_click_with_an_empty_body_unsubscribes(app, subscribers, content_type):
    """Some clients POST the List-Unsubscribe URL with nothing in the body: the signed URL
    alone says who, so it unsubscribes as RFC 8058's body would."""
    sid = subscribers.add("terse@example.com")
    url = f"/unsubscribe/{subscribers.token('unsubscribe', sid)}/one-click"
    response = app.test_client(use_cookies=False).post(url, content_type=content_type)
    assert response.status_code == 200 and "You are unsubscribed" in response.text
    assert subscribers.get(sid).status == "unsubscribed"


@pytest.mark.parametrize("method", ["get", "head"])
def test_opening_the_one_click_url_shows_the_unsubscribe_page(app, subscribers, method):
    sid = subscribers.add("curious@example.com")
    token = subscribers.token("unsubscribe", sid)
    client = app.test_client()
    response = getattr(client, method)(f"/unsubscribe/{token}/one-click")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/unsubscribe/{token}")
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "<form" in page.text
    assert subscribers.get(sid).status == "confirmed"


@pytest.mark.parametrize("status", ["pending", "unsubscribed"])
def test_one_click_answers_success_whatever_the_status(app, subscribers, status):
    sid = subscribers.add(f"{status}@example.com", status=status)
    url = f"/unsubscribe/{subscribers.token('unsubscribe', sid)}/one-click"
    response = app.test_client(use_cookies=False).post(url, data=ONE_CLICK)
    assert response.status_code == 200 and "You are unsubscribed" in response.text
    assert subscribers.get(sid).status == "unsubscribed"


def test_one_click_for_a_deleted_subscriber_still_succeeds(app, subscribers):
    url = f"/unsubscribe/{subscribers.token('unsubscribe', 424242, link_key='k' * 22)}/one-click"
    response = app.test_client(use_cookies=False).post(url, data=ONE_CLICK)
    assert response.status_code == 200 and "nothing was changed" in response.text


def test_unsubscribe_page_for_an_address_already_gone(app, client, subscribers):
    sid = subscribers.add("twice@example.com", status="unsubscribed", unsubscribed_at=utcnow())
    response = client.get(f"/unsubscribe/{subscribers.token('unsubscribe', sid)}")
    assert response.status_code == 200 and "You are unsubscribed" in response.text
    assert "Changed your mind?" in response.text
    assert subscribers.get(sid).status == "unsubscribed"
