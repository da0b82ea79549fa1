import pytest

from tests.status.support import StatusData


@pytest.fixture
def data(app):
    return StatusData(app)
