"""The seeded site both sweeps walk through, and browser contexts at a phone's size."""
import pytest

from tests.browser.seed import seed_site

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def seeded_site(live_app):
    """The live app with a row in every state a page can show; ``(app, seeded)``."""
    return live_app, seed_site(live_app)


@pytest.fixture
def new_page(chromium):
    """``new_page(**context_options)``: a page in a context of its own, closed afterwards."""
    contexts = []

    def factory(**options):
        context = chromium.new_context(**options)
        context.set_default_timeout(15000)
        contexts.append(context)
        return context.new_page()

    yield factory
    for context in contexts:
        context.close()
