"""Field checks every form shares, so that admin and public forms hold one rule each.

- :class:`PlainText`: the control-character rule of ``services.text_validation``.
- :class:`WholeNumberField`: an integer that fits the column it is saved to. WTForms'
  ``IntegerField`` takes any number of digits, and a number past 64 bits makes SQLite
  raise ``OverflowError`` and PostgreSQL "integer out of range" — a 500 instead of a
  message.
"""
from wtforms import IntegerField
from wtforms.validators import ValidationError

from .models import INTEGER_MAX
from .services.text_validation import text_problem


class PlainText:
    """Refuse control characters; ``multi_line`` allows line breaks and tabs."""

    def __init__(self, multi_line=False):
        self.multi_line = multi_line

    def __call__(self, form, field):
        problem = text_problem(field.data, self.multi_line)
        if problem:
            raise ValidationError(problem)


class WholeNumberField(IntegerField):
    """Blank means "no value", junk and out-of-range numbers get a plain message.

    The bounds default to what an INTEGER column holds; NumberRange validators narrow
    them further where a field has tighter rules.
    """

    def __init__(self, label=None, validators=None, minimum=-INTEGER_MAX, maximum=INTEGER_MAX,
                 **kwargs):
        super().__init__(label, validators, **kwargs)
        self.minimum, self.maximum = minimum, maximum

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = valuelist[0].strip()
        self.data = None
        if not raw:
            return
        try:
            number = int(raw)
        except ValueError:
            raise ValueError("Enter a whole number, without units.") from None
        if number > self.maximum:
            raise ValueError(f"That number is too large (at most {self.maximum:,}).")
        if number < self.minimum:
            raise ValueError(f"That number is too small (at least {self.minimum:,}).")
        self.data = number

