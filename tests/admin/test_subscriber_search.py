"""Search through the index by a term's uncommon parts: the answer stays exact."""
import contextlib
import re

import pytest

from statusmail.services import search_terms
from statusmail.services.search_terms import indexed_parts, newest_first_is_short
from tests.admin.test_subscribers import add_subscribers

EMAILS = [f"member{n}@example.net" for n in range(1, 401)] + [
    "x-member42@other.org", "member4@example.net.evil", "nomember@example.net"]


def _all_listed(client, url):
    """Every address of every page of a search, following the "older" links."""
    found = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        found += re.findall(r'href="/admin/subscribers/\d+">([^<]+)</a>', response.text)
        older = re.search(r'href="([^"]*)" rel="next"', response.text)
        url = older.group(1).replace("&amp;", "&") if older else None
    return found


def test_common_trigrams_are_left_to_the_exact_check(app, admin_client):
    add_subscribers(app, *EMAILS)
    with app.test_request_context():
        # "mem", "emb", "mbe", "ber" are in every address; "er4" (member4, 40-49, 400),
        # "r42" and "42@" in a few.
        assert indexed_parts("member42@") == ["er42@"]
        assert indexed_parts("example.net") == ["example.net"]  # all common: asked whole
        assert indexed_parts("ab") == ["ab"]
    for term in ("member42@", "MEMBER4", "r42@", "ber39", "example.net", "er4@example.net.",
                 "nomember"):
        expected = sorted(email for email in EMAILS if term.lower() in email)
        listed = _all_listed(admin_client, f"/admin/subscribers?q={term}")
        assert sorted(listed) == expected, term


OLD_MATCHES = [f"member{n}@example.net" for n in range(1, 61)]
NEWER = [f"other{n}@example.net" for n in range(1, 241)]


def test_a_walk_that_would_be_long_is_told_from_the_sample(app):
    """"member" has only common trigrams here, and every match is older than every other
    address: a newest-first walk reads the 240 newer ones before the first match."""
    add_subscribers(app, *OLD_MATCHES)
    first_newer = add_subscribers(app, *NEWER)[0]
    with app.test_request_context():
        assert newest_first_is_short("member", "all", 26)  # 300 addresses: short anyway
    with app.test_request_context(), _walk_budget(100):
        assert not newest_first_is_short("member", "all", 26)
        assert newest_first_is_short("other", "all", 26)  # the newest match at once
        assert not newest_first_is_short("other", "pending", 26)  # none pending
        # From the page below the newer addresses the walk is short again, and walking
        # oldest first (the "newer" link) too.
        assert newest_first_is_short("member", "all", 26, after=first_newer)
        assert newest_first_is_short("member", "all", 26, before=0)


@pytest.mark.parametrize("budget", [None, 100], ids=["walked", "sorted-after-the-index"])
def test_old_matches_of_a_common_term_are_listed_exactly_either_way(app, admin_client, budget):
    add_subscribers(app, *OLD_MATCHES)
    add_subscribers(app, *NEWER)
    with _walk_budget(budget):
        for term in ("member", "member1", "ber5@", "other2"):
            expected = sorted(email for email in OLD_MATCHES + NEWER if term in email)
            listed = _all_listed(admin_client, f"/admin/subscribers?q={term}")
            assert sorted(listed) == expected and len(set(listed)) == len(listed), term
        page = admin_client.get("/admin/subscribers?q=member").text
        assert 'All <span class="count">60</span>' in page  # every match counted


@contextlib.contextmanager
def _walk_budget(rows):
    saved = search_terms.WALK_BUDGET
    search_terms.WALK_BUDGET = rows if rows is not None else saved
    try:
        yield
    finally:
        search_terms.WALK_BUDGET = saved
