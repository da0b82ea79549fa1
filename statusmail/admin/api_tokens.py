"""Admin: API tokens. A new token is shown once, on the page that answers its creation;
only its hash is kept, so it cannot be shown again (make a new one instead)."""
from flask import abort, flash, make_response, redirect, render_template, url_for

from ..models import ApiToken
from ..services.api_tokens import create_api_token, revoke_api_token
from ..services.status import find
from . import bp
from .status_forms import ActionForm, ApiTokenForm


@bp.route("/api-tokens")
def api_tokens():
    return _list_page(ApiTokenForm())


@bp.route("/api-tokens/new", methods=["POST"])
def create_token():
    form = ApiTokenForm()
    if not form.validate_on_submit():
        return _list_page(form)
    try:
        token, plaintext = create_api_token(form.name.data)
    except ValueError as error:
        form.name.errors = [*form.name.errors, str(error)]
        return _list_page(form)
    response = make_response(render_template("admin/api_tokens_created.html", token=token,
                                             plaintext=plaintext))
    # The only copy of the secret: keep it out of caches and the back/forward history.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/api-tokens/<int:token_id>/revoke", methods=["POST"])
def revoke_token(token_id):
    token = find(ApiToken, token_id) or abort(404)
    if ActionForm().validate_on_submit():
        revoke_api_token(token)
        flash(f"Token “{token.name}” is revoked: requests that use it are refused from now on.",
              "success")
    return redirect(url_for("admin.api_tokens"))


def _list_page(form):
    tokens = ApiToken.query.order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(),
                                     ApiToken.id.desc()).all()
    return render_template("admin/api_tokens.html", tokens=tokens, form=form,
                           action_form=ActionForm())
