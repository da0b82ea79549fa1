"""Files under ``instance/`` readable by the owner alone.

The instance directory holds the development secrets, the SQLite database and the
embedded Redis (socket, append-only file): anyone who can read them can sign links and
decrypt the SMTP password. The directory is 0700 and the files we create 0600, whatever
the process umask says.
"""
import os

from sqlalchemy.engine import make_url

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path):
    """Create ``path`` (and parents) if needed and make it 0700."""
    os.makedirs(path, mode=PRIVATE_DIR, exist_ok=True)
    if os.stat(path).st_mode & 0o777 != PRIVATE_DIR:
        os.chmod(path, PRIVATE_DIR)


def private_file(path):
    """Create ``path`` empty with mode 0600 unless it exists, and tighten it if it does."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        pass
    if os.stat(path).st_mode & 0o777 != PRIVATE_FILE:
        os.chmod(path, PRIVATE_FILE)


def prepare_sqlite_file(database_uri):
    """Create a SQLite database file 0600 before SQLAlchemy creates it with the umask's mode.

    SQLite gives its -wal and -shm files the database file's mode, so they follow.
    """
    url = make_url(database_uri)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:" \
            or url.database.startswith("file:"):
        return
    # A directory the operator chose is theirs to set; one we create is private.
    os.makedirs(os.path.dirname(os.path.abspath(url.database)), mode=PRIVATE_DIR, exist_ok=True)
    private_file(url.database)
