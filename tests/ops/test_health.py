"""/healthz: database, Redis and a worker with a fresh heartbeat, for load balancers."""
import redis
from rq import SimpleWorker

from statusmail import QUEUE_NAMES
from statusmail.queues import get_queue, redis_connection
from tests.support.smtp import free_port


def _register_worker(app):
    """A real RQ worker's registration and heartbeat, as `flask worker` makes them."""
    with app.app_context():
        worker = SimpleWorker([get_queue(name) for name in QUEUE_NAMES],
                              connection=redis_connection())
        worker.register_birth()
        worker.heartbeat()
        return worker


def test_healthy_when_database_redis_and_a_worker_answer(app, client):
    _register_worker(app)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["checks"]["workers"] == {"ok": True, "alive": 1}
    assert response.headers["Cache-Control"] == "no-store"


def test_failing_without_a_worker(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    checks = response.json["checks"]
    assert checks["database"]["ok"] and checks["redis"]["ok"]
    assert checks["workers"]["ok"] is False and "heartbeat" in checks["workers"]["error"]


def test_failing_when_redis_goes_away(make_app, app):
    """Redis dies after start-up: the check says so instead of raising."""
    dead = make_app()
    dead.extensions["redis"] = redis.Redis(host="127.0.0.1", port=free_port(),
                                           socket_connect_timeout=0.5)
    response = dead.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["checks"]["redis"] == {"ok": False, "error": "redis unreachable"}
    assert response.json["checks"]["database"]["ok"] is True
    assert response.json["checks"]["workers"]["ok"] is False
