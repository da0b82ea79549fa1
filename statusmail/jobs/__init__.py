"""RQ entry points: take ids, run in the worker's app context, safe to run twice."""
import functools

from ..extensions import db


def job(func):
    """Leave no session state behind for the next job in the same worker."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        finally:
            db.session.remove()
    return wrapper
