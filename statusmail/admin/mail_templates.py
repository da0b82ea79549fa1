"""Admin: what subscriber mail says — per kind, the subject, an intro and a footer; for
every mail, the branding. Editing shows a live preview of a sample notice (the HTML part
in a sandboxed frame, as captured mail is shown, and the text part)."""
from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for

from ..extensions import db
from ..security_headers import use_mail_preview_policy
from ..services import audit
from ..services.mail_templates import customize, variables
from ..services.mail_templates.branding import BrandingProblem, clean_accent, clean_logo_url
from ..services.mail_templates.preview import render_preview
from ..services.request_settings import current_settings
from . import bp
from .mail_template_forms import BrandingForm, MailTemplateForm


def _kind_or_404(kind):
    if kind not in variables.KINDS:
        abort(404)
    return kind


@bp.route("/mail-templates")
def mail_templates():
    settings = current_settings()
    form = BrandingForm(data={"status_page_name": settings.status_page_name,
                              "logo_url": settings.mail_logo_url or "",
                              "accent_color": settings.mail_accent_color or "",
                              "language": settings.language})
    return _index(form)


def _index(form):
    return render_template("admin/mail_templates.html", kinds=variables.KINDS,
                           customizations=customize.load_all(), form=form)


@bp.route("/mail-templates/branding", methods=["POST"])
def save_mail_branding():
    # A post without a language (an older form, a script) keeps the language in force.
    form = BrandingForm(data={"language": current_settings().language})
    if not form.validate_on_submit():
        return _index(form), 400
    try:
        logo_url, accent = clean_logo_url(form.logo_url.data), clean_accent(form.accent_color.data)
    except BrandingProblem as problem:
        getattr(form, problem.field).errors.append(str(problem))
        return _index(form), 400
    settings = current_settings()
    values = {"status_page_name": form.status_page_name.data, "mail_logo_url": logo_url or None,
              "mail_accent_color": accent or None, "language": form.language.data}
    changed = sorted(name for name, value in values.items()
                     if (value or None) != (getattr(settings, name) or None))
    for name, value in values.items():
        setattr(settings, name, value)
    audit.record("mail_branding_saved", fields=changed)
    flash("Mail branding saved.", "success")
    return redirect(url_for("admin.mail_templates"))


def _customization(kind, form):
    return customize.Customization(kind, form.subject.data or "", form.intro.data or "",
                                   form.footer.data or "")


def _show_problems(form, problems):
    for name, message in problems.items():
        getattr(form, name).errors.append(message)


@bp.route("/mail-templates/<kind>", methods=["GET", "POST"])
def edit_mail_template(kind):
    kind = _kind_or_404(kind)
    saved = customize.load(kind)
    form = MailTemplateForm(data={"subject": saved.subject, "intro": saved.intro,
                                  "footer": saved.footer})
    shown = saved
    status = 200
    if form.validate_on_submit():
        shown = _customization(kind, form)
        try:
            if "preview" in request.form:
                customize.check(shown, customize.sample_values(kind, current_settings().status_page_name))
            else:
                stored = customize.save(shown, current_settings().status_page_name)
                audit.record("mail_template_saved", variables.KINDS[kind], mail_kind=kind,
                             fields=[f for f in customize.FIELDS if getattr(stored, f)])
                flash(f"{variables.KINDS[kind]}: mail saved.", "success")
                return redirect(url_for("admin.edit_mail_template", kind=kind))
        except customize.CustomizationProblems as error:
            db.session.rollback()
            _show_problems(form, error.problems)
            shown, status = saved, 400
    elif request.method == "POST":
        status = 400
    preview = _preview_or_none(shown)
    return render_template("admin/mail_template_form.html", kind=kind, label=variables.KINDS[kind],
                           form=form, documented=variables.documented(kind), preview=preview,
                           preview_args=_preview_args(shown)), status


def _preview_args(customization):
    return {"subject": customization.subject, "intro": customization.intro,
            "footer": customization.footer}


def _preview_or_none(customization):
    try:
        return render_preview(customization, current_settings())
    except customize.CustomizationProblems:
        return None


def _from_args(kind):
    """The unsaved customisation in the query string, checked as the form checks it."""
    form = MailTemplateForm(formdata=request.args, meta={"csrf": False})
    if not form.validate():
        return None, {name: field.errors[0] for name, field in form._fields.items()
                      if field.errors}
    return _customization(kind, form), {}


@bp.route("/mail-templates/<kind>/preview.json")
def mail_template_preview(kind):
    """``{"subject", "text", "html_url"}``, or ``{"errors": {field: message}}`` (400)."""
    kind = _kind_or_404(kind)
    customization, problems = _from_args(kind)
    if customization is not None:
        try:
            preview = render_preview(customization, current_settings())
        except customize.CustomizationProblems as error:
            problems = error.problems
    if problems:
        return jsonify(errors=problems), 400
    return jsonify(subject=preview.subject, text=preview.text,
                   html_url=url_for("admin.mail_template_preview_html", kind=kind,
                                    **_preview_args(customization)))


@bp.route("/mail-templates/<kind>/preview.html")
def mail_template_preview_html(kind):
    """The sample's HTML part as its own document, under the captured-mail policy
    (nothing runs; inline styles allowed)."""
    kind = _kind_or_404(kind)
    customization, problems = _from_args(kind)
    preview = None
    if customization is not None:
        try:
            preview = render_preview(customization, current_settings())
        except customize.CustomizationProblems:
            pass
    if preview is None:
        return use_mail_preview_policy(Response(
            "<!doctype html><title>No preview</title><p>Fix the template to see the preview.</p>",
            status=400, mimetype="text/html"))
    return use_mail_preview_policy(Response(preview.html, mimetype="text/html"))
