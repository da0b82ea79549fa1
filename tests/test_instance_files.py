"""Everything under instance/ is the owner's alone: secrets, SQLite, the embedded Redis."""
import os
import stat

import pytest

from statusmail.embedded_redis import ensure_redis, stop_embedded_redis


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    """A umask that would leave files world-readable: the modes must not depend on it."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_development_instance_is_private(monkeypatch, tmp_path, open_umask):
    instance = tmp_path / "instance"
    monkeypatch.setenv("STATUSMAIL_ENV", "development")
    monkeypatch.setenv("STATUSMAIL_INSTANCE_PATH", str(instance))
    monkeypatch.delenv("SECRET_KEY")
    monkeypatch.delenv("STATUSMAIL_ENCRYPTION_KEY")
    database = instance / "statusmail.sqlite3"
    from statusmail import create_app
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"})
    try:
        from statusmail.extensions import db
        with app.app_context():
            db.create_all()
            db.session.execute(db.text("SELECT 1"))
    finally:
        app.extensions["redis"].close()
    assert _mode(instance) == 0o700
    assert _mode(instance / "secrets.json") == 0o600
    assert _mode(database) == 0o600
    for sidecar in ("-wal", "-shm"):
        if os.path.exists(f"{database}{sidecar}"):
            assert _mode(f"{database}{sidecar}") == 0o600, sidecar


def test_existing_loose_instance_is_tightened(monkeypatch, tmp_path, open_umask):
    from statusmail.config import load_config
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    secrets_file = instance / "secrets.json"
    secrets_file.write_text("{}")
    secrets_file.chmod(0o644)
    monkeypatch.delenv("SECRET_KEY")
    load_config(str(instance))
    assert _mode(instance) == 0o700 and _mode(secrets_file) == 0o600


def test_embedded_redis_files_are_private(tmp_path, open_umask):
    directory = tmp_path / "redis"
    url = ensure_redis("", str(directory), allow_embedded=True)
    try:
        assert url.startswith("unix://")
        assert _mode(directory) == 0o700
        entries = [os.path.join(root, name) for root, dirs, files in os.walk(directory)
                   for name in dirs + files]
        assert any(entry.endswith("redis.sock") for entry in entries)
        assert any("appendonly" in entry for entry in entries)
        for entry in entries:
            assert _mode(entry) & 0o077 == 0, (entry, oct(_mode(entry)))
    finally:
        stop_embedded_redis(str(directory))
