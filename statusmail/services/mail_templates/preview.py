"""A sample mail of one kind, rendered with a customisation that need not be saved: the
same templates, filters and branding a real notice goes out with, sample facts instead of
a real incident, and sample links instead of a subscriber's."""
from dataclasses import dataclass

from flask import render_template

from ..links import external_url
from . import customize, variables
from .branding import brand_of
from .subjects import default_confirm_subject, default_subject


@dataclass(frozen=True)
class Preview:
    subject: str
    text: str
    html: str


def render_preview(customization, settings):
    """The sample mail, or :class:`~.customize.CustomizationProblems`."""
    kind = customization.kind
    site_name = settings.status_page_name
    status_url = external_url("public.index")
    context = variables.sample_context(kind, site_name, status_url)
    customize.check(customization, variables.values_for(kind, context))
    applied = customize.apply(customization, kind, context)
    brand = brand_of(settings)
    shared = {"site_name": site_name, "status_url": status_url, "intro": applied.intro,
              "footer": applied.footer, "logo_url": brand["logo_url"], "accent": brand["accent"]}
    if kind == variables.CONFIRM:
        subject = applied.subject or default_confirm_subject(site_name)
        shared["confirm_url"] = external_url("public.confirm", token="sample")
        template = "confirm"
    else:
        subject = applied.subject or default_subject(kind, site_name, context)
        shared.update(notice=context, manage_url=external_url("public.manage", token="sample"),
                      unsubscribe_url=external_url("public.unsubscribe", token="sample"))
        template = kind
    shared["subject"] = subject
    return Preview(subject, render_template(f"email/{template}.txt", **shared),
                   render_template(f"email/{template}.html", **shared))
