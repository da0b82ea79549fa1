"""Fixtures for the subscriber-flow tests."""
import pytest

from tests.public.support import Subscribers


@pytest.fixture
def subscribers(app):
    return Subscribers(app)
