"""The team: invitations, roles, deactivation — and the rule that keeps the site run by
someone: the last active owner cannot be demoted or deactivated.

That rule is checked in the database, in the statement that makes the change, not on
objects read earlier: two owners demoting each other at the same moment (or one owner in
two tabs) must not both succeed. On PostgreSQL the active owners' rows are locked first
(``FOR UPDATE``), so a second change waits for the first and then counts again; SQLite
runs one writer at a time, so the conditional UPDATE is atomic there by itself.
"""
import secrets
from datetime import timedelta

from sqlalchemy import and_, func, select, update

from ...extensions import db
from ...models import AdminInvitation, AdminUser, utcnow
from ...models.users import ROLES
from ...tokens import PURPOSES, TokenExpired, TokenInvalid, make_token, read_token
from ..outbox import queue_outbound
from ..validation import InvalidEmail, normalize_email
from .sessions import end_all_sessions

INVITATION_HOURS = PURPOSES["invitation"] // 3600
LAST_OWNER = ("{email} is the last active owner: make another admin an owner first, "
              "so that someone can still manage users and settings.")


class TeamError(Exception):
    """A change to the team that was refused, with a message for the owner who tried."""


class InvitationUnusable(Exception):
    """An invitation link that accepts nothing: the message says why, for the invitee."""


def _role(role):
    if role not in ROLES:
        raise TeamError(f"Choose a role: {', '.join(ROLES)}.")
    return role


# Invitations --------------------------------------------------------------------------

def invite(email, role, invited_by):
    """A pending invitation with its mail queued. The one asking is an owner, so an
    address that already has an account or an invitation is said so plainly."""
    try:
        email = normalize_email(email)
    except InvalidEmail as exc:
        raise TeamError(str(exc)) from None
    role = _role(role)
    user = AdminUser.query.filter_by(email=email).one_or_none()
    if user is not None:
        raise TeamError(f"{email} already has an account ({user.role}"
                        f"{', deactivated' if not user.is_active else ''}): change it in the "
                        "list below instead.")
    if _pending_for(email) is not None:
        raise TeamError(f"{email} is already invited: re-send or revoke that invitation "
                        "below.")
    now = utcnow()
    invitation = AdminInvitation(email=email, role=role, invited_by_id=invited_by.id,
                                 created_at=now, sent_at=now, expires_at=_expiry(now))
    db.session.add(invitation)
    db.session.commit()
    _queue_mail(invitation)
    return invitation


def resend(invitation_id):
    """A new link, valid from now: the old one stops working (a new nonce)."""
    invitation = _pending_or_refuse(invitation_id)
    now = utcnow()
    invitation.nonce = secrets.token_urlsafe(24)
    invitation.sent_at, invitation.expires_at = now, _expiry(now)
    db.session.commit()
    _queue_mail(invitation)
    return invitation


def revoke(invitation_id):
    invitation = _pending_or_refuse(invitation_id)
    invitation.revoked_at = utcnow()
    db.session.commit()
    return invitation


def pending_invitations():
    return db.session.scalars(
        select(AdminInvitation)
        .where(AdminInvitation.accepted_at.is_(None), AdminInvitation.revoked_at.is_(None))
        .order_by(AdminInvitation.id.desc())).all()


def invitation_link_token(invitation):
    return make_token("invitation", [invitation.id, invitation.nonce])


def live_invitation(invitation_id, now=None):
    """The invitation if its link may still be used, else None."""
    invitation = db.session.get(AdminInvitation, invitation_id) if invitation_id else None
    if invitation is None or not invitation.pending or invitation.expires_at <= (now or utcnow()):
        return None
    return invitation


def invitation_from_link(token):
    """The pending invitation a link names, or :class:`InvitationUnusable`."""
    try:
        payload = read_token("invitation", token)
    except TokenExpired:
        raise InvitationUnusable(_EXPIRED) from None
    except TokenInvalid:
        raise InvitationUnusable("This invitation link is not valid. Copy the whole link "
                                 "from the mail.") from None
    if not (isinstance(payload, list) and len(payload) == 2 and type(payload[0]) is int
            and isinstance(payload[1], str)):
        raise InvitationUnusable("This invitation link is not valid.")
    invitation = db.session.get(AdminInvitation, payload[0]) if 0 < payload[0] < 2**31 else None
    if invitation is None or not secrets.compare_digest(invitation.nonce, payload[1]):
        raise InvitationUnusable(_REPLACED)
    if invitation.accepted_at is not None:
        raise InvitationUnusable("This invitation has already been accepted. Log in with "
                                 "the password chosen then.")
    if invitation.revoked_at is not None:
        raise InvitationUnusable("This invitation was withdrawn. Ask an owner for a new one.")
    if invitation.expires_at <= utcnow():
        raise InvitationUnusable(_EXPIRED)
    return invitation


def accept(invitation, password):
    """Use the invitation once: the account is created with its role and returned.

    Single use is the UPDATE's condition (still pending, same nonce), so two submissions
    of the same link, or one racing a revoke or re-send, create at most one account."""
    now = utcnow()
    taken = db.session.execute(
        update(AdminInvitation)
        .where(AdminInvitation.id == invitation.id, AdminInvitation.nonce == invitation.nonce,
               AdminInvitation.accepted_at.is_(None), AdminInvitation.revoked_at.is_(None),
               AdminInvitation.expires_at > now)
        .values(accepted_at=now)).rowcount
    if taken != 1:
        db.session.rollback()
        raise InvitationUnusable("This invitation was used, withdrawn or re-sent meanwhile. "
                                 "Use the newest mail, or ask an owner for a new one.")
    if AdminUser.query.filter_by(email=invitation.email).one_or_none() is not None:
        db.session.rollback()
        raise InvitationUnusable(f"{invitation.email} already has an account. Log in, or "
                                 "reset its password from the login page.")
    user = AdminUser(email=invitation.email, role=invitation.role)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


_EXPIRED = (f"This invitation has expired (links work for {INVITATION_HOURS} hours). Ask an "
            "owner to re-send it.")
_REPLACED = ("This invitation link has been replaced by a newer one, or withdrawn. Use the "
             "newest invitation mail, or ask an owner.")


def _pending_for(email):
    return db.session.scalars(select(AdminInvitation).where(
        AdminInvitation.email == email, AdminInvitation.accepted_at.is_(None),
        AdminInvitation.revoked_at.is_(None))).first()


def _pending_or_refuse(invitation_id):
    invitation = db.session.get(AdminInvitation, invitation_id)
    if invitation is None or not invitation.pending:
        raise TeamError("That invitation is no longer pending (accepted or revoked).")
    return invitation


def _expiry(now):
    return now + timedelta(hours=INVITATION_HOURS)


def _queue_mail(invitation):
    queue_outbound("invitation", invitation.email, invitation_id=invitation.id)


# Roles and deactivation ---------------------------------------------------------------

def set_role(user_id, role):
    """Change an admin's role; refused for the last active owner. Returns the user."""
    role = _role(role)
    user = _user_or_refuse(user_id)
    if user.role == role:
        return user
    _change_keeping_an_owner(user, role=role)
    return user


def deactivate(user_id):
    """No sign-in and no session for this admin; refused for the last active owner."""
    user = _user_or_refuse(user_id)
    if not user.is_active:
        return user
    _change_keeping_an_owner(user, deactivated_at=utcnow(),
                             session_token=secrets.token_hex(32))
    end_all_sessions(user.id)
    return user


def reactivate(user_id):
    user = _user_or_refuse(user_id)
    if not user.is_active:
        user.deactivated_at = None
        db.session.commit()
    return user


def users_list():
    return db.session.scalars(select(AdminUser).order_by(AdminUser.email)).all()


def active_owner_count():
    return db.session.scalar(select(func.count()).select_from(AdminUser).where(
        AdminUser.role == "owner", AdminUser.deactivated_at.is_(None)))


def _user_or_refuse(user_id):
    user = db.session.get(AdminUser, user_id)
    if user is None:
        raise TeamError("There is no such admin.")
    return user


def _change_keeping_an_owner(user, **values):
    """Apply ``values`` to ``user``'s row unless that leaves no active owner."""
    still_owner = values.get("role", user.role) == "owner" and "deactivated_at" not in values
    statement = update(AdminUser).where(AdminUser.id == user.id).values(**values)
    if not still_owner:
        others = (select(func.count()).select_from(AdminUser)
                  .where(AdminUser.role == "owner", AdminUser.deactivated_at.is_(None),
                         AdminUser.id != user.id).scalar_subquery())
        # Locks the active owners (PostgreSQL): a concurrent change of one waits here.
        db.session.execute(select(AdminUser.id).where(
            and_(AdminUser.role == "owner", AdminUser.deactivated_at.is_(None)))
            .with_for_update())
        statement = statement.where((AdminUser.role != "owner")
                                    | AdminUser.deactivated_at.is_not(None) | (others > 0))
    changed = db.session.execute(statement.execution_options(synchronize_session=False)
                                 ).rowcount
    if changed != 1:
        db.session.rollback()
        raise TeamError(LAST_OWNER.format(email=user.email))
    db.session.commit()
    db.session.refresh(user)
