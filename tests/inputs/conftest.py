import pytest

from tests.api.conftest import ApiClient, make_token
from tests.status.support import StatusData


@pytest.fixture
def data(app):
    return StatusData(app)


@pytest.fixture
def api(app, client):
    return ApiClient(client, make_token(app)[1])
