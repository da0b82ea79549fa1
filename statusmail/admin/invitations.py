"""Accepting an invitation: the one page an invitee opens before having an account. The
link is checked on every request (it may be revoked or re-sent while the page is open),
and used once, when the password is set."""
from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ..extensions import db
from ..models import utcnow
from ..services.security import team
from . import bp
from .auth import begin_session
from .security_notes import note
from .team_forms import AcceptInvitationForm


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token):
    try:
        invitation = team.invitation_from_link(token)
    except team.InvitationUnusable as exc:
        return _unusable(str(exc))
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            user = team.accept(invitation, form.password.data)
        except team.InvitationUnusable as exc:
            return _unusable(str(exc))
        note("invitation_accepted", f"{user.email} accepted the invitation as {user.role}",
             actor=user, invitation_id=invitation.id, role=user.role)
        if current_user.is_authenticated:
            # Another admin's session in this browser is theirs: it is not ended for them.
            flash(f"The account {user.email} is ready. You are still logged in as "
                  f"{current_user.email}: log out, then log in as {user.email}.", "success")
            return redirect(url_for("admin.index"))
        user.last_login_at = utcnow()
        db.session.commit()
        begin_session(user)
        flash(f"Welcome! You are logged in as {user.email}, {'an' if user.role != 'viewer' else 'a'} "
              f"{user.role}.", "success")
        return redirect(url_for("admin.index"))
    return render_template("admin/accept_invitation.html", form=form, invitation=invitation)


def _unusable(message):
    return render_template("admin/invitation_invalid.html", message=message), 400
