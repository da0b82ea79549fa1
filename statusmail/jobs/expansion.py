"""The expansion job: a notice's audience becomes delivery rows, a chunk at a time.

Takes the notification id alone; running it twice, or two at once, adds each delivery
once (see :mod:`statusmail.fanout.expand`).
"""
from ..fanout.expand import expand
from . import job


@job
def expand_audience(notification_id):
    return expand(notification_id)
