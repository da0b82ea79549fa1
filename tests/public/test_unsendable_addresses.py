"""The widget and the subscribe page refuse an address the mail layer cannot send, so no
confirmation for it can be left retrying; odd but sendable addresses still sign up."""
import pytest

from tests.public.support import post_from
from tests.support import web

FORMS = ["/subscribe", "/widget"]
# email-validator 2.4 accepts it; the header parser decodes it to bytes that are not UTF-8.
POISONED = "=?utf-8?b?ysq6?='x@example.com"


def _subscribe(client, url, email):
    page = client.get(url)
    return post_from(client, url, {"csrf_token": web.csrf_token(page.text), "email": email},
                     "10.0.0.1")


@pytest.mark.parametrize("url", FORMS)
def test_an_unsendable_address_is_explained_and_stores_nothing(app, client, subscribers, url):
    response = _subscribe(client, url, POISONED)
    assert response.status_code == 400 and 'class="error"' in response.text
    assert "read as the start of an encoded word" in response.text
    assert subscribers.count() == 0 and subscribers.outbound_count() == 0


@pytest.mark.parametrize("url", FORMS)
def test_an_odd_but_sendable_address_gets_its_confirmation(app, client, subscribers, smtp,
                                                           run_jobs, url):
    response = _subscribe(client, url, "o'neil+status@example.com")
    assert response.status_code == 200 and "Check your inbox" in response.text
    run_jobs()
    assert [m.to for m in smtp.wait_for(1)] == ["o'neil+status@example.com"]
