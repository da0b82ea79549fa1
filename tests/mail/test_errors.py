"""Diagnoses survive being stored as one line; every one has a title and a hint."""
import pytest

from statusmail.config import ConfigError, load_config
from statusmail.mail import errors


def test_every_diagnosis_has_a_hint():
    assert set(errors.HINTS) == set(errors.DIAGNOSES)


@pytest.mark.parametrize("error, detail, reply", [
    (errors.SmtpAuthError("x:1 rejected the login (really)", 535, "5.7.8 Bad (creds)"),
     "x:1 rejected the login (really)", "5.7.8 Bad (creds)"),
    (errors.SmtpAuthError("no reply text", 535), "no reply text", ""),
    (errors.DnsError("cannot resolve 'a.invalid'"), "cannot resolve 'a.invalid'", None),
])
def test_split_description_undoes_describe(error, detail, reply):
    stored = error.describe()
    assert errors.split_description(stored, error.diagnosis, error.code) == (detail, reply)


def test_a_missing_ca_file_stops_start_up(monkeypatch, tmp_path):
    monkeypatch.setenv("STATUSMAIL_SMTP_CA_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(ConfigError, match="STATUSMAIL_SMTP_CA_FILE"):
        load_config(str(tmp_path))
