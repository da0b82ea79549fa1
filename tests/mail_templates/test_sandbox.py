"""Operator templates: what renders, and what is refused on save (never at send time)."""
import pytest
from hypothesis import given, settings, strategies as st

from statusmail.services.mail_templates import customize
from statusmail.services.mail_templates.sandbox import TemplateProblem, one_line, render

VALUES = {"page_name": "Acme", "title": "DB down", "status": "Investigating", "kind": "Incident created",
          "components": "API, Web", "impact": "Major"}


def _subject(source):
    return customize.render_subject(source, VALUES)


def test_variables_filters_and_conditions_render():
    assert _subject("[{{ page_name }}] {{ title|upper }} ({{ status }})") == "[Acme] DB DOWN (Investigating)"
    assert _subject("{% if components %}{{ components }}: {% endif %}{{ title }}") == "API, Web: DB down"
    assert _subject("{{ title ~ ' / ' ~ impact }}") == "DB down / Major"


@pytest.mark.parametrize("source, says", [
    ("{{ ''.__class__ }}", "attributes"),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "not available"),
    ("{{ title.__class__ }}", "attributes"),
    ("{{ title['__class__'] }}", "indexing"),
    ("{{ cycler.__init__.__globals__ }}", "not available"),
    ("{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}", "loops"),
    ("{{ 'x' * 1000000000 }}", "arithmetic"),
    ("{{ 9 ** 9 ** 9 }}", "arithmetic"),
    ("{{ title|center(1000000000) }}", "Unknown filter"),
    ("{{ title|format('x') }}", "Unknown filter"),
    ("{{ lipsum(1000000) }}", "not available"),
    ("{% set x = 1 %}", "{% set %}"),
    ("{% include 'email/base.html' %}", "{% include %}"),
    ("{% extends 'email/base.html' %}", "{% extends %}"),
    ("{% macro m() %}{% endmacro %}", "macros"),
    ("{{ nope }}", "Unknown variable “nope”"),
    ("{{ title", "syntax error"),
    ("{% if %}", "syntax error"),
    ("{{ title|truncate(*[1]) }}", "plain values"),
    ("(" * 3000, "longer than"),
    ("{{ " + "(" * 280 + "title }}", "nested too deeply"),
])
def test_hostile_templates_are_refused_with_a_reason(source, says):
    with pytest.raises(TemplateProblem) as refused:
        render(source, VALUES, max_length=10_000, max_output=1000)
    assert says in str(refused.value)


def test_deep_nesting_is_refused_not_a_crash():
    with pytest.raises(TemplateProblem):
        render("{{ " + "(" * 4000 + "title" + ")" * 4000 + " }}", VALUES, max_length=10_000,
               max_output=1000)
    with pytest.raises(TemplateProblem):
        render("{% if title %}" * 2000 + "{% endif %}" * 2000, VALUES, max_length=100_000,
               max_output=1000)


def test_length_is_bounded_at_both_ends():
    with pytest.raises(TemplateProblem, match="under 300"):
        _subject("x" * 301)
    with pytest.raises(TemplateProblem, match="longer than"):
        render("{{ title }}" * 200, VALUES, max_length=10_000, max_output=1000)


def test_subject_cannot_carry_a_line_break():
    values = {**VALUES, "title": "a\r\nBcc: victim@example.com"}
    subject = customize.render_subject("{{ title }}\r\nX-Injected: 1\n{{ page_name }}", values)
    assert "\r" not in subject and "\n" not in subject
    assert subject == "a Bcc: victim@example.com X-Injected: 1 Acme"
    assert one_line("a\u2028b\x00c\x85d") == "a b c d"


def test_an_empty_subject_is_refused():
    with pytest.raises(TemplateProblem, match="empty"):
        _subject("{% if not title %}x{% endif %}   ")


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(list("{}%#()[]'\"._|~*+-!<>= \n\\") + [
    "title", "page_name", "if ", "endif", "for ", "in ", "range", "__class__", "x", "9",
    "{{", "}}", "{%", "%}", "|upper", "|truncate(", "|center("]), max_size=40).map("".join))
def test_any_input_either_renders_within_bounds_or_is_refused(source):
    try:
        out = render(source, VALUES, max_length=300, max_output=1000)
    except TemplateProblem:
        return
    assert len(out) <= 1000
