"""Where transfer files live: instance/transfers/, owner-only, under random names."""
import os
import secrets

from flask import current_app

KEEP_HOURS = 24  # exports and uploads are deleted a day after they finished


def directory():
    path = os.path.join(current_app.instance_path, "transfers")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def new_name(suffix):
    return secrets.token_hex(16) + suffix


def path_of(file_name):
    # Names are ours (hex + suffix), never the operator's: no path can escape the folder.
    return os.path.join(directory(), os.path.basename(file_name))


def open_new(file_name):
    """A file only this user may read, created fresh (an existing one is truncated)."""
    fd = os.open(path_of(file_name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(fd, "wb")


def remove(file_name):
    if file_name:
        try:
            os.remove(path_of(file_name))
        except FileNotFoundError:
            pass
