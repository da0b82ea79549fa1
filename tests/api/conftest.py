import pytest

from tests.status.support import StatusData


class ApiClient:
    """The test client, sending a bearer token and JSON."""

    def __init__(self, client, token):
        self.client, self.token = client, token

    def call(self, method, path, json=None, **kwargs):
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.client.open("/api/v1" + path, method=method, json=json, headers=headers,
                                **kwargs)

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path, json=None, **kwargs):
        return self.call("POST", path, json, **kwargs)

    def patch(self, path, json=None, **kwargs):
        return self.call("PATCH", path, json, **kwargs)


def make_token(app, name="monitoring"):
    from statusmail.services.api_tokens import create_api_token
    with app.app_context():
        row, plaintext = create_api_token(name)
        return row.id, plaintext


@pytest.fixture
def api(app, client):
    return ApiClient(client, make_token(app)[1])


@pytest.fixture
def data(app):
    return StatusData(app)
