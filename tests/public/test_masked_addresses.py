"""Pages reached by a link from mail show the address masked: they are opened from shared
inboxes and forwarded mails, and the link's holder need not learn whose it is."""
import pytest

from statusmail.masking import masked_address
from tests.support import web

ADDRESS = "jane.doe@example.com"
MASKED = "j***@example.com"


@pytest.mark.parametrize("address, masked", [
    ("jane.doe@example.com", "j***@example.com"),
    ("j@example.com", "j***@example.com"),
    ("a@b@example.com", "a***@example.com"),  # quoted locals hold an @: the domain is last
    ("", "***"), ("no-at-sign", "***"), ("@example.com", "***"),
])
def test_masked_address(address, masked):
    assert masked_address(address) == masked


@pytest.fixture
def client(app):
    return app.test_client()


def _assert_masked(response):
    assert response.status_code == 200
    assert ADDRESS not in response.text and "jane.doe" not in response.text
    assert MASKED in response.text


def test_confirm_pages_mask_the_address(client, subscribers):
    sid = subscribers.add(ADDRESS, status="pending")
    path = f"/confirm/{subscribers.token('confirm', sid)}"
    ask = client.get(path)
    _assert_masked(ask)
    done = client.post(path, data={"csrf_token": web.csrf_token(ask.text)})
    _assert_masked(done)
    assert subscribers.get(sid).status == "confirmed"
    _assert_masked(client.get(path))  # "already subscribed"


def test_manage_and_unsubscribe_pages_mask_the_address(client, subscribers):
    sid = subscribers.add(ADDRESS)
    _assert_masked(client.get(f"/manage/{subscribers.token('manage', sid)}"))
    path = f"/unsubscribe/{subscribers.token('unsubscribe', sid)}"
    ask = client.get(path)
    _assert_masked(ask)
    left = client.post(path, data={"csrf_token": web.csrf_token(ask.text)})
    _assert_masked(left)
    assert subscribers.get(sid).status == "unsubscribed"
    # The "subscribe again" form is there, but empty: it does not hand out the address.
    assert 'name="email"' in left.text


def _pending_with_a_selection(app):
    from statusmail.extensions import db
    from statusmail.models import Component, Subscriber
    with app.app_context():
        database = Component(name="Database")
        row = Subscriber(email=ADDRESS, status="pending", all_components=False,
                         notify_incidents=True, notify_maintenance=False,
                         notify_component_changes=True, components=[database])
        db.session.add_all([database, row])
        db.session.commit()
        return row.id


def test_the_confirmed_page_states_the_actual_selection(app, client, subscribers):
    sid = _pending_with_a_selection(app)
    path = f"/confirm/{subscribers.token('confirm', sid)}"
    done = client.post(path, data={"csrf_token": web.csrf_token(client.get(path).text)})
    assert done.status_code == 200
    assert ("You hear about incidents and component status changes, for Database only."
            in done.text)


def test_the_confirmed_page_of_a_whole_page_subscriber(client, subscribers):
    sid = subscribers.add(ADDRESS, status="pending")
    path = f"/confirm/{subscribers.token('confirm', sid)}"
    done = client.post(path, data={"csrf_token": web.csrf_token(client.get(path).text)})
    assert ("You hear about incidents, maintenance and component status changes, "
            "for every component." in done.text)
