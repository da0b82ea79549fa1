"""A German catalogue, compiled by the app as it starts, turns the status page, the
subscriber pages and the confirmation mail (through the outbox, a real RQ worker and a
real SMTP server) German, with ``lang="de"``; English stays the default."""
import os

from statusmail.jobs.outbound import send_outbound
from statusmail.models import OutboundMail
from tests.i18n.conftest import set_language
from tests.public.support import confirm_path
from tests.support import web


def test_the_app_compiles_the_catalogue_it_finds_at_start_up(app, translations):
    assert os.path.isfile(translations / "de" / "LC_MESSAGES" / "messages.mo")
    with app.app_context():
        from statusmail.i18n import available_languages
        assert available_languages() == {"en": "English", "de": "Deutsch"}


def test_english_until_the_setting_says_german(app, client):
    page = client.get("/")
    assert '<html lang="en">' in page.text and "All systems operational" in page.text
    assert "Alle Systeme" not in page.text


def test_status_page_subscriber_pages_and_confirmation_mail_in_german(app, client, smtp,
                                                                      run_jobs):
    set_language(app, "de", status_page_name="Acme Status")

    status = client.get("/")
    assert status.status_code == 200
    assert '<html lang="de">' in status.text
    assert "<h1>Alle Systeme funktionieren</h1>" in status.text
    assert "<h2>Benachrichtigt werden</h2>" in status.text
    assert "Zeiten in UTC." in status.text
    assert "All systems operational" not in status.text

    form = client.get("/subscribe")
    assert '<html lang="de">' in form.text
    assert "<h1>Acme Status-Meldungen per E-Mail</h1>" in form.text
    assert ">E-Mail-Adresse</label>" in form.text and ">Abonnieren</button>" in form.text
    sent = client.post("/subscribe", data={"csrf_token": web.csrf_token(form.text),
                                           "email": "anna@example.de"})
    assert sent.status_code == 200 and "Sehen Sie in Ihrem Posteingang nach" in sent.text

    run_jobs()
    mail = smtp.wait_for(1)[0].message
    assert mail["Subject"] == "Bestätigen Sie Ihr Abonnement bei Acme Status"
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = mail.get_body(("html",)).get_content()
    assert text.startswith("Hallo,\n\n")
    assert "\nBestätigen Sie Ihr Abonnement mit diesem Link:\nhttp" in text
    assert "\nDer Link gilt 48 Stunden.\n" in text
    assert '<html lang="de">' in html and "<p>Hallo,</p>" in html
    assert ">Jetzt bestätigen</a>" in html and "Der Link gilt 48 Stunden." in html

    path = confirm_path(smtp, "anna@example.de")
    confirm = client.get(path)
    assert confirm.status_code == 200 and '<html lang="de">' in confirm.text
    assert "<h1>Abonnement bestätigen</h1>" in confirm.text
    assert ">Jetzt bestätigen</button>" in confirm.text
    done = client.post(path, data={"csrf_token": web.csrf_token(confirm.text)})
    assert done.status_code == 200 and "<h1>Sie sind angemeldet</h1>" in done.text


def test_a_worker_reads_the_language_again_for_each_job(app, smtp):
    """A worker lives in one app context for all its jobs: a language saved between two
    jobs is the second one's."""
    from statusmail.extensions import db
    subscriber_ids = _pending(app, "a@example.org", "b@example.org")
    with app.app_context():
        rows = [OutboundMail(kind="confirm", recipient=email, subscriber_id=sid)
                for email, sid in subscriber_ids]
        db.session.add_all(rows)
        db.session.commit()
        ids = [row.id for row in rows]
        send_outbound(ids[0])
        set_language(app, "de")  # saved by "the admin", in another context
        send_outbound(ids[1])
    received = {item.rcpt_tos[0]: item.message["Subject"] for item in smtp.wait_for(2)}
    assert received["a@example.org"].startswith("Confirm your subscription to ")
    assert received["b@example.org"].startswith("Bestätigen Sie Ihr Abonnement bei ")


def _pending(app, *emails):
    from statusmail.extensions import db
    from statusmail.models import Subscriber
    with app.app_context():
        rows = [Subscriber(email=email, status="pending", source="page") for email in emails]
        db.session.add_all(rows)
        db.session.commit()
        return [(row.email, row.id) for row in rows]
