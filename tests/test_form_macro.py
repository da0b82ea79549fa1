"""The one form macro: attributes a template passes as None or False are left out.

WTForms renders ``readonly=None`` as ``readonly="None"``, which a browser treats as
read-only: the maintenance form's start could not be typed in, though every POST made by
the test client passed. (tests/browser/test_form_crawl.py finds it in a real browser.)
"""
from flask import render_template_string
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField

TEMPLATE = '{% from "macros/forms.html" import field %}{{ field(form.name, **attrs) }}'


class _Form(FlaskForm):
    class Meta:
        csrf = False

    name = StringField("Name")
    agree = BooleanField("Agree")


def _render(app, name="name", **attrs):
    with app.test_request_context():
        template = TEMPLATE.replace("form.name", f"form.{name}")
        return render_template_string(template, form=_Form(), attrs=attrs)


def test_none_and_false_attributes_are_left_out(app):
    html = _render(app, readonly=None, disabled=False, placeholder=None)
    assert "readonly" not in html and "disabled" not in html and "placeholder" not in html
    assert "None" not in html and "False" not in html
    checkbox = _render(app, "agree", disabled=False, readonly=None)
    assert "disabled" not in checkbox and "readonly" not in checkbox


def test_true_zero_and_text_attributes_are_kept(app):
    html = _render(app, readonly=True, min=0, placeholder="smtp.example.com")
    assert " readonly" in html and 'min="0"' in html and 'placeholder="smtp.example.com"' in html
