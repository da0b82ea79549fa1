"""/metrics: what Prometheus scrapes, read from a real fan-out through a real worker."""
from prometheus_client.parser import text_string_to_metric_families

from tests.fanout.helpers import add_subscribers, enable_notifications, publish_incident
from tests.support.sql import recording_statements


def _samples(response):
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/plain"
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples}


def test_a_fanout_shows_in_the_metrics(app, client, smtp, run_jobs):
    enable_notifications(app)
    add_subscribers(app, 7)
    publish_incident(app)
    before = _samples(client.get("/metrics"))
    assert before[("statusmail_deliveries", (("state", "queued"),))] == 7
    assert before[("statusmail_queue_depth", (("queue", "fanout"),))] >= 1
    assert before[("statusmail_oldest_queued_delivery_age_seconds", ())] >= 0

    run_jobs()
    after = _samples(client.get("/metrics"))
    assert after[("statusmail_messages_sent_total", (("provider", "smtp"),))] == 7
    assert after[("statusmail_deliveries", (("state", "queued"),))] == 0
    assert after[("statusmail_queue_depth", (("queue", "fanout"),))] == 0
    assert after[("statusmail_redis_up", ())] == 1
    assert len(smtp.messages) == 7


def test_only_loopback_without_a_token(client):
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 404


def test_a_token_when_configured(make_app):
    client = make_app(METRICS_TOKEN="s3cret-token").test_client()
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=remote).status_code == 404
    assert client.get("/metrics", environ_base=remote,
                      headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert client.get("/metrics", environ_base=remote,
                      headers={"Authorization": "Bearer s3cret-token"}).status_code == 200


def _scrape_statements(app, client):
    client.get("/metrics")  # the first scrape may warm caches: record the second
    with recording_statements(app) as statements:
        samples = _samples(client.get("/metrics"))
    return samples, statements


def test_a_scrape_reads_maintained_counts_and_asks_the_same_at_any_list_size(app, client):
    enable_notifications(app)
    add_subscribers(app, 5, prefix="few")
    publish_incident(app, title="Small")
    small, small_statements = _scrape_statements(app, client)
    add_subscribers(app, 120, prefix="many", status="pending")
    add_subscribers(app, 120, prefix="more")
    publish_incident(app, title="Large")
    large, large_statements = _scrape_statements(app, client)

    assert small[("statusmail_deliveries", (("state", "queued"),))] == 5
    assert large[("statusmail_deliveries", (("state", "queued"),))] == 5 + 125
    assert large[("statusmail_subscribers", (("status", "pending"),))] == 120
    assert large[("statusmail_subscribers", (("status", "confirmed"),))] == 125
    assert len(small_statements) == len(large_statements), (small_statements, large_statements)
    grouping_rows = [statement for statement in large_statements
                     if "GROUP BY" in statement.upper()
                     and any(f"FROM {table} " in statement + " "
                             for table in ("deliveries", "subscribers"))]
    assert grouping_rows == [], "a scrape must not count deliveries or subscribers row by row"
