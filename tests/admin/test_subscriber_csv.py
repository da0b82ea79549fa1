"""CSV export and import of subscribers, through the admin pages."""
import csv
import io
import re
from datetime import date, datetime

from rq import SimpleWorker
from sqlalchemy import delete, insert, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from statusmail.extensions import db
from statusmail.queues import get_queue, redis_connection
from statusmail.models import Component, OutboundMail, Subscriber, subscriber_components
from tests.admin.test_subscribers import add_subscribers
from tests.support import web
from tests.support.sql import counting_statements

IMPORT_URL = "/admin/subscribers/import"
EXPORT_URL = "/admin/subscribers/export"
TRANSFER_PAGE = re.compile(r"/admin/subscribers/transfers/(\d+)$")


def run_bulk_jobs(app):
    """What a worker does with the "bulk" queue: exports and imports, to completion."""
    with app.app_context():
        SimpleWorker([get_queue("bulk")], connection=redis_connection()).work(
            burst=True, logging_level="WARNING")


def follow_transfer(app, client, response):
    """From the redirect to a transfer's page: run its job, then read the page."""
    assert response.status_code == 302, response.status_code
    location = response.headers["Location"]
    assert TRANSFER_PAGE.search(location), location
    run_bulk_jobs(app)
    return client.get(location)


def upload(client, content, mode="send_confirmation", consent=True, filename="list.csv"):
    data = content.encode() if isinstance(content, str) else content
    fields = {"csrf_token": web.csrf_token(client.get(IMPORT_URL).text), "mode": mode,
              "file": FileStorage(io.BytesIO(data), filename)}
    if consent:
        fields["consent"] = "y"
    # Encoded in memory: the test client would spool a big body to an unclosed temp file.
    boundary, body = encode_multipart(fields)
    response = client.post(IMPORT_URL, data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    if response.status_code != 302:
        return response  # refused by the form itself
    return follow_transfer(client.application, client, response)


def counts(response):
    """The result page's counts table as {label: number}."""
    assert response.status_code == 200, response.status_code
    return {label: int(number) for label, number in
            re.findall(r"<tr><th>([^<]+)</th><td>(\d+)", response.text)}


def problems(response, section):
    """(line, reason) rows of the result page's Errors or Skipped table."""
    part = response.text.split(f'id="{section}"', 1)[1].split("</table>", 1)[0]
    return [(int(line), reason) for line, reason in
            re.findall(r"<tr><td>(\d+)</td><td><code>.*?</code></td><td>([^<]*)</td>", part)]


def subscribers(app):
    with app.app_context():
        return {s.email: s.status for s in Subscriber.query}


def export(client, status="all", q=""):
    """Start an export from the list page as a person does, run it, download the file."""
    page = client.get("/admin/subscribers", query_string={"status": status, "q": q})
    response = client.post(EXPORT_URL, data={"csrf_token": web.csrf_token(page.text),
                                             "status": status, "q": q})
    result = follow_transfer(client.application, client, response)
    download = re.search(r'href="(/admin/subscribers/transfers/\d+/download)"', result.text)
    assert download, result.text
    file = client.get(download.group(1))
    file.get_data()
    file.close()  # the data is read; send_file's handle is released
    assert file.status_code == 200
    assert int(file.headers["Content-Length"]) == len(file.data)
    return file


def exported(client, status="all", q=""):
    response = export(client, status, q)
    return response, list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_export_writes_the_filtered_list_with_every_column(app, admin_client):
    with app.app_context():
        db.session.add_all([Component(name="API", position=1), Component(name="Web", position=2)])
        db.session.commit()
        api, web_ = Component.query.order_by(Component.position).all()
    ids = add_subscribers(app, {"email": "ann@example.com", "all_components": False,
                                "notify_maintenance": False,
                                "created_at": datetime(2024, 5, 1, 9, 30),
                                "confirmed_at": datetime(2024, 5, 1, 9, 45, 12)},
                          {"email": "bob@example.com", "status": "pending"})
    with app.app_context():
        db.session.execute(insert(subscriber_components), [
            {"subscriber_id": ids[0], "component_id": api.id},
            {"subscriber_id": ids[0], "component_id": web_.id}])
        db.session.commit()
    response, rows = exported(admin_client, status="confirmed")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=subscribers-confirmed-{date.today():%Y-%m-%d}.csv")
    assert rows == [{
        "email": "ann@example.com", "status": "confirmed", "source": "widget",
        "created_at": "2024-05-01T09:30:00Z", "confirmed_at": "2024-05-01T09:45:12Z",
        "unsubscribed_at": "", "all_components": "false", "components": "API;Web",
        "notify_incidents": "true", "notify_maintenance": "false",
        "notify_component_changes": "true"}]
    assert [row["email"] for row in exported(admin_client, q="BOB")[1]] == ["bob@example.com"]


def test_export_neutralises_spreadsheet_formulas(app, admin_client):
    add_subscribers(app, {"email": "=cmd@example.com", "source": "+SUM(A1)"},
                    {"email": "-x@example.com", "source": "@import"},
                    {"email": "plain@example.com", "source": "widget"})
    rows = {row["email"]: row for row in exported(admin_client)[1]}
    assert set(rows) == {"'=cmd@example.com", "'-x@example.com", "plain@example.com"}
    assert rows["'=cmd@example.com"]["source"] == "'+SUM(A1)"
    assert rows["'-x@example.com"]["source"] == "'@import"


def test_a_100k_export_has_every_row(app, admin_client):
    with app.app_context():
        db.session.execute(insert(Subscriber), [
            {"email": f"user{n}@example.com", "status": "confirmed", "source": "import"}
            for n in range(100_000)])
        db.session.commit()
    lines = export(admin_client).get_data(as_text=True).splitlines()
    assert len(lines) == 100_001
    assert lines[0].startswith("email,status,") and len(set(lines)) == 100_001


def test_export_then_import_restores_the_same_subscribers(app, admin_client):
    with app.app_context():
        db.session.add(Component(name="Database"))
        db.session.commit()
        component_id = Component.query.one().id
    ids = add_subscribers(
        app, {"email": "c@example.com", "confirmed_at": datetime(2023, 3, 4, 5, 6, 7)},
        {"email": "p@example.com", "status": "pending"},
        {"email": "u@example.com", "status": "unsubscribed",
         "unsubscribed_at": datetime(2024, 2, 2, 2, 2, 2)},
        {"email": "b@example.com", "status": "bounced"},
        {"email": "=f@example.com", "all_components": False, "notify_incidents": False,
         "confirmed_at": datetime(2024, 1, 1)})
    with app.app_context():
        db.session.execute(insert(subscriber_components),
                           [{"subscriber_id": ids[4], "component_id": component_id}])
        db.session.commit()
    before = exported(admin_client)[1]
    file = export(admin_client).get_data()
    with app.app_context():
        db.session.execute(delete(subscriber_components))
        db.session.execute(delete(Subscriber))
        db.session.commit()

    result = counts(upload(admin_client, file, mode="mark_confirmed"))
    assert result["Added"] == 5 and result["Errors"] == 0 and result["Skipped"] == 0
    assert result["Confirmation mails"] == 0
    after = exported(admin_client)[1]
    without_source = [{k: v for k, v in row.items() if k != "source"} for row in before]
    assert [{k: v for k, v in row.items() if k != "source"} for row in after] == without_source
    assert {row["source"] for row in after} == {"import"}


def test_import_without_header_sends_one_real_confirmation_per_new_address(
        app, admin_client, smtp, run_jobs):
    result = counts(upload(admin_client, "one@example.com\nTwo@Example.com\none@example.com\n"))
    assert result["Added"] == 2 and result["Duplicates merged"] == 1
    assert result["Confirmation mails"] == 2
    assert subscribers(app) == {"one@example.com": "pending", "two@example.com": "pending"}
    run_jobs()
    mails = smtp.wait_for(2)
    assert sorted(m.rcpt_tos[0] for m in mails) == ["one@example.com", "two@example.com"]
    assert all("/confirm/" in m.message.get_body(("plain",)).get_content() for m in mails)
    with app.app_context():
        assert {m.state for m in OutboundMail.query} == {"sent"}
        assert all(s.source == "import" and s.confirmation_sent_at for s in Subscriber.query)


def test_import_with_header_reports_bad_lines_by_number_and_skips_them(app, admin_client):
    content = ("Name,E-mail Address,Company\n"
               "Ann,ann@example.com,ACME\n"
               "Bob,not-an-address,ACME\n"
               "\n"
               "Cy,cy@example.com,ACME,extra\n"
               '"Dee, Jr.",dee@example.com,"Multi\nline"\n'
               "Eve\n"
               "Fay,fay@example.com,ACME\n\n\n")
    response = upload(admin_client, content, mode="mark_confirmed")
    result = counts(response)
    assert result["Added"] == 3 and result["Errors"] == 4
    errors = problems(response, "errors")
    assert [line for line, _ in errors] == [3, 4, 5, 8]
    assert errors[0][1].startswith("Invalid address")
    assert errors[1][1] == "Empty line."
    assert errors[2][1].startswith("Too many columns (4; the header has 3)")
    assert errors[3][1].startswith("Too few columns")
    assert subscribers(app) == {"ann@example.com": "confirmed", "dee@example.com": "confirmed",
                                "fay@example.com": "confirmed"}


def test_semicolon_files_and_bom_are_understood(app, admin_client):
    content = "\ufeffemail;notify_maintenance\nsemi@example.com;no\n"
    assert counts(upload(admin_client, content, mode="mark_confirmed"))["Added"] == 1
    with app.app_context():
        subscriber = Subscriber.query.one()
        assert subscriber.email == "semi@example.com" and not subscriber.notify_maintenance


def test_import_merges_with_existing_subscribers(app, admin_client):
    add_subscribers(app, "conf@example.com")
    add_subscribers(app, "pend@example.com", status="pending")
    response = upload(admin_client, "conf@example.com\npend@example.com\nnew@example.com\n"
                                    "NEW@example.com\n", mode="mark_confirmed")
    result = counts(response)
    assert result["Added"] == 1 and result["Already there"] == 1 and result["Confirmed"] == 1
    assert result["Duplicates merged"] == 1
    assert "line 4 repeats line 3" in response.text
    assert subscribers(app) == {"conf@example.com": "confirmed", "pend@example.com": "confirmed",
                                "new@example.com": "confirmed"}


def test_import_never_resubscribes_an_unsubscribed_or_bounced_address(app, admin_client):
    add_subscribers(app, {"email": "left@example.com", "status": "unsubscribed",
                          "unsubscribed_at": datetime(2024, 3, 1, 12, 0)},
                    {"email": "dead@example.com", "status": "bounced"})
    response = upload(admin_client, "email\nleft@example.com\ndead@example.com\n")
    result = counts(response)
    assert result["Skipped"] == 2 and result["Added"] == 0 and result["Confirmation mails"] == 0
    assert problems(response, "skipped") == [
        (2, "Unsubscribed here on 2024-03-01: not resubscribed."),
        (3, "Bounced here (mail to it failed): not resubscribed.")]
    assert subscribers(app) == {"left@example.com": "unsubscribed", "dead@example.com": "bounced"}
    with app.app_context():
        assert OutboundMail.query.count() == 0


def test_mark_confirmed_without_the_acknowledgement_is_refused(app, admin_client):
    response = upload(admin_client, "x@example.com\n", mode="mark_confirmed", consent=False)
    assert response.status_code == 200
    assert "confirm that you have these people" in response.text
    assert subscribers(app) == {}


def test_a_file_that_breaks_half_way_imports_nothing(app, admin_client):
    good = "".join(f"ok{n}@example.com\n" for n in range(50)).encode()
    response = upload(admin_client, good + b"caf\xe9@example.com\n" + good)
    assert "Line 51 is not UTF-8 text, so nothing was imported" in response.text
    assert subscribers(app) == {}


def test_a_binary_file_is_refused_clearly(app, admin_client):
    response = upload(admin_client, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", filename="logo.png")
    assert "This is not a text file" in response.text
    assert subscribers(app) == {}


def test_an_oversized_file_is_refused_with_a_readable_message(make_app):
    app = make_app(IMPORT_MAX_BYTES=1024 * 1024)
    web.create_admin(app)
    admin_client = app.test_client()
    web.login(admin_client)
    limit = app.config["IMPORT_MAX_BYTES"]
    token = web.csrf_token(admin_client.get(IMPORT_URL).text)
    # Encoded in memory: the test client would spool a body this big to an unclosed temp file.
    boundary, body = encode_multipart({
        "csrf_token": token, "mode": "send_confirmation",
        "file": FileStorage(io.BytesIO(b"a@example.com\n" * (limit // 14 + 1)), "big.csv")})
    response = admin_client.post(IMPORT_URL, data=body,
                                 content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert f"larger than the {limit // 1048576} MB limit" in response.text
    assert subscribers(app) == {}


def test_ten_thousand_rows_import_in_bulk(app, admin_client):
    """A big list costs a few statements more than a small one, not some per row."""
    statements_used = []
    for prefix, rows in (("small", 50), ("bulk", 10_000)):
        content = "".join(f"{prefix}{n}@example.com\n" for n in range(rows))
        with counting_statements(app) as statements:
            result = counts(upload(admin_client, content, mode="mark_confirmed"))
        assert result["Added"] == rows
        statements_used.append(sum(statements.values()))
    small, bulk = statements_used
    assert bulk - small < 100, statements_used
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Subscriber)
                                 .where(Subscriber.status == "confirmed")) == 10_050
