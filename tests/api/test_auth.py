"""Bearer tokens: refused clearly when missing, wrong or revoked; stored only hashed;
rate limited per token."""
import hashlib

import pytest

from tests.api.conftest import ApiClient, make_token
from tests.support.web import submit


def _assert_json_error(response, status):
    assert response.status_code == status
    assert response.is_json and isinstance(response.json["error"], str) and response.json["error"]


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer "},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": "Bearer smk_not-a-real-token"},
])
def test_missing_or_wrong_token_is_401_json(client, data, headers):
    data.component("Website")
    response = client.get("/api/v1/components", headers=headers)
    _assert_json_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Website" not in response.text


def test_writes_without_token_change_nothing(client, data):
    component_id = data.component("Website")
    response = client.patch(f"/api/v1/components/{component_id}", json={"status": "major_outage"})
    _assert_json_error(response, 401)
    assert data.statuses() == {"Website": "operational"}


def test_revoked_token_is_refused(app, client, admin_client, data):
    token_id, plaintext = make_token(app)
    api = ApiClient(client, plaintext)
    assert api.get("/components").status_code == 200
    submit(admin_client, "/admin/api-tokens", {}, action=f"/admin/api-tokens/{token_id}/revoke")
    response = api.get("/components")
    _assert_json_error(response, 401)
    assert "revoked" in response.json["error"]


def test_token_is_shown_once_and_stored_hashed(app, admin_client):
    from statusmail.models import ApiToken
    response = submit(admin_client, "/admin/api-tokens", {"name": "deploy script"},
                      action="/admin/api-tokens/new")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    plaintext = response.text.split('id="new-token">')[1].split("</pre>")[0]
    assert plaintext.startswith("smk_") and len(plaintext) > 40

    with app.app_context():
        row = ApiToken.query.one()
        assert row.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
        assert plaintext not in (row.name, row.prefix, row.token_hash)
        assert plaintext.startswith(row.prefix)
    listing = admin_client.get("/admin/api-tokens").text
    assert "deploy script" in listing and row.prefix in listing and plaintext not in listing

    # It works, and its use is recorded.
    assert ApiClient(app.test_client(), plaintext).get("/components").status_code == 200
    with app.app_context():
        assert ApiToken.query.one().last_used_at is not None


def test_token_needs_a_name(admin_client, app):
    from statusmail.models import ApiToken
    response = submit(admin_client, "/admin/api-tokens", {"name": "  "},
                      action="/admin/api-tokens/new")
    assert "Give the token a name." in response.text
    with app.app_context():
        assert ApiToken.query.count() == 0


def test_rate_limit_per_token_answers_429_json(app):
    app.config["API_RATE_LIMIT"] = "3/minute"  # read per request, like the default
    first = ApiClient(app.test_client(), make_token(app, "one")[1])
    second = ApiClient(app.test_client(), make_token(app, "two")[1])
    statuses = [first.get("/components").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = first.get("/components")
    _assert_json_error(limited, 429)
    assert second.get("/components").status_code == 200  # another token has its own budget


def test_unknown_api_path_is_json_404(api):
    _assert_json_error(api.get("/nothing-here"), 404)


def test_only_a_refusal_carries_retry_after(app):
    """Successful answers say how much of the limit is left, never "retry after"."""
    app.config["API_RATE_LIMIT"] = "2/minute"
    client = ApiClient(app.test_client(), make_token(app, "one")[1])
    ok = client.get("/components")
    assert ok.status_code == 200 and "Retry-After" not in ok.headers
    assert ok.headers["X-RateLimit-Limit"] == "2" and ok.headers["X-RateLimit-Remaining"] == "1"
    client.get("/components")
    refused = client.get("/components")
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
