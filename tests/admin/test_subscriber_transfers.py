"""Exports and imports as jobs: files of any size, flat memory, nothing lost to a crash."""
import io
import re
import tracemalloc
from datetime import timedelta

from sqlalchemy import delete, func, insert, select, update
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from statusmail.extensions import db
from statusmail.models import Subscriber, SubscriberImportRow, SubscriberTransfer, utcnow
from statusmail.services.transfers import run_transfer, sweep_transfers
from statusmail.services.transfers.queueing import claim
from tests.admin.test_subscriber_csv import (
    IMPORT_URL, TRANSFER_PAGE, counts, export, run_bulk_jobs, upload,
)
from tests.support import web


def _insert_subscribers(app, count, prefix="user"):
    with app.app_context():
        db.session.execute(insert(Subscriber), [
            {"email": f"{prefix}{n}@example.com", "status": "confirmed", "source": "import"}
            for n in range(count)])
        db.session.commit()


def _subscriber_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Subscriber))


def _start_import(app, client, content, mode="mark_confirmed"):
    token = web.csrf_token(client.get(IMPORT_URL).text)
    # Encoded in memory: the test client would spool a big body to an unclosed temp file.
    boundary, body = encode_multipart({"csrf_token": token, "mode": mode, "consent": "y",
                                       "file": FileStorage(io.BytesIO(content), "list.csv")})
    response = client.post(IMPORT_URL, data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 302
    return int(TRANSFER_PAGE.search(response.headers["Location"]).group(1))


def test_an_export_bigger_than_any_form_body_imports_back(app, admin_client):
    """The app's own export re-imports whole, though it is over the 2 MB body limit of
    every other form (the import's own limit is IMPORT_MAX_BYTES)."""
    _insert_subscribers(app, 30_000)
    file = export(admin_client).get_data()
    assert len(file) > app.config["MAX_CONTENT_LENGTH"]
    with app.app_context():
        db.session.execute(delete(Subscriber))
        db.session.commit()
    result = counts(upload(admin_client, file, mode="mark_confirmed"))
    assert result["Added"] == 30_000 and result["Errors"] == 0
    assert _subscriber_count(app) == 30_000
    with app.app_context():  # the staging rows and the uploaded file are gone
        assert db.session.scalar(select(func.count()).select_from(SubscriberImportRow)) == 0
        assert SubscriberTransfer.query.filter_by(kind="import").one().file_name is not None


def test_the_download_exists_only_once_the_whole_file_is_written(app, admin_client):
    _insert_subscribers(app, 10)
    page = admin_client.get("/admin/subscribers")
    response = admin_client.post("/admin/subscribers/export",
                                 data={"csrf_token": web.csrf_token(page.text)})
    transfer_url = response.headers["Location"]
    waiting = admin_client.get(transfer_url)
    assert "Waiting for a worker" in waiting.text and "Download CSV" not in waiting.text
    assert admin_client.get(transfer_url + "/download").status_code == 404
    progress = admin_client.get(transfer_url + "/progress").json
    assert progress["state"] == "queued" and progress["done"] is False
    run_bulk_jobs(app)
    assert admin_client.get(transfer_url + "/progress").json["done"] is True
    download = admin_client.get(transfer_url + "/download")
    body = download.get_data()
    download.close()
    assert download.status_code == 200 and len(body.splitlines()) == 11
    assert int(download.headers["Content-Length"]) == len(body)


def _peak_import_memory(app, client, rows, prefix):
    content = "".join(f"{prefix}{n}@example.com\n" for n in range(rows)).encode()
    transfer_id = _start_import(app, client, content)
    tracemalloc.start()
    try:
        with app.app_context():
            run_transfer(transfer_id)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_import_memory_does_not_grow_with_the_file(app, admin_client):
    small = _peak_import_memory(app, admin_client, 2_000, "small")
    large = _peak_import_memory(app, admin_client, 20_000, "large")
    assert _subscriber_count(app) == 22_000
    assert large < 2 * small, (small, large)


def test_a_transfer_whose_worker_died_is_redone_once(app, admin_client):
    content = "".join(f"crash{n}@example.com\n" for n in range(3_000)).encode()
    transfer_id = _start_import(app, admin_client, content)
    with app.app_context():
        # A worker took it and died before anything of the merge committed.
        assert claim(transfer_id) is not None
        app.extensions["redis"].delete(f"statusmail:transfer:{transfer_id}")
        db.session.execute(update(SubscriberTransfer).where(SubscriberTransfer.id == transfer_id)
                           .values(started_at=utcnow() - timedelta(minutes=5)))
        db.session.commit()
        assert run_transfer(transfer_id) == "not due or already handled"
        assert sweep_transfers() == 1
    run_bulk_jobs(app)
    with app.app_context():
        transfer = db.session.get(SubscriberTransfer, transfer_id)
        assert transfer.state == "done" and transfer.attempts == 2
        assert transfer.result["added_confirmed"] == 3_000
        assert run_transfer(transfer_id) == "not due or already handled"
    assert _subscriber_count(app) == 3_000


def test_a_job_superseded_by_the_sweeper_writes_nothing(app, admin_client):
    """The attempt number fences the merge: an old job cannot commit over a new one."""
    transfer_id = _start_import(app, admin_client, b"late@example.com\n")
    with app.app_context():
        first = claim(transfer_id)
        db.session.execute(update(SubscriberTransfer).where(SubscriberTransfer.id == transfer_id)
                           .values(state="queued"))  # the sweeper gave up on it
        db.session.commit()
        second = claim(transfer_id)
        assert first.finish("done") is False
        assert second.finish("done") is True


def test_a_failed_file_shows_why_and_imports_nothing(app, admin_client):
    response = upload(admin_client, b"ok@example.com\n\xff\xfe broken\n")
    assert "Line 2 is not UTF-8 text, so nothing was imported" in response.text
    assert re.search(r'href="/admin/subscribers/import">Try again', response.text)
    assert _subscriber_count(app) == 0
