"""Fault trials, counted at the SMTP server: lost 0; re-sent at most the one message in
flight per killed process, with its original Message-ID; recovery within the lease.

CI-sized by default (a couple of hundred subscribers, one or two trials per fault, well
under two minutes). ``bench/reliability.py`` runs the long variant (10,000 subscribers,
20 worker kills, a minute of SMTP outage) on SQLite and PostgreSQL by setting the
``STATUSMAIL_RELIABILITY_*`` variables read in :class:`.rig.Settings`, and writes the
outcomes to ``STATUSMAIL_RELIABILITY_RESULTS`` (JSON lines) when that is set.
"""
import json
import os
import random

import pytest

from tests.fanout.helpers import add_subscribers, enable_notifications
from tests.support.web import use_smtp

from . import trials
from .rig import Rig, Settings
from .sink import CountingSink

SETTINGS = Settings.from_environment()


@pytest.fixture(scope="module")
def rig():
    """One world for every trial of the module: starting processes costs more than a trial.

    Each trial publishes notices of its own and counts only their messages.
    """
    from statusmail import create_app
    from tests.conftest import _clean
    app = create_app({"TESTING": True, **SETTINGS.app_config()})
    sink = CountingSink().start()
    use_smtp(app, sink)
    enable_notifications(app)
    add_subscribers(app, SETTINGS.subscribers, prefix="trial")
    rig = Rig(app, sink, SETTINGS)
    try:
        rig.start_worker()
        rig.start_worker()
        rig.start_scheduler()
        yield rig
    finally:
        rig.stop()
        sink.stop()
        _clean(app)
        app.extensions["redis"].close()


def _record(outcome):
    path = os.environ.get("STATUSMAIL_RELIABILITY_RESULTS")
    if path:
        with open(path, "a", encoding="utf-8") as results:
            results.write(json.dumps(outcome.as_dict()) + "\n")


def _run(rig, fault, trial_count):
    rng = random.Random(os.environ.get("STATUSMAIL_RELIABILITY_SEED", fault.__name__))
    for _ in range(trial_count):
        outcome = fault(rig, rng)
        _record(outcome)
        assert outcome.problems() == [], outcome
        yield outcome


@pytest.mark.parametrize("fault", trials.KILL_FAULTS, ids=lambda fault: fault.__name__)
def test_a_killed_worker_loses_nothing_and_is_recovered_within_the_lease(rig, fault):
    count = SETTINGS.kill_trials if fault is trials.worker_sigkill else SETTINGS.trials
    for outcome in _run(rig, fault, count):
        # Offered again within the lease and a sweeper tick (and the poll that saw it).
        assert outcome.recovery_seconds <= SETTINGS.lease + SETTINGS.tick + 2, outcome


@pytest.mark.parametrize("fault", trials.OTHER_FAULTS, ids=lambda fault: fault.__name__)
def test_a_fault_loses_nothing_and_sends_nothing_twice(rig, fault):
    for outcome in _run(rig, fault, SETTINGS.trials):
        assert outcome.duplicates == 0, outcome
