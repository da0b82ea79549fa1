"""Configuration errors stop every process with the message alone: real processes, as the
Procfile starts them."""
import os
import subprocess
import sys

import pytest

from statusmail.config import ConfigError, load_config
from statusmail.startup import CONFIG_ERROR_EXIT
from tests.support.gunicorn import start_web, stop_web
from tests.support.processes import PROJECT_ROOT

BAD_SMTP_URL = {"STATUSMAIL_SMTP_URL": "smtp+tls://mail.example.com:notaport",
                "STATUSMAIL_MAIL_FROM": "status@example.com"}
PRODUCTION = {"STATUSMAIL_ENV": "production"}
CASES = {
    "bad SMTP URL": (BAD_SMTP_URL, "STATUSMAIL_SMTP_URL"),
    "missing production secret": ({**PRODUCTION, "SECRET_KEY": ""}, "needs SECRET_KEY"),
    "short SECRET_KEY": ({**PRODUCTION, "SECRET_KEY": "too-short"}, "at least 32"),
}


def _flask(args, env):
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args],
                          cwd=PROJECT_ROOT, env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=60)


def _assert_message_alone(output, expected):
    assert expected in output, output
    assert "Traceback" not in output, output
    assert "statusmail: configuration error:" in output, output


@pytest.mark.parametrize("command", [["apply-mail-env"], ["worker", "--burst"], ["scheduler", "--once"],
                                     ["rotate-encryption-key"], ["backfill-deliverability"]])
@pytest.mark.parametrize("case", sorted(CASES))
def test_flask_commands_print_the_message_alone(command, case):
    env, expected = CASES[case]
    result = _flask(command, env)
    assert result.returncode == CONFIG_ERROR_EXIT, (result.returncode, result.stderr)
    _assert_message_alone(result.stderr, expected)
    assert result.stdout == ""


@pytest.mark.parametrize("case", sorted(CASES))
def test_gunicorn_stops_with_the_message_alone(case, tmp_path):
    env, expected = CASES[case]
    web = start_web(env=env, log_dir=str(tmp_path))
    try:
        assert web.process.wait(60) == CONFIG_ERROR_EXIT
    finally:
        stop_web(web)
    _assert_message_alone(web.log(), expected)
    assert "Listening at" not in web.log()


def test_production_refuses_a_short_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("STATUSMAIL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 31)
    with pytest.raises(ConfigError, match="31 bytes; production needs at least 32"):
        load_config(str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "é" * 16)  # 32 bytes in UTF-8
    assert load_config(str(tmp_path))["SECRET_KEY"] == "é" * 16


def test_an_encryption_key_that_is_not_fernet_is_a_config_error(monkeypatch, tmp_path):
    from cryptography.fernet import Fernet
    monkeypatch.setenv("STATUSMAIL_ENCRYPTION_KEY", Fernet.generate_key().decode() + ",not-a-key")
    with pytest.raises(ConfigError, match="key 2 of 2 is not a Fernet key"):
        load_config(str(tmp_path))
