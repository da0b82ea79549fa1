"""Tokened paths are redacted wherever the app logs them; the routes come from the URL map."""
import logging
import urllib.error
import urllib.request

from flask import Blueprint

from statusmail.log_redaction import PLACEHOLDER, TokenPathRedactor


def test_every_tokened_route_is_redacted_and_others_are_not(app):
    redactor = TokenPathRedactor(app.url_map)
    assert redactor.path("/confirm/abc.DEF-ghi_1") == f"/confirm/{PLACEHOLDER}"
    assert redactor.path("/unsubscribe/abc/one-click") == f"/unsubscribe/{PLACEHOLDER}/one-click"
    assert redactor.path("/admin/reset-password/abc") == f"/admin/reset-password/{PLACEHOLDER}"
    for untouched in ("/", "/admin/subscribers/12", "/static/style.css", "/confirm", "/nowhere/abc"):
        assert redactor.path(untouched) == untouched
    line = ('1.2.3.4 - - [t] "POST /manage/s3cr3t?x=/unsubscribe/t0k HTTP/1.1" 200 5 '
            '"https://status.example.com/confirm/r3f" "Mozilla/5.0 (X11)"')
    redacted = redactor.text(line)
    assert "s3cr3t" not in redacted and "t0k" not in redacted and "r3f" not in redacted
    assert f"https://status.example.com/confirm/{PLACEHOLDER}" in redacted
    assert '"Mozilla/5.0 (X11)"' in redacted


def test_a_new_tokened_route_is_covered_without_a_list(make_app):
    extra = Blueprint("extra", __name__)

    @extra.route("/invite/<token>/accept")
    def accept(token):
        return token

    app = make_app()
    app.register_blueprint(extra)
    assert TokenPathRedactor(app.url_map).path("/invite/xyz/accept") == f"/invite/{PLACEHOLDER}/accept"


def test_development_server_and_app_log_lines_are_redacted(live_app, caplog):
    caplog.set_level(logging.INFO)
    try:
        urllib.request.urlopen(f"{live_app.base_url}/manage/devserversecret", timeout=10).close()
    except urllib.error.HTTPError as answer:
        assert answer.code < 500
        answer.close()
    live_app.logger.error("Exception on %s [GET]", "/unsubscribe/appsecret")
    text = caplog.text
    assert "devserversecret" not in text and "appsecret" not in text
    assert f"/manage/{PLACEHOLDER}" in text and f"/unsubscribe/{PLACEHOLDER}" in text
