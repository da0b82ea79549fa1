"""A batch's outcomes do not depend on whether the server takes pipelined commands.

One batch meets each refusal a pipelined envelope can bring back (a refused and a
greylisted recipient, a message refused after its data) among accepted ones, sent by a
real RQ worker to a server that offers PIPELINING and to one that does not.
"""
import pytest
from sqlalchemy import select

from statusmail.extensions import db
from statusmail.models import Delivery, Subscriber
from tests.support.web import use_smtp

from .helpers import add_subscribers, delivery_states, enable_notifications, publish_incident


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelining", "one-at-a-time"])
def test_each_refusal_decides_only_its_own_delivery(app, smtp_server, run_jobs, pipelining):
    server = smtp_server(pipelining=pipelining)
    use_smtp(app, server)
    enable_notifications(app)
    spam, *good = add_subscribers(app, 4)
    (gone,) = add_subscribers(app, 1, prefix="gone")
    (busy,) = add_subscribers(app, 1, prefix="busy")
    server.rcpt_replies[gone] = "550 5.1.1 No such user"
    server.rcpt_replies[busy] = "451 4.7.1 Greylisted"
    server.data_replies_for[spam] = "554 5.6.0 Looks like spam"

    notification = publish_incident(app)
    run_jobs()

    assert delivery_states(app, notification) == {"sent": 3, "failed": 2, "queued": 1}
    with app.app_context():
        rows = {email: (state, code, message_id, bounces) for email, state, code, message_id,
                bounces in db.session.execute(
                    select(Subscriber.email, Delivery.state, Delivery.smtp_code,
                           Delivery.message_id, Subscriber.bounce_count)
                    .join(Subscriber, Subscriber.id == Delivery.subscriber_id))}
    assert rows[gone][:2] == ("failed", 550) and rows[gone][3] == 1
    assert rows[spam][:2] == ("failed", 554) and rows[spam][3] == 0
    assert rows[busy][:2] == ("queued", 451)
    # Every accepted message arrived once, and its delivery records its Message-ID.
    received = {m.to: m.message["Message-ID"] for m in server.messages}
    assert len(server.messages) == 3 and sorted(received) == sorted(good)
    assert all(rows[email] == ("sent", 250, received[email], 0) for email in good)
