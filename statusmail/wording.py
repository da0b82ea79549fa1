"""Counted nouns in English: "1 hour", "48 hours" (settings can make any count 1)."""


def count_of(number, noun, plural=None):
    """``count_of(1, "hour")`` is "1 hour"; ``count_of(2, "hour")`` "2 hours"."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
