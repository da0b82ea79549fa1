"""Scheduled maintenance: plan a window, tell subscribers about it in the stages the
operator chose, and let the clock remind, start and complete it.

- :mod:`.windows` schedules, edits (a moved window is announced as rescheduled),
  starts, completes and cancels windows;
- :mod:`.stages` decides which stages mail and when the reminder is due;
- :mod:`.reminders` is the scheduler's task: remind, start and complete on time;
- :mod:`.updates` posts notes during a window ("taking longer", "verifying").

Every change of state is a conditional UPDATE, so two schedulers (or a scheduler and a
person) racing move a window, and announce it, once.
"""
from .reminders import advance_maintenance, send_due_reminders
from .stages import stage_defaults
from .updates import post_maintenance_update
from .windows import (
    ACTIVE_STATES, cancel_maintenance, complete_maintenance, edit_maintenance,
    schedule_maintenance, start_maintenance,
)

__all__ = ["ACTIVE_STATES", "advance_maintenance", "cancel_maintenance",
           "complete_maintenance", "edit_maintenance", "post_maintenance_update",
           "schedule_maintenance", "send_due_reminders", "stage_defaults",
           "start_maintenance"]
