"""A subscription nobody confirmed, or one that ended, cannot take preferences: the page
shows them locked and says how to fix it, and the server refuses a save."""
import re

import pytest

from tests.public.support import confirm_path
from tests.support import web

PREFERENCES = {"scope": "all", "notify_maintenance": "y"}


@pytest.mark.parametrize("status, why, button", [
    ("pending", "not confirmed", "Send the confirmation mail again"),
    ("unsubscribed", "you are unsubscribed", "Subscribe again"),
    ("bounced", "bounced", "Subscribe again"),
])
def test_preferences_are_locked_and_not_saved(client, subscribers, status, why, button):
    sid = subscribers.add(f"{status}@example.com", status=status)
    manage = f"/manage/{subscribers.token('manage', sid)}"
    page = client.get(manage)
    assert page.status_code == 200
    assert "cannot be saved" in page.text and why in page.text and button in page.text
    assert re.search(r'<fieldset class="plain" disabled>', page.text)

    refused = client.post(manage, data={"csrf_token": web.csrf_token(page.text), **PREFERENCES})
    assert refused.status_code == 409 and "Nothing was saved" in refused.text
    row = subscribers.get(sid)
    assert row.status == status and row.notify_incidents and row.notify_component_changes


def test_confirmed_preferences_are_open_and_saved(client, subscribers):
    sid = subscribers.add("open@example.com")
    manage = f"/manage/{subscribers.token('manage', sid)}"
    page = client.get(manage)
    assert "disabled" not in page.text and "cannot be saved" not in page.text
    saved = web.submit(client, manage, PREFERENCES)
    assert saved.status_code == 302
    assert not subscribers.get(sid).notify_incidents


def test_pending_gets_the_confirmation_again_and_can_then_save(app, client, smtp, run_jobs,
                                                                 subscribers):
    sid = subscribers.add("waiting@example.com", status="pending")
    manage = f"/manage/{subscribers.token('manage', sid)}"
    page = client.get(manage)
    action = re.search(r'<form method="post" action="(/manage/[^"]+/confirmation)"', page.text)
    sent = client.post(action.group(1), data={"csrf_token": web.csrf_token(page.text)})
    assert sent.status_code == 200 and "A new link is on its way" in sent.text
    assert "waiting@example.com" not in sent.text  # masked
    run_jobs()
    path = confirm_path(smtp, "waiting@example.com")
    confirm_page = client.get(path)
    client.post(path, data={"csrf_token": web.csrf_token(confirm_page.text)})
    assert subscribers.get(sid).status == "confirmed"
    assert web.submit(client, manage, PREFERENCES).status_code == 302


def test_unsubscribed_subscribes_again_from_the_page(app, client, smtp, run_jobs, subscribers):
    sid = subscribers.add("back@example.com", status="unsubscribed")
    manage = f"/manage/{subscribers.token('manage', sid)}"
    page = client.get(manage)
    action = re.search(r'action="(/manage/[^"]+/confirmation)"', page.text).group(1)
    assert client.post(action, data={"csrf_token": web.csrf_token(page.text)}).status_code == 200
    assert subscribers.get(sid).status == "pending"
    run_jobs()
    assert confirm_path(smtp, "back@example.com")
    # A new subscription gets new links: the old manage link is gone with the old key.
    assert client.get(manage).status_code == 400


def test_confirmation_form_needs_its_token(client, subscribers):
    sid = subscribers.add("forged@example.com", status="pending")
    action = f"/manage/{subscribers.token('manage', sid)}/confirmation"
    assert client.post(action).status_code == 400
    assert subscribers.outbound_count() == 0
