"""Operator-written templates (a mail's subject, intro and footer): rendered by Jinja's
``SandboxedEnvironment`` with ``StrictUndefined``, and before that held to a small
language.

The sandbox stops attribute games (``{{ ''.__class__ }}``); what it does not stop is
work: ``{% for %}`` over ``range(100000)`` nested three deep, or ``'x' * 10**9``. So the
parsed template may only hold text, the documented variables, constants, ``{% if %}``,
comparisons, ``~`` joins and a few filters that cannot grow their input. Everything it
can do is then linear in its own length, which is capped. Every check runs when the
operator saves (the message goes on the field); a notice never meets a template that
did not render.
"""
import unicodedata

from jinja2 import StrictUndefined, nodes
from jinja2.defaults import DEFAULT_FILTERS
from jinja2.exceptions import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

# Filters whose output is no longer than their input (truncate: at most its input).
ALLOWED_FILTERS = ("upper", "lower", "title", "capitalize", "trim", "truncate", "default")
_ALLOWED_NODES = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.Const,
                  nodes.If, nodes.Filter, nodes.Test, nodes.Compare, nodes.Operand, nodes.And,
                  nodes.Or, nodes.Not, nodes.CondExpr, nodes.Concat)
_NODE_WORDS = {nodes.For: "{% for %} loops", nodes.Assign: "{% set %}",
               nodes.AssignBlock: "{% set %}", nodes.Macro: "macros", nodes.Call: "calls",
               nodes.Getattr: "attributes (a.b)", nodes.Getitem: "indexing (a[b])",
               nodes.Include: "{% include %}", nodes.Import: "{% import %}",
               nodes.FromImport: "{% import %}", nodes.Extends: "{% extends %}",
               nodes.Block: "{% block %}", nodes.Mul: "arithmetic", nodes.Pow: "arithmetic",
               nodes.Add: "arithmetic", nodes.Sub: "arithmetic", nodes.Div: "arithmetic",
               nodes.FloorDiv: "arithmetic", nodes.Mod: "arithmetic",
               nodes.FilterBlock: "{% filter %}", nodes.CallBlock: "{% call %}",
               nodes.With: "{% with %}", nodes.List: "lists", nodes.Dict: "dicts",
               nodes.Tuple: "tuples"}


class TemplateProblem(ValueError):
    """A template that would not render; the message says what to change."""


def _environment():
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, auto_reload=False,
                       cache_size=0)
    env.filters = {name: DEFAULT_FILTERS[name] for name in ALLOWED_FILTERS}
    env.globals = {}
    return env


_ENV = _environment()


def _check_tree(tree, variables):
    for node in tree.find_all(nodes.Node):
        if not isinstance(node, _ALLOWED_NODES):
            what = _NODE_WORDS.get(type(node), type(node).__name__)
            raise TemplateProblem(f"{what} are not available here: use variables, "
                                  "{% if %} and the filters " + ", ".join(ALLOWED_FILTERS) + ".")
        if isinstance(node, nodes.Name) and node.name not in variables:
            raise TemplateProblem(f"Unknown variable “{node.name}”. Available: "
                                  + ", ".join(sorted(variables)) + ".")
        if isinstance(node, nodes.Filter) and node.name not in ALLOWED_FILTERS:
            raise TemplateProblem(f"Unknown filter “{node.name}”. Available: "
                                  + ", ".join(ALLOWED_FILTERS) + ".")
        if isinstance(node, nodes.Filter) and (node.dyn_args or node.dyn_kwargs):
            raise TemplateProblem("Filters take plain values here.")


def compile_template(source, variables, *, max_length):
    """The compiled template, or :class:`TemplateProblem`. ``variables``: the names it
    may use."""
    if len(source) > max_length:
        raise TemplateProblem(f"Keep this under {max_length:,} characters.")
    try:
        tree = _ENV.parse(source)
    except TemplateSyntaxError as error:
        raise TemplateProblem(f"Template syntax error on line {error.lineno}: {error.message}") from None
    except RecursionError:
        raise TemplateProblem("The template is nested too deeply.") from None
    _check_tree(tree, variables)
    try:
        return _ENV.from_string(tree)
    except TemplateSyntaxError as error:  # pragma: no cover - parse already passed
        raise TemplateProblem(f"Template syntax error: {error.message}") from None


def render(source, values, *, max_length, max_output):
    """``source`` rendered with ``values`` (strings), or :class:`TemplateProblem`."""
    template = compile_template(source, values, max_length=max_length)
    try:
        output = template.render(values)
    except Exception as error:  # noqa: BLE001 - hostile input: any failure is the operator's to fix
        raise TemplateProblem(f"The template does not render: {error}") from None
    if len(output) > max_output:
        raise TemplateProblem(f"What this renders is longer than {max_output:,} characters.")
    return output


def one_line(text):
    """A header-safe line: every line break, tab and control character becomes a space,
    runs of spaces one."""
    cleaned = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
                      for ch in text)
    return " ".join(cleaned.split())
