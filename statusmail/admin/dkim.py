"""Admin: DKIM signing keys (owner-only, endpoints ``admin.dkim*``). The private key is
never shown back: the page shows the public half as the DNS record to publish."""
from flask import abort, flash, redirect, render_template, url_for

from ..services.delivery_settings import delivery_settings
from ..services.dkim_dns import aligned, dkim_record, sender_advice
from ..services.dkim_keys import (ALGORITHM_NAMES, DkimKeyRejected, delete_key, disable_key,
                                  enable_key, find_key, from_domain, generate_key, import_key,
                                  list_keys, suggested_selector)
from . import bp
from .dkim_forms import GenerateDkimKeyForm, PasteDkimKeyForm
from .status_forms import ActionForm


@bp.route("/email/dkim")
def dkim():
    return _page()


@bp.route("/email/dkim/generate", methods=["POST"])
def dkim_generate():
    form = GenerateDkimKeyForm(prefix="generate")
    if form.validate_on_submit():
        try:
            key = generate_key(form.domain.data, form.selector.data, form.algorithm.data)
        except DkimKeyRejected as exc:
            form.selector.errors = [*form.selector.errors, str(exc)]
        else:
            flash(f"{ALGORITHM_NAMES[key.algorithm]} key generated for {key.selector}: publish "
                  "its DNS record below, then enable it.", "success")
            return redirect(url_for("admin.dkim", _anchor=f"key-{key.id}"))
    flash("No key was generated: correct the fields marked below.", "error")
    return _page(generate_form=form)


@bp.route("/email/dkim/paste", methods=["POST"])
def dkim_paste():
    form = PasteDkimKeyForm(prefix="paste")
    key = None
    if form.validate_on_submit():
        try:
            key = import_key(form.domain.data, form.selector.data, form.private_key.data)
        except DkimKeyRejected as exc:
            form.private_key.errors = [*form.private_key.errors, str(exc)]
    form.private_key.data = ""  # a private key is never sent back to the browser
    if key is None:
        flash("No key was saved: correct the fields marked below.", "error")
        return _page(paste_form=form)
    flash(f"{ALGORITHM_NAMES[key.algorithm]} key saved for {key.selector}: publish its DNS "
          "record below (if it is not already), then enable it.", "success")
    return redirect(url_for("admin.dkim", _anchor=f"key-{key.id}"))


@bp.route("/email/dkim/<int:key_id>/enable", methods=["POST"])
def dkim_enable(key_id):
    key = find_key(key_id) or abort(404)
    if _confirmed():
        replaced = enable_key(key)
        instead = "".join(f" It replaces {other.selector}." for other in replaced)
        flash(f"Mail is now signed with {key.selector}.{instead} Check that its DNS record "
              "is published: a signature receivers cannot verify counts as none.", "success")
    return redirect(url_for("admin.dkim", _anchor=f"key-{key.id}"))


@bp.route("/email/dkim/<int:key_id>/disable", methods=["POST"])
def dkim_disable(key_id):
    key = find_key(key_id) or abort(404)
    if _confirmed():
        disable_key(key)
        flash(f"{key.selector} no longer signs mail.", "success")
    return redirect(url_for("admin.dkim", _anchor=f"key-{key.id}"))


@bp.route("/email/dkim/<int:key_id>/delete", methods=["POST"])
def dkim_delete(key_id):
    key = find_key(key_id) or abort(404)
    if _confirmed():
        selector = key.selector
        try:
            delete_key(key)
        except DkimKeyRejected as exc:
            flash(str(exc), "error")
            return redirect(url_for("admin.dkim", _anchor=f"key-{key_id}"))
        flash(f"Key {selector} deleted. Remove its DNS record in a few days, once "
              "mail signed with it has been delivered.", "success")
    return redirect(url_for("admin.dkim"))


def _confirmed():
    if ActionForm().validate_on_submit():
        return True
    flash("Nothing was changed: the form had expired. Try again.", "error")
    return False


def _page(generate_form=None, paste_form=None):
    settings = delivery_settings()
    keys = list_keys()
    domain = from_domain(settings)
    selector = suggested_selector(keys)
    if generate_form is None:
        generate_form = GenerateDkimKeyForm(prefix="generate", formdata=None, domain=domain,
                                            selector=selector)
    if paste_form is None:
        paste_form = PasteDkimKeyForm(prefix="paste", formdata=None, domain=domain,
                                      selector=selector)
    enabled = [key for key in keys if key.enabled]
    return render_template(
        "admin/dkim.html", keys=keys, records={key.id: dkim_record(key) for key in keys},
        aligned={key.id: aligned(domain, key.domain) for key in keys}, enabled=enabled,
        from_domain=domain, provider=settings.provider,
        advice=sender_advice(domain, settings.smtp_host, settings.provider),
        only_ed25519=bool(enabled) and all(key.algorithm == "ed25519" for key in enabled),
        algorithm_names=ALGORITHM_NAMES, generate_form=generate_form, paste_form=paste_form,
        action_form=ActionForm(), suggested_selector=selector)
