""""This wasn't me": the link in a confirmation mail that stops all mail to the address.

Someone signing up a stranger's address (list bombing) makes us send that stranger a
confirmation mail. Its second link lets them put the address on the suppression list
for good: no notice, no further confirmation, whoever signs it up again. A GET only shows
the page with the button (link scanners follow every link in a mail); the POST does it.
"""
from flask import render_template
from flask_babel import gettext

from ..extensions import limiter
from ..services import subscriptions as subscription_service
from ..services.suppressions import is_suppressed, suppress
from ..tokens import TokenExpired, TokenInvalid
from ..wording import N_
from . import bp
from .forms import ActionForm


def _refused(title, message):
    return render_template("public/link_invalid.html", title=gettext(title),
                           message=gettext(message)), 400


@bp.route("/not-me/<token>", methods=["GET", "POST"], endpoint="not_me")
@limiter.limit("10/minute", methods=["POST"])
def not_me_page(token):
    try:
        subscriber = subscription_service.subscriber_from_token("not-me", token)
    except TokenExpired:
        return _refused(N_("This link has expired"),
                        N_("Without confirmation we send nothing more to this address anyway. "
                           "If more confirmation mails arrive, use the link in the newest one."))
    except TokenInvalid:
        return _refused(N_("This link is not valid"),
                        N_("The link may be cut short or mistyped. Copy the whole link from the "
                           "mail."))
    if subscriber is None:
        return _refused(N_("This link is no longer valid"),
                        N_("It was made for a sign-up that has been removed or replaced since."))
    form = ActionForm()
    done = is_suppressed(subscriber.email)
    if not done and form.validate_on_submit():
        suppress(subscriber.email, "not_me", "subscriber",
                 detail="“This wasn't me” in the confirmation mail")
        done = True
    return render_template("public/not_me.html", form=form, subscriber=subscriber, done=done)
