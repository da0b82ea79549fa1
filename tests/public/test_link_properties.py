"""Properties of subscriber links, checked through the public routes with generated cases.

A link works only for the purpose, the subscriber and the key it was made with, and only
within its lifetime; after its subscriber is removed or their links are invalidated it acts
on nobody; and no mangled token makes the app fail. "Works" means the page names its
subscriber (200); anything else must name nobody and change nothing.

CI runs ``STATUSMAIL_LINK_EXAMPLES`` (default 30) cases per property; set it higher for a
long run (docs/testing.md).
"""
import itertools
import os
import time
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from statusmail.masking import masked_address
from statusmail.models.subscribers import SUBSCRIBER_STATUSES
from statusmail.tokens import PURPOSES, SUBSCRIBER_PURPOSES, key_proof
from tests.public.support import Subscribers

ONE_CLICK = {"List-Unsubscribe": "One-Click"}
LIFETIMES = {"confirm": 48 * 3600, "manage": PURPOSES["manage"], "unsubscribe": None,
             "not-me": PURPOSES["not-me"]}
# Signing and checking happen a moment apart: stay clear of the exact lifetime.
CLOCK_MARGIN = 120

link_settings = settings(
    max_examples=int(os.environ.get("STATUSMAIL_LINK_EXAMPLES", "30")), deadline=None,
    database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_addresses = itertools.count()
purposes = st.sampled_from(SUBSCRIBER_PURPOSES)
# Any integer a signed link could name, with the edges of 32- and 64-bit columns drawn often.
any_id = st.one_of(st.integers(-2 ** 70, 2 ** 70),
                   st.sampled_from([0, -1, 2 ** 31 - 1, 2 ** 31, 2 ** 63 - 1, 2 ** 63]),
                   st.integers(2 ** 63, 2 ** 70))


def _address(label):
    return f"{label}{next(_addresses)}@example.com"


def _mint(app, purpose, subscriber_id, link_key, age=0):
    """A link signed ``age`` seconds ago: itsdangerous's own timestamp, from a fixed clock."""
    signed_at = int(time.time()) - age

    class FixedClock(TimestampSigner):
        def get_timestamp(self):
            return signed_at

    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=f"statusmail.{purpose}",
                                        signer=FixedClock)
    return serializer.dumps([subscriber_id, key_proof(purpose, link_key)])


def _page(client, purpose, token):
    return client.get(f"/{purpose}/{quote(token, safe='')}")


def _one_click(client, token):
    return client.post(f"/unsubscribe/{quote(token, safe='')}/one-click", data=ONE_CLICK)


def _names_nobody(response, *addresses):
    assert response.status_code == 400, response.status_code
    for address in addresses:
        assert address not in response.text and masked_address(address) not in response.text


def _works_for(response, address):
    """The page is the owner's: it names them, masked (each test's labels differ in
    their first letter, so the mask tells owner from neighbour)."""
    assert response.status_code == 200, response.status_code
    assert masked_address(address) in response.text and address not in response.text


@link_settings
@given(minted_for=purposes, used_as=purposes, other_id=any_id,
       use_neighbour=st.booleans())
def test_a_link_works_only_for_its_purpose_and_subscriber(app, minted_for, used_as, other_id,
                                                          use_neighbour):
    subscribers = Subscribers(app)
    owner_address, neighbour_address = _address("owner"), _address("neighbour")
    owner = subscribers.add(owner_address, status="pending")
    neighbour = subscribers.add(neighbour_address, status="pending")
    key = subscribers.link_key(owner)
    client = app.test_client(use_cookies=False)

    own = _mint(app, minted_for, owner, key)
    if minted_for == used_as:
        _works_for(_page(client, used_as, own), owner_address)
    else:
        _names_nobody(_page(client, used_as, own), owner_address)

    # The owner's key with any other id: never the owner, never whoever has that id.
    target = neighbour if use_neighbour else other_id
    if target != owner:
        foreign = _mint(app, minted_for, target, key)
        response = _page(client, used_as, foreign)
        assert response.status_code == 400
        assert owner_address not in response.text and neighbour_address not in response.text
        _one_click(client, foreign)
    assert subscribers.get(owner).status == subscribers.get(neighbour).status == "pending"


@link_settings
@given(purpose=purposes, statuses=st.lists(st.sampled_from(SUBSCRIBER_STATUSES), min_size=1,
                                           max_size=4),
       successors=st.integers(1, 4), same_address=st.booleans())
def test_no_link_works_after_its_subscriber_is_removed(app, purpose, statuses, successors,
                                                       same_address):
    """The newest rows go, new ones come: where ids were reused, they would line up."""
    from statusmail.services.subscriber_admin import remove_subscriber
    subscribers = Subscribers(app)
    removed = {}
    for status in statuses:
        address = _address("leaver")
        removed[subscribers.add(address, status=status)] = address
    links = {sid: {used: subscribers.token(used, sid) for used in SUBSCRIBER_PURPOSES}
             for sid in removed}
    with app.app_context():
        for sid in sorted(removed, reverse=True):
            remove_subscriber(sid)
    newcomers = [next(iter(removed.values())) if same_address and n == 0 else _address("new")
                 for n in range(successors)]
    successor_ids = [subscribers.add(address, status="pending") for address in newcomers]
    assert not set(successor_ids) & set(removed)

    client = app.test_client(use_cookies=False)
    for sid in removed:
        _names_nobody(_page(client, purpose, links[sid][purpose]), *removed.values(), *newcomers)
        assert _one_click(client, links[sid]["unsubscribe"]).status_code == 200
    assert {subscribers.get(sid).status for sid in successor_ids} == {"pending"}


@link_settings
@given(purpose=purposes, resets=st.lists(st.sampled_from(["operator", "subscribe again"]),
                                         min_size=1, max_size=3))
def test_no_link_works_after_its_links_are_invalidated(app, purpose, resets):
    from statusmail.services.subscriber_admin import invalidate_links
    from statusmail.services.subscriptions import request_subscription, unsubscribe
    subscribers = Subscribers(app)
    address = _address("reset")
    owner = subscribers.add(address)
    old_links = []
    for reset in resets:
        old_links.append({used: subscribers.token(used, owner) for used in SUBSCRIBER_PURPOSES})
        with app.app_context():
            if reset == "operator":
                invalidate_links(owner)
            else:
                # Leaving keeps the links; subscribing again replaces them.
                unsubscribe(subscribers.get(owner))
                request_subscription(address)
    status = subscribers.get(owner).status

    client = app.test_client(use_cookies=False)
    for links in old_links:
        _names_nobody(_page(client, purpose, links[purpose]), address)
        _one_click(client, links["unsubscribe"])
    assert subscribers.get(owner).status == status
    # The links made now work.
    _works_for(_page(client, purpose, subscribers.token(purpose, owner)), address)


@link_settings
@given(purpose=purposes, age=st.integers(0, 2 * PURPOSES["manage"]))
def test_a_link_works_within_its_lifetime_only(app, purpose, age):
    lifetime = LIFETIMES[purpose]
    if lifetime is not None and abs(age - lifetime) < CLOCK_MARGIN:
        age += 2 * CLOCK_MARGIN
    subscribers = Subscribers(app)
    address = _address("aging")
    owner = subscribers.add(address, status="pending")
    client = app.test_client(use_cookies=False)
    response = _page(client, purpose, _mint(app, purpose, owner, subscribers.link_key(owner), age))
    if lifetime is None or age <= lifetime:
        _works_for(response, address)
    else:
        assert response.status_code == 400 and "This link has expired" in response.text
        assert address not in response.text


def _mangled(token, draw):
    how = draw(st.sampled_from(["truncate", "replace", "insert", "drop", "anything"]))
    if how == "anything":
        return draw(st.text(min_size=1, max_size=300))
    # A position drawn independently of the token's length: ids (and so token lengths)
    # differ between runs on PostgreSQL, and Hypothesis must replay the same draws.
    at = draw(st.integers(0, 4095)) % len(token)
    if how == "truncate":
        return token[:at] or "x"
    if how == "drop":
        return token[:at] + token[at + 1:]
    piece = draw(st.text(min_size=1, max_size=20))
    if how == "replace":
        return token[:at] + piece + token[at + 1:]
    return token[:at] + piece + token[at:]


@link_settings
@given(purpose=purposes, data=st.data())
def test_mangled_tokens_never_fail_and_never_act_on_another(app, purpose, data):
    subscribers = Subscribers(app)
    address, other_address = _address("target"), _address("other")
    owner = subscribers.add(address, status="pending")
    other = subscribers.add(other_address, status="pending")
    token = _mangled(subscribers.token(purpose, owner), data.draw)
    client = app.test_client(use_cookies=False)

    for response in (_page(client, purpose, token), _one_click(client, token)):
        assert response.status_code < 500
        assert other_address not in response.text
    assert subscribers.get(other).status == "pending"
