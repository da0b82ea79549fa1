"""The RQ worker the ``worker`` command runs: a SimpleWorker that survives Redis forgetting it.

RQ registers a worker once, at birth; its heartbeat only refreshes the record. After a
FLUSHALL (or a Redis restarted without its data) the record and the set of workers are
gone, the heartbeat recreates a stub nobody lists, and the admin says "no worker is
running" while mail flows. This worker checks at each heartbeat that it is still
listed and registers again when it is not.

A Redis restarted from its append-only file brings back the record of a worker that
was running when it stopped; the ``worker`` command then starts this process's worker
again under the same ``--name`` and RQ would refuse it as a duplicate, so a record left
by this very process is taken over.
"""
import os

from rq import SimpleWorker, worker_registration


class MailWorker(SimpleWorker):
    def register_birth(self):
        record = self.connection.hmget(self.key, ["pid", "hostname"])
        if record[0] is not None and (int(record[0]), record[1].decode()) == (os.getpid(),
                                                                              self.hostname):
            self.connection.delete(self.key)
        super().register_birth()

    def heartbeat(self, timeout=None, pipeline=None):
        super().heartbeat(timeout, pipeline)
        if not self.connection.sismember(self.redis_workers_keys, self.key):
            self.register_again(timeout or self.worker_ttl + 60)

    def register_again(self, ttl):
        """What ``register_birth`` writes, without its refusal of an existing key."""
        self.log.warning("Worker %s: its registration vanished from Redis; registering again.",
                         self.name)
        with self.connection.pipeline() as pipeline:
            pipeline.hset(self.key, mapping=self.serialize())
            self.set_state(self.get_state(), pipeline=pipeline)
            worker_registration.register(self, pipeline)
            pipeline.expire(self.key, ttl)
            pipeline.execute()
