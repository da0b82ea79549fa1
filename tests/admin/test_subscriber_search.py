"""Search through the index by a term's uncommon parts: the answer stays exact."""
import re

from statusmail.services.search_terms import indexed_parts
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
