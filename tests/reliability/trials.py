"""One trial per fault: publish a notice to every subscriber, hurt the system once at a
random moment, wait for the notice to complete, and count at the sink.

Recovery time: for a killed worker, from the kill until every delivery its batch still
held was offered again (released into a new job, or claimed, or finished); for the
other faults, from the fault's end until the notice completed.
"""
import threading
import time

from sqlalchemy import func, or_, select

from statusmail.embedded_redis import ensure_redis, stop_embedded_redis
from statusmail.extensions import db
from statusmail.models import Delivery, utcnow
from statusmail.queues import redis_connection
from tests.fanout.helpers import publish_incident
from tests.support import processes

from .sink import DROP


def _random_point(rig, rng):
    """Wait until a random share of the notice has reached the sink."""
    before = rig.sink.count()
    rig.wait_for_messages(before + rng.randrange(1, rig.settings.subscribers),
                          timeout=rig.completion_budget())


def _held_at(rig, delivery_ids):
    """Deliveries of a batch that its worker still owed: held, or waiting for its claim."""
    with rig.app.app_context():
        held = db.session.scalars(select(Delivery.id).where(
            Delivery.id.in_(delivery_ids),
            or_(Delivery.state == "sending",
                (Delivery.state == "queued") & Delivery.next_attempt_at.is_(None)))).all()
        db.session.remove()
    return held


def _wait_offered_again(rig, held, killed_at, timeout):
    """Seconds until no delivery the dead batch held is left untouched since the kill."""
    started = time.monotonic()

    def offered_again():
        with rig.app.app_context():
            untouched = db.session.scalar(select(func.count()).where(
                Delivery.id.in_(held), Delivery.state.in_(("queued", "sending")),
                Delivery.updated_at <= killed_at))
            db.session.remove()
        return untouched == 0
    processes.wait_until(offered_again, timeout=timeout, interval=0.05,
                         message="the dead worker's deliveries to be offered again")
    return time.monotonic() - started


def _kill_one_busy_worker(rig, rng):
    """SIGKILL a worker in the middle of a batch (any worker if none is busy); returns
    the seconds until its batch was offered again."""
    busy = [(name, batch) for name in rig.workers if (batch := rig.current_batch(name))]
    name, batch = rng.choice(busy) if busy else (rng.choice(list(rig.workers)), None)
    held = _held_at(rig, batch[1]) if batch else []
    killed_at = utcnow()
    rig.kill_worker(name)
    rig.start_worker()
    if not held:
        return 0.0
    return _wait_offered_again(rig, held, killed_at,
                               timeout=rig.settings.lease + rig.settings.tick + 30)


def worker_sigkill(rig, rng):
    notification = publish_incident(rig.app, title="Trial: worker killed")
    _random_point(rig, rng)
    recovery = _kill_one_busy_worker(rig, rng)
    rig.wait_completed([notification], rig.completion_budget())
    return rig.outcome("worker SIGKILL at a random point", [notification], 1, recovery)


def two_schedulers(rig, rng):
    """Two schedulers sweep at once while a worker dies mid-batch."""
    rig.start_scheduler()
    try:
        notification = publish_incident(rig.app, title="Trial: two schedulers")
        _random_point(rig, rng)
        recovery = _kill_one_busy_worker(rig, rng)
        rig.wait_completed([notification], rig.completion_budget())
    finally:
        processes.stop(rig.schedulers.pop())
    return rig.outcome("two schedulers at once (and a worker killed)", [notification], 1,
                       recovery)


def redis_flushall(rig, rng):
    notification = publish_incident(rig.app, title="Trial: Redis flushed")
    _random_point(rig, rng)
    with rig.app.app_context():
        redis_connection().flushall()
    flushed = time.monotonic()
    done = rig.wait_completed([notification], rig.completion_budget())
    return rig.outcome("Redis FLUSHALL mid-fan-out", [notification], 0, done - flushed)


def redis_restart(rig, rng):
    """Redis stops without saving and starts again (from its append-only file)."""
    notification = publish_incident(rig.app, title="Trial: Redis restarted")
    _random_point(rig, rng)
    with rig.app.app_context():
        socket_path = redis_connection().connection_pool.connection_kwargs["path"]
    directory = socket_path.rsplit("/", 1)[0]
    stop_embedded_redis(directory)
    ensure_redis("", directory, allow_embedded=True)
    restarted = time.monotonic()
    done = rig.wait_completed([notification], rig.completion_budget())
    return rig.outcome("Redis restarted mid-fan-out", [notification], 0, done - restarted)


def smtp_down(rig, rng):
    notification = publish_incident(rig.app, title="Trial: SMTP down")
    _random_point(rig, rng)
    rig.sink.stop()
    time.sleep(rig.settings.outage)  # the outage itself, not a wait for work
    rig.sink.start()
    back = time.monotonic()
    done = rig.wait_completed([notification], rig.completion_budget())
    return rig.outcome(f"SMTP down for {rig.settings.outage} s", [notification], 0, done - back)


def temporary_refusals(rig, rng):
    """421, 451 and 452 at DATA, one after the other, then the server accepts again."""
    start = rig.sink.data_seen + rng.randrange(1, max(2, rig.settings.subscribers - 2))
    replies = {start: "421 4.3.2 Service shutting down", start + 1: "451 4.3.0 Try again later",
               start + 2: "452 4.3.1 Insufficient storage"}
    rig.sink.fault = replies.get
    try:
        notification = publish_incident(rig.app, title="Trial: 421, 451, 452")
        processes.wait_until(lambda: rig.sink.data_seen >= start + 2, timeout=rig.completion_budget(),
                             message="the refusals to be given")
        refused = time.monotonic()
        done = rig.wait_completed([notification], rig.completion_budget())
    finally:
        rig.sink.fault = None
    return rig.outcome("421, 451, 452 then accept", [notification], 0, done - refused)


def dropped_mid_data(rig, rng):
    """The connection is cut before the server accepted the message."""
    cut = rig.sink.data_seen + rng.randrange(1, rig.settings.subscribers)
    rig.sink.fault = lambda number: DROP if number == cut else None
    try:
        notification = publish_incident(rig.app, title="Trial: dropped mid-DATA")
        processes.wait_until(lambda: rig.sink.data_seen >= cut, timeout=rig.completion_budget(),
                             message="the connection to be cut")
        dropped = time.monotonic()
        done = rig.wait_completed([notification], rig.completion_budget())
    finally:
        rig.sink.fault = None
    return rig.outcome("connection dropped mid-DATA", [notification], 0, done - dropped)


def concurrent_publishers(rig, rng, publishers=3):
    """Several operators publish at the same moment: every subscriber gets each notice once."""
    barrier, published, errors = threading.Barrier(publishers), [], []

    def publish(number):
        try:
            barrier.wait(10)
            published.append(publish_incident(rig.app, title=f"Trial: publisher {number}"))
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)
    threads = [threading.Thread(target=publish, args=(n,)) for n in range(publishers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    started = time.monotonic()
    done = rig.wait_completed(published, rig.completion_budget(publishers))
    return rig.outcome(f"{publishers} concurrent publishers", sorted(published), 0, done - started)


KILL_FAULTS = [worker_sigkill, two_schedulers]
OTHER_FAULTS = [redis_flushall, redis_restart, smtp_down, temporary_refusals, dropped_mid_data,
                concurrent_publishers]
