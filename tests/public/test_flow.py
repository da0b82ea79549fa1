"""The whole subscriber journey through real mail: widget → confirm → manage → leave."""
import re

from statusmail.models import Component
from tests.support import web
from tests.public.support import confirm_path


def _add_components(app):
    from statusmail.extensions import db
    with app.app_context():
        api = Component(name="API", group_name="Platform", position=1)
        web_app = Component(name="Web app", group_name="Platform", position=2)
        billing = Component(name="Billing", position=3)
        db.session.add_all([api, web_app, billing])
        db.session.commit()
        return {"api": api.id, "web": web_app.id, "billing": billing.id}


def test_widget_to_confirmed_to_preferences_to_unsubscribed(app, smtp, run_jobs, subscribers):
    components = _add_components(app)
    client = app.test_client()

    answer = web.submit(client, "/widget", {"email": "  Alice@Example.COM "})
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    alice = subscribers.get(email="alice@example.com")
    assert alice.status == "pending" and alice.source == "widget"

    run_jobs()
    mail = smtp.messages[0]
    assert mail.rcpt_tos == ["alice@example.com"]
    assert mail.message["Subject"].startswith("Confirm your subscription")
    path = confirm_path(smtp, "alice@example.com")

    # Mail scanners follow links: the GET shows a button and changes nothing.
    page = client.get(path)
    assert page.status_code == 200 and "Confirm subscription" in page.text
    assert subscribers.get(alice.id).status == "pending"

    done = client.post(path, data={"csrf_token": web.csrf_token(page.text)})
    assert done.status_code == 200 and "You are subscribed" in done.text
    alice = subscribers.get(alice.id)
    assert alice.status == "confirmed" and alice.confirmed_at is not None
    manage_href = re.search(r'href="(/manage/[^"]+)"', done.text).group(1)
    assert client.get(manage_href).status_code == 200

    # Confirming twice is harmless and says so.
    again = client.post(path, data={"csrf_token": web.csrf_token(page.text)})
    assert again.status_code == 200 and "Already confirmed" in again.text

    manage = f"/manage/{subscribers.token('manage', alice.id)}"
    form = client.get(manage)
    assert form.status_code == 200
    assert "Platform" in form.text and "Billing" in form.text
    saved = web.submit(client, manage, {
        "notify_incidents": "y", "notify_component_changes": "y",
        "scope": "selected", "components": [str(components["api"]), str(components["billing"])],
    }, follow_redirects=True)
    assert saved.status_code == 200 and "Your preferences are saved." in saved.text
    alice = subscribers.get(alice.id)
    assert (alice.notify_incidents, alice.notify_maintenance, alice.notify_component_changes) \
        == (True, False, True)
    assert not alice.all_components
    assert {c.id for c in alice.components} == {components["api"], components["billing"]}
    # The page shows the saved choice back.
    assert re.search(rf'value="{components["api"]}" checked', saved.text)
    assert not re.search(rf'value="{components["web"]}" checked', saved.text)

    unsubscribe = f"/unsubscribe/{subscribers.token('unsubscribe', alice.id)}"
    ask = client.get(unsubscribe)
    assert ask.status_code == 200 and "Unsubscribe from" in ask.text
    assert subscribers.get(alice.id).status == "confirmed"
    left = client.post(unsubscribe, data={"csrf_token": web.csrf_token(ask.text)})
    assert left.status_code == 200 and "You are unsubscribed" in left.text
    alice = subscribers.get(alice.id)
    assert alice.status == "unsubscribed" and alice.unsubscribed_at is not None

    # The page offers to come back, through the normal (double opt-in) sign-up; it names
    # the address only masked, so the person types it again.
    assert 'action="/subscribe"' in left.text and "a***@example.com" in left.text
    assert "alice@example.com" not in left.text
    back = client.post("/subscribe", data={"csrf_token": web.csrf_token(left.text),
                                           "email": "alice@example.com"})
    assert back.status_code == 200 and "Check your inbox" in back.text
    assert subscribers.get(alice.id).status == "pending"
    run_jobs()
    assert [m.rcpt_tos for m in smtp.messages] == [["alice@example.com"]] * 2


def test_leaving_from_the_manage_page(app, client, subscribers):
    sid = subscribers.add("bob@example.com")
    manage = f"/manage/{subscribers.token('manage', sid)}"
    page = client.get(manage)
    action = re.search(r'<form method="post" action="(/unsubscribe/[^"]+)"', page.text).group(1)
    left = client.post(action, data={"csrf_token": web.csrf_token(page.text)})
    assert left.status_code == 200 and "You are unsubscribed" in left.text
    assert subscribers.get(sid).status == "unsubscribed"


def test_preferences_need_a_kind_and_a_component(app, client, subscribers):
    components = _add_components(app)
    sid = subscribers.add("carol@example.com")
    manage = f"/manage/{subscribers.token('manage', sid)}"

    nothing = web.submit(client, manage, {"scope": "all"})
    assert nothing.status_code == 400
    assert "Choose at least one kind of notice" in nothing.text

    no_component = web.submit(client, manage, {"scope": "selected", "notify_incidents": "y"})
    assert no_component.status_code == 400
    assert "Choose at least one component" in no_component.text

    unknown = web.submit(client, manage, {"scope": "selected", "notify_incidents": "y",
                                          "components": str(max(components.values()) + 100)})
    assert unknown.status_code == 400

    carol = subscribers.get(sid)
    assert carol.all_components and carol.notify_maintenance and not carol.components


def test_page_forms_refuse_posts_without_csrf_token(app, client, subscribers):
    sid = subscribers.add("dan@example.com", status="pending")
    confirm = f"/confirm/{subscribers.token('confirm', sid)}"
    manage = f"/manage/{subscribers.token('manage', sid)}"
    unsubscribe = f"/unsubscribe/{subscribers.token('unsubscribe', sid)}"

    assert client.post(confirm).status_code == 400
    assert client.post(manage, data={"scope": "all"}).status_code == 400
    assert client.post(unsubscribe).status_code == 400
    response = client.post("/subscribe", data={"email": "new@example.com"})
    assert response.status_code == 400 and "Form expired" in response.text

    dan = subscribers.get(sid)
    assert dan.status == "pending" and dan.notify_incidents
    assert subscribers.get(email="new@example.com") is None


def test_bounced_address_opts_in_again_through_the_mail(app, client, smtp, run_jobs, subscribers):
    sid = subscribers.add("fixed@example.com", status="bounced", bounce_count=3,
                          last_bounce="550 mailbox full")
    assert web.submit(client, "/subscribe", {"email": "fixed@example.com"}).status_code == 200
    assert subscribers.get(sid).status == "pending"
    run_jobs()
    path = confirm_path(smtp, "fixed@example.com")
    page = client.get(path)
    client.post(path, data={"csrf_token": web.csrf_token(page.text)})
    fixed = subscribers.get(sid)
    assert fixed.status == "confirmed" and fixed.bounce_count == 0


def test_preferences_without_any_components(app, client, subscribers):
    sid = subscribers.add("erin@example.com")
    manage = f"/manage/{subscribers.token('manage', sid)}"
    page = client.get(manage)
    assert "Which components" not in page.text
    saved = web.submit(client, manage, {"notify_maintenance": "y"}, follow_redirects=True)
    assert saved.status_code == 200 and "Your preferences are saved." in saved.text
    erin = subscribers.get(sid)
    assert erin.all_components
    assert (erin.notify_incidents, erin.notify_maintenance, erin.notify_component_changes) \
        == (False, True, False)
