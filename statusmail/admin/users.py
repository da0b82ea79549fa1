"""Users (owners only, see permissions.py): the team's accounts and pending invitations.
Every rule (the last owner, single-use links) lives in services/security/team.py; the
views only parse the form, call it and say what happened."""
from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ..extensions import db
from ..models import AdminUser, utcnow
from ..services.security import team
from . import bp
from .security_notes import note
from .status_forms import ActionForm
from .team_forms import ROLE_NAMES, InviteForm, RoleForm


@bp.route("/users")
def users():
    return _page(InviteForm())


def _page(invite_form, status=200):
    return render_template("admin/users.html", users=team.users_list(),
                           invitations=team.pending_invitations(), invite_form=invite_form,
                           role_form=RoleForm(), role_names=ROLE_NAMES, action_form=ActionForm(),
                           now=utcnow()), status


@bp.route("/users/invite", methods=["POST"])
def users_invite():
    form = InviteForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    try:
        invitation = team.invite(form.email.data, form.role.data, current_user)
    except team.TeamError as exc:
        form.email.errors = [str(exc)]
        return _page(form, 400)
    note("invitation_sent", f"Invited {invitation.email} as {invitation.role}",
         invitation_id=invitation.id, email=invitation.email, role=invitation.role)
    flash(f"Invitation sent to {invitation.email} as {invitation.role}. The link works once, "
          f"for {team.INVITATION_HOURS} hours.", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/invitations/<int:invitation_id>/resend", methods=["POST"])
def users_resend_invitation(invitation_id):
    return _act(lambda: team.resend(invitation_id), "invitation_resent",
                lambda row: f"Re-sent the invitation of {row.email}",
                lambda row: f"Invitation re-sent to {row.email}; the earlier link no longer "
                            "works.", invitation_id=invitation_id)


@bp.route("/users/invitations/<int:invitation_id>/revoke", methods=["POST"])
def users_revoke_invitation(invitation_id):
    return _act(lambda: team.revoke(invitation_id), "invitation_revoked",
                lambda row: f"Revoked the invitation of {row.email}",
                lambda row: f"Invitation for {row.email} revoked; its link no longer works.",
                invitation_id=invitation_id)


@bp.route("/users/<int:user_id>/role", methods=["POST"])
def users_set_role(user_id):
    form = RoleForm()
    if not form.validate_on_submit():
        flash("Choose one of the roles offered.", "error")
        return redirect(url_for("admin.users"))
    old_role = _role_of(user_id)
    return _act(lambda: team.set_role(user_id, form.role.data), "role_changed",
                lambda user: f"Changed the role of {user.email} from {old_role} to {user.role}",
                lambda user: f"{user.email} is now {'an' if user.role != 'viewer' else 'a'} "
                             f"{user.role}.", user_id=user_id, role=form.role.data,
                old_role=old_role)


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
def users_deactivate(user_id):
    if user_id == current_user.id:
        flash("You cannot deactivate your own account: another owner can.", "error")
        return redirect(url_for("admin.users"))
    return _act(lambda: team.deactivate(user_id), "user_deactivated",
                lambda user: f"Deactivated {user.email}",
                lambda user: f"{user.email} is deactivated: their sessions have ended and "
                             "they cannot log in.", user_id=user_id)


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
def users_reactivate(user_id):
    return _act(lambda: team.reactivate(user_id), "user_reactivated",
                lambda user: f"Reactivated {user.email}",
                lambda user: f"{user.email} can log in again.", user_id=user_id)


def _role_of(user_id):
    user = db.session.get(AdminUser, user_id)
    return user.role if user is not None else None


def _act(change, kind, summary, said, **detail):
    """Run ``change``; on success an audit entry (``summary``) and a flash (``said``)."""
    if not ActionForm().validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(url_for("admin.users"))
    try:
        row = change()
    except team.TeamError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.users"))
    note(kind, summary(row), email=row.email, **detail)
    flash(said(row), "success")
    # Having demoted yourself, the Users page is no longer yours to see.
    return redirect(url_for("admin.users" if current_user.has_role("owner") else "admin.index"))
