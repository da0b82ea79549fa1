"""RQ entry points: take ids, run in the worker's app context, safe to run twice."""
import functools

from ..extensions import db
from ..i18n import forget_locale


def job(func):
    """Leave no session state behind for the next job in the same worker, and read the
    language setting afresh for each job."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        forget_locale()
        try:
            return func(*args, **kwargs)
        finally:
            db.session.remove()
    return wrapper
