"""Counted nouns in English: "1 hour", "48 hours" (settings can make any count 1); and
the marker of words translated where they are shown."""


def N_(message):
    """Mark ``message`` for the catalogue (``pybabel extract`` knows ``N_``) without
    translating it here: labels kept in models are translated where a subscriber sees them
    (``gettext(label)`` or ``_(label)`` in a template)."""
    return message


def count_of(number, noun, plural=None):
    """``count_of(1, "hour")`` is "1 hour"; ``count_of(2, "hour")`` "2 hours"."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
