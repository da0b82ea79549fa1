"""Signed-link pages that change state are rate limited per network too."""
import pytest

from tests.support import web


@pytest.mark.parametrize("purpose, path", [("manage", "/manage/{}"),
                                           ("unsubscribe", "/unsubscribe/{}")])
def test_link_pages_answer_429_after_twenty_posts_a_minute(client, subscribers, purpose, path):
    subscriber_id = subscribers.add("limited@example.com")
    url = path.format(subscribers.token(purpose, subscriber_id))
    token = web.csrf_token(client.get(url).text)
    statuses = [client.post(url, data={"csrf_token": token, "scope": "all",
                                       "notify_incidents": "y"}).status_code
                for _ in range(21)]
    assert 429 not in statuses[:20]
    assert statuses[20] == 429
