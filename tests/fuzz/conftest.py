"""The fuzz suite's app, world and settings.

Profiles (``HYPOTHESIS_PROFILE``): ``ci`` (default) — 100 cases per form and API route,
25 per page read, derandomised so that CI runs are repeatable; ``long`` — 2,000 and 300,
with fresh randomness each run. Rate limits are off here so that every case reaches the
form and service checks (the limits have their own tests).
"""
import os

import pytest
from hypothesis import HealthCheck, Phase, settings

from tests.support import web

from .catalogue import Catalogue
from .visitors import Visitor
from .world import World

PROFILES = {
    # No shrinking in CI: a failing case is reported as found, at once.
    "ci": {"writes": 100, "reads": 25, "derandomize": True, "shrink": False},
    "long": {"writes": 2000, "reads": 300, "derandomize": False, "shrink": True},
}


def profile():
    name = os.environ.get("HYPOTHESIS_PROFILE", "ci")
    if name not in PROFILES:
        raise pytest.UsageError(f"HYPOTHESIS_PROFILE must be one of {sorted(PROFILES)}")
    return PROFILES[name]


def fuzz_settings(kind):
    chosen = profile()
    phases = [phase for phase in Phase if chosen["shrink"] or phase is not Phase.shrink]
    return settings(max_examples=chosen[kind], derandomize=chosen["derandomize"],
                    phases=phases, report_multiple_bugs=False,
                    deadline=None, database=None, print_blob=False,
                    suppress_health_check=list(HealthCheck))


@pytest.fixture
def fuzz_app(make_app):
    unlimited = 10**9  # sign-in and reset throttles too: the fuzzer is one client
    return make_app(RATELIMIT_ENABLED=False, API_RATE_LIMIT="1000000/minute",
                    SIGNIN_FREE_FAILURES=unlimited, SIGNIN_CLIENT_FAILURES_PER_HOUR=unlimited,
                    RESET_REQUESTS_PER_PAIR=unlimited, RESET_REQUESTS_PER_CLIENT=unlimited,
                    RESET_MAILS_PER_ACCOUNT=unlimited)


@pytest.fixture
def world(fuzz_app):
    web.create_admin(fuzz_app)
    return World(fuzz_app).build()


@pytest.fixture
def visitors(fuzz_app, world):
    return {"admin": Visitor(fuzz_app, "admin"), "anonymous": Visitor(fuzz_app, "anonymous")}


@pytest.fixture
def catalogue(fuzz_app, world, visitors):
    return Catalogue(fuzz_app, world).crawl(
        {role: visitor.client for role, visitor in visitors.items()})
