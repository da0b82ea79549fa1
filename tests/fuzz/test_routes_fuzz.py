"""Hypothesis against every route the app serves (found in ``app.url_map``): every form
endpoint as the logged-in admin or a visitor with a valid CSRF token, every API endpoint
with a valid bearer token, and every page read with hostile query strings.

Each must answer below 500 and leave the database consistent (see consistency.py);
jobs the fuzzed input queued must then run without crashing.
"""
import pytest
from rq.registry import FailedJobRegistry

from statusmail import QUEUE_NAMES
from tests.support import web

from . import consistency
from .conftest import fuzz_settings
from .requests_ import (
    api_request, form_request, json_samples, learn_api_fields, read_request,
)
from .runner import fuzz_routes


def _assert_clean(failures, counts):
    print(f"answers by class: {dict(sorted(counts.items()))}")
    assert not failures, f"{len(failures)} route(s) failed:\n\n" + "\n\n".join(failures)


# The form routes are fuzzed in shards (every route in exactly one), so that a parallel
# run (bin/test runs pytest-xdist) spreads the longest test over its processes.
FORM_SHARDS = 4


@pytest.mark.parametrize("shard", range(FORM_SHARDS))
def test_every_form_endpoint(fuzz_app, world, visitors, catalogue, shard):
    every = catalogue.state_changing(api=False)
    assert any(route.forms for route in every), "the crawl found no forms"
    routes = sorted(every, key=lambda route: route.key)[shard::FORM_SHARDS]
    assert routes, "a shard with no routes"
    counts = {}
    failures = fuzz_routes(
        fuzz_app, routes, fuzz_settings("writes"),
        lambda data, route: form_request(data, route, visitors[route.client_role], world),
        lambda route: visitors[route.client_role], counts)
    failures += _jobs_run_cleanly(fuzz_app)
    _assert_clean(failures, counts)


def test_every_api_endpoint(fuzz_app, world, visitors, catalogue):
    admin = visitors["admin"]
    samples = {}
    for route in catalogue.readable():
        if route.is_api:
            response = admin.client.get(catalogue.sample_path(route), headers={
                "Authorization": f"Bearer {world.api_token}"})
            json_samples(response.get_json(silent=True), samples)
    routes = [route for route in catalogue.routes.values() if route.is_api]
    fields = {route.key: learn_api_fields(admin.client, route, catalogue.sample_path(route),
                                           world.api_token) for route in routes}
    assert any(fields.values()), "no API route told which fields it takes"
    counts = {}
    failures = fuzz_routes(
        fuzz_app, routes, fuzz_settings("writes"),
        lambda data, route: api_request(data, route, world, fields[route.key], samples),
        lambda route: admin, counts)
    failures += _jobs_run_cleanly(fuzz_app)
    _assert_clean(failures, counts)


def test_every_page_read(fuzz_app, world, visitors, catalogue):
    counts = {}
    failures = fuzz_routes(
        fuzz_app, catalogue.readable(), fuzz_settings("reads"),
        lambda data, route: read_request(data, route, world),
        lambda route: visitors["admin"], counts)
    _assert_clean(failures, counts)


def _jobs_run_cleanly(app):
    """Run what the fuzzed input queued (mail captured, not sent) and report crashes."""
    from statusmail.extensions import db
    from statusmail.models import SiteSettings
    from statusmail.queues import get_queue
    with app.app_context():
        settings = SiteSettings.get()
        settings.provider, settings.provider_failure = "capture", None
        settings.rate_per_second = settings.rate_per_day = None
        db.session.commit()
    web.drain_queues(app)
    failures = []
    with app.app_context():
        for name in QUEUE_NAMES:
            registry = FailedJobRegistry(queue=get_queue(name))
            for job in registry.get_job_ids():
                failures.append(f"job {job} on {name} failed: "
                                + str(registry.connection.hget(f"rq:job:{job}", "exc_info"))[-800:])
    found = consistency.problems(app)
    if found:
        failures.append("after running the jobs: " + "; ".join(found[:10]))
    return failures
