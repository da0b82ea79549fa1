""""Who will get this?" — the audience a notice would have, stated before it is sent.

Views show it next to every button that can send a notice; the figures come from
:func:`statusmail.fanout.audience.measure`, which counts with the clause the fan-out
inserts deliveries with.
"""
from dataclasses import dataclass

from ..fanout.audience import AudienceSize, measure
from ..models import SiteSettings
from ..models.notifications import EVENT_KINDS

MAX_COMPONENTS = 500  # more ids than any status page has components: the request is junk


class AudienceQueryError(ValueError):
    """A preview asked about an unknown kind or with malformed component ids."""


@dataclass(frozen=True)
class AudiencePreview:
    size: AudienceSize
    notifications_enabled: bool

    def sentence(self):
        if not self.notifications_enabled:
            return ("Email notifications are off (see Overview): nobody will be mailed. "
                    "With them on: " + self.size.summary().replace("This notifies",
                                                                    "this would notify")
                    + ".")
        return self.size.summary() + "."

    def as_json(self):
        return {**self.size.as_json(), "notifications_enabled": self.notifications_enabled,
                "sentence": self.sentence()}


def preview(kind, component_ids=()):
    if kind not in EVENT_KINDS:
        raise AudienceQueryError(f"Unknown notice kind {kind!r}.")
    return AudiencePreview(measure(kind, list(component_ids)),
                           bool(SiteSettings.get().notifications_enabled))


def parse_component_ids(values):
    """Component ids from a query string: whole numbers, at most ``MAX_COMPONENTS``."""
    if len(values) > MAX_COMPONENTS:
        raise AudienceQueryError(f"At most {MAX_COMPONENTS} components.")
    ids = []
    for value in values:
        if not value.isdigit() or len(value) > 18:
            raise AudienceQueryError(f"Component ids are whole numbers, not {value[:40]!r}.")
        ids.append(int(value))
    return ids


# What each stage switch of a window is called on the page, in the order they happen.
MAINTENANCE_STAGES = ("scheduled", "reminder", "started", "completed")
# Stages still to come: a new window has all four; an edited one is announced already,
# a running one has only its completion left.
STAGES_AHEAD = {"new": MAINTENANCE_STAGES, "scheduled": MAINTENANCE_STAGES[1:],
                "in_progress": ("completed",)}


@dataclass(frozen=True)
class StagesPreview:
    """Who gets which notice of a maintenance window, given its switches.

    Every maintenance notice has the same audience clause (the maintenance family and
    the window's components, :func:`statusmail.fanout.audience.audience_condition`), so
    one count states it for each stage; the switches decide which stages send.
    """
    preview: AudiencePreview
    notify: bool
    sending: tuple
    silent: tuple
    reminder_minutes: int

    def _label(self, stage):
        if stage == "reminder":
            return (f"the reminder ({self.reminder_minutes:,} minute"
                    f"{'' if self.reminder_minutes == 1 else 's'} before the start)")
        return {"scheduled": "the announcement (on saving)", "started": "the start",
                "completed": "the completion"}[stage]

    def sentence(self):
        if not self.notify:
            return "Nobody will be mailed at any stage: \u201cNotify subscribers\u201d is off."
        if not self.sending:
            return "No stage of this window mails anyone: every stage\u2019s switch is off."
        mailed = [self._label(stage) for stage in self.sending]
        text = (f"This notifies {self.preview.size.counted()} at "
                f"{'each of ' if len(mailed) > 1 else ''}{_and_list(mailed)}.")
        if self.silent:
            text += f" No mail at {_and_list([self._label(s) for s in self.silent])}."
        if not self.preview.notifications_enabled:
            text = ("Email notifications are off (see Overview): nobody will be mailed. "
                    "With them on: " + text.replace("This notifies", "this would notify", 1))
        return text

    def as_json(self):
        return {**self.preview.as_json(), "sentence": self.sentence(),
                "stages": list(self.sending), "silent_stages": list(self.silent)}


def maintenance_stages_preview(component_ids, *, notify, switched_on, reminder_minutes,
                               window="new"):
    """``switched_on``: the stage names whose switch is on; ``window``: "new", or the
    status of the window being edited."""
    if window not in STAGES_AHEAD:
        raise AudienceQueryError(f"Unknown window state {window!r}.")
    ahead = STAGES_AHEAD[window]
    wanted = {stage for stage in switched_on if stage in MAINTENANCE_STAGES}
    if not reminder_minutes:
        wanted.discard("reminder")
    return StagesPreview(
        preview("maintenance_scheduled", component_ids), notify=bool(notify),
        sending=tuple(stage for stage in ahead if stage in wanted),
        silent=tuple(stage for stage in ahead if stage not in wanted),
        reminder_minutes=reminder_minutes or 0)


def _and_list(words):
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else "".join(words)
