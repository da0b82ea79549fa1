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
