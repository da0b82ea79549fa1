"""rq-dashboard under /admin/rq: behind the admin login, and its state-changing requests
accepted only from our own pages (it has no CSRF tokens, and one GET requeues jobs)."""
import pytest
from flask import url_for
from rq import Queue

from tests.support import web

SAME_ORIGIN = "http://localhost"
FOREIGN = "https://evil.example"
DASHBOARD_PAGES = [
    "/admin/rq/",
    "/admin/rq/0/view/workers",
    "/admin/rq/0/view/jobs",
    "/admin/rq/0/view/jobs/fanout/failed/8/asc/1",
    "/admin/rq/0/data/queues.json",
    "/admin/rq/0/data/workers.json",
    "/admin/rq/0/data/jobs/fanout/failed/8/asc/1.json",
]


def explode():
    raise RuntimeError("this job fails on purpose")


@pytest.fixture
def failed_job(app):
    """A job that really ran and failed, so it sits in the fanout queue's failed registry."""
    from statusmail.queues import get_queue
    with app.app_context():
        job = get_queue("fanout").enqueue(explode)
    web.drain_queues(app)
    assert job.id in _failed_ids(app)
    return job.id


def _queue(app, name="fanout"):
    return Queue(name, connection=app.extensions["redis"])


def _failed_ids(app):
    return _queue(app).failed_job_registry.get_job_ids()


def _dashboard_urls(app):
    """(url, method) for every dashboard endpoint, built the way the dashboard links them."""
    values = {"instance_number": 0, "queue_name": "fanout", "registry_name": "failed",
              "job_id": "x", "per_page": 8, "order": "asc", "page": 1, "filename": "x.css"}
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith("rq_dashboard."):
                url = url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    yield url, method


def test_every_dashboard_url_needs_login(app, client):
    urls = set(_dashboard_urls(app))
    assert len(urls) > 10
    for url, method in urls:
        response = client.open(url, method=method, headers={"Referer": SAME_ORIGIN + "/"})
        assert response.status_code == 302, (url, method, response.status_code)
        assert "/admin/login" in response.headers["Location"], (url, method)


def test_logged_out_requeue_changes_nothing(app, client, failed_job):
    response = client.get("/admin/rq/requeue/fanout", headers={"Referer": SAME_ORIGIN + "/"})
    assert response.status_code == 302
    assert failed_job in _failed_ids(app)


def test_dashboard_pages_load_and_show_the_queues(app, admin_client, failed_job):
    for url in DASHBOARD_PAGES:
        response = admin_client.get(url, follow_redirects=True)  # the Jobs tab picks a queue
        assert response.status_code == 200, (url, response.status_code)
    queues = admin_client.get("/admin/rq/0/data/queues.json").json["queues"]
    names = {queue["name"] for queue in queues}
    assert "fanout" in names
    failed = admin_client.get("/admin/rq/0/data/jobs/fanout/failed/8/asc/1.json").json
    assert [job["id"] for job in failed["jobs"]] == [failed_job]
    assert 'value="fanout"' in admin_client.get("/admin/rq/0/view/jobs",
                                                follow_redirects=True).text


@pytest.mark.parametrize("headers", [
    {},
    {"Referer": FOREIGN + "/admin/rq/"},
    {"Origin": FOREIGN},
    {"Origin": "null"},
    {"Origin": FOREIGN, "Referer": SAME_ORIGIN + "/admin/rq/"},
    {"Referer": "http://localhost.evil.example/admin/rq/"},
    {"Referer": "https://localhost/admin/rq/"},
], ids=["none", "foreign-referer", "foreign-origin", "null-origin", "origin-wins",
        "lookalike-host", "other-scheme"])
def test_cross_site_requeue_get_is_refused(app, admin_client, failed_job, headers):
    response = admin_client.get("/admin/rq/requeue/fanout", headers=headers)
    assert response.status_code == 403
    assert failed_job in _failed_ids(app)
    assert failed_job not in _queue(app).job_ids


def test_same_origin_requeue_works(app, admin_client, failed_job):
    response = admin_client.get("/admin/rq/requeue/fanout",
                                headers={"Referer": SAME_ORIGIN + "/admin/rq/0/view/jobs"})
    assert response.status_code == 200
    assert response.json == {"status": "OK", "count": 1}
    assert failed_job not in _failed_ids(app)
    assert failed_job in _queue(app).job_ids


@pytest.mark.parametrize("path", [
    "/admin/rq/requeue/fanout",
    "/admin/rq/job/{job}/requeue",
    "/admin/rq/job/{job}/delete",
    "/admin/rq/queue/fanout/failed/empty",
    "/admin/rq/queue/fanout/compact",
])
def test_foreign_posts_are_refused(app, admin_client, failed_job, path):
    url = path.format(job=failed_job)
    for headers in ({"Origin": FOREIGN}, {"Referer": FOREIGN + "/"}, {}):
        assert admin_client.post(url, headers=headers).status_code == 403, (url, headers)
    assert failed_job in _failed_ids(app)


def test_same_origin_post_works(app, admin_client, failed_job):
    response = admin_client.post(f"/admin/rq/job/{failed_job}/requeue",
                                 headers={"Origin": SAME_ORIGIN})
    assert response.status_code == 200
    assert failed_job in _queue(app).job_ids


def test_compact_on_an_empty_queue_is_a_no_op(app, admin_client):
    """rq's compact RENAMEs the queue key, which Redis refuses when the queue is empty."""
    assert _queue(app).count == 0
    response = admin_client.post("/admin/rq/queue/fanout/compact",
                                 headers={"Origin": SAME_ORIGIN})
    assert response.status_code == 200
    assert response.get_json() == {"status": "OK"}


@pytest.mark.parametrize("path, status", [
    ("/admin/rq/7/view/queues", 404),                           # no such Redis instance
    ("/admin/rq/0/data/job/no-such-job.json", 404),
    ("/admin/rq/0/view/job/no-such-job", 404),
    ("/admin/rq/0/data/jobs/fanout/failed/8/asc/abc.json", 400),  # page is not a number
    ("/admin/rq/0/data/jobs/fanout/nonsense/8/asc/1.json", 404),  # no such registry
])
def test_bad_dashboard_requests_get_a_4xx(admin_client, path, status):
    response = admin_client.get(path)
    assert response.status_code == status
    assert response.get_json()["error"]


def test_every_dashboard_page_links_back_to_the_admin(admin_client):
    for url in ("/admin/rq/", "/admin/rq/0/view/workers",
                "/admin/rq/0/view/jobs/fanout/queued/8/asc/1"):
        page = admin_client.get(url).text
        assert 'href="/admin/" id="back-to-admin"' in page, url


def test_the_dashboard_opens_on_the_apps_queues(app, admin_client):
    """A fresh Redis: no job ever queued, still our three queues and no "default"."""
    queues = admin_client.get("/admin/rq/0/data/queues.json").json["queues"]
    assert sorted(queue["name"] for queue in queues) == ["bulk", "fanout", "outbound"]
    jobs = admin_client.get("/admin/rq/0/view/jobs")
    assert jobs.status_code == 302
    assert jobs.headers["Location"] == "/admin/rq/0/view/jobs/outbound/queued/8/asc/1"
    page = admin_client.get(jobs.headers["Location"]).text
    assert 'id="select-queue" title="Queue name" value="outbound"' in page
    assert "<strong>outbound</strong>" in page and "<strong>default</strong>" not in page


def test_the_jobs_tab_opens_on_the_queue_with_work_waiting(app, admin_client):
    from statusmail.queues import get_queue
    with app.app_context():
        get_queue("fanout").enqueue(explode)
    jobs = admin_client.get("/admin/rq/0/view/jobs")
    assert jobs.headers["Location"] == "/admin/rq/0/view/jobs/fanout/queued/8/asc/1"
