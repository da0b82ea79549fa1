"""Saving and applying a kind's subject, intro and footer.

Every template is rendered against the kind's sample values when it is saved, and the
values a real notice gives it have exactly the same names (``variables.values_for``):
what was accepted renders at send time. Should it still fail there (a bug), the mail
goes out as statusmail writes it, never not at all.
"""
from dataclasses import dataclass

from ...extensions import db
from ...models import MailCustomization
from ...models.mail_customizations import MARKDOWN_SOURCE_MAX, SUBJECT_SOURCE_MAX
from . import variables
from .sandbox import TemplateProblem, one_line, render
from .subjects import SUBJECT_MAX

MARKDOWN_OUTPUT_MAX = 20_000
FIELDS = ("subject", "intro", "footer")


@dataclass(frozen=True)
class Customization:
    """The sources as saved (``""``: not customised)."""
    kind: str
    subject: str = ""
    intro: str = ""
    footer: str = ""

    @property
    def is_default(self):
        return not (self.subject or self.intro or self.footer)


class CustomizationProblems(ValueError):
    """``problems``: ``{field: message}`` for each template that does not render."""

    def __init__(self, problems):
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


def load(kind):
    row = db.session.get(MailCustomization, kind)
    if row is None:
        return Customization(kind)
    return Customization(kind, row.subject or "", row.intro or "", row.footer or "")


def load_all():
    """``{kind: Customization}`` for every kind, in one query."""
    rows = {row.kind: row for row in db.session.scalars(db.select(MailCustomization))}
    return {kind: (Customization(kind, rows[kind].subject or "", rows[kind].intro or "",
                                 rows[kind].footer or "") if kind in rows else Customization(kind))
            for kind in variables.KINDS}


def render_subject(source, values):
    subject = one_line(render(source, values, max_length=SUBJECT_SOURCE_MAX,
                              max_output=SUBJECT_MAX * 4))
    if not subject:
        raise TemplateProblem("This renders an empty subject.")
    return subject if len(subject) <= SUBJECT_MAX else subject[:SUBJECT_MAX - 1] + "…"


def render_markdown_source(source, values):
    """The Markdown the mail will show (variables filled in; Markdown rendered later)."""
    return render(source, values, max_length=MARKDOWN_SOURCE_MAX,
                  max_output=MARKDOWN_OUTPUT_MAX).strip()


_RENDERERS = {"subject": render_subject, "intro": render_markdown_source,
              "footer": render_markdown_source}


def check(customization, sample_values):
    """Raise :class:`CustomizationProblems` unless every field renders with the sample."""
    problems = {}
    for field in FIELDS:
        source = getattr(customization, field)
        if source:
            try:
                _RENDERERS[field](source, sample_values)
            except TemplateProblem as problem:
                problems[field] = str(problem)
    if problems:
        raise CustomizationProblems(problems)


def sample_values(kind, site_name):
    return variables.values_for(kind, variables.sample_context(kind, site_name, "https://status.example"))


def save(customization, site_name):
    """Store ``customization`` if every template renders; the caller commits."""
    if customization.kind not in variables.KINDS:
        raise CustomizationProblems({"subject": "Unknown kind of mail."})
    customization = Customization(customization.kind,
                                  *(getattr(customization, f).strip() for f in FIELDS))
    check(customization, sample_values(customization.kind, site_name))
    row = db.session.get(MailCustomization, customization.kind)
    if customization.is_default:
        if row is not None:
            db.session.delete(row)
        return customization
    if row is None:
        row = MailCustomization(kind=customization.kind)
        db.session.add(row)
    row.subject = customization.subject or None
    row.intro = customization.intro or None
    row.footer = customization.footer or None
    return customization


@dataclass(frozen=True)
class Applied:
    """A customisation filled in for one notice: ``subject`` None keeps statusmail's own."""
    subject: str | None
    intro: str
    footer: str


def apply(customization, kind, context):
    """Fill ``customization`` in for a notice (its snapshot ``context``)."""
    values = variables.values_for(kind, context)
    subject = intro = footer = None
    try:
        if customization.subject:
            subject = render_subject(customization.subject, values)
        if customization.intro:
            intro = render_markdown_source(customization.intro, values)
        if customization.footer:
            footer = render_markdown_source(customization.footer, values)
    except TemplateProblem:
        return Applied(None, "", "")
    return Applied(subject, intro or "", footer or "")
