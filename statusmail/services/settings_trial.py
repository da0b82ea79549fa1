"""Trying Email settings before saving them: one test mail sent with the values in the form.

Nothing is stored: the typed values live in this request only. A blank secret field means
"the stored one", as it does when saving, so an operator can change the port and try it
without typing the password again. The mail is sent here, in the request, not by a worker:
the values must not travel through Redis or the database, and the operator waits for the
answer anyway (the timeout in the form bounds the wait).
"""
import logging
from types import SimpleNamespace

from ..extensions import db
from ..mail import errors
from ..mail.transports import captured_id, open_transport
from ..models import OutboundMail, SiteSettings
from .email_settings import PLAIN_FIELDS
from .test_send import TRIAL_SUBJECT, describe_failure
from .transactional import render_outbound

log = logging.getLogger(__name__)
TRIAL_BODY = ("This mail was sent with settings typed into Email settings before they were "
              "saved. If you can read it, they work: save them.")


def try_email_settings(values, recipient):
    """Send one test mail with the form's ``values``; a report like a test send's."""
    stored = SiteSettings.get()
    draft = _draft(values, stored)
    typed = {"smtp_password": values.get("smtp_password") or None,
             "sendgrid_api_key": values.get("sendgrid_api_key") or None}
    mail = OutboundMail(kind="test", recipient=recipient, subject=TRIAL_SUBJECT, body=TRIAL_BODY)
    report = {"recipient": recipient, "provider": draft.provider, "ok": False,
              "captured": False, "captured_id": None, "code": None, "reply": None,
              "diagnosis": None, "title": None, "detail": None, "hint": None,
              "typed_secret": any(typed.values())}
    try:
        message = render_outbound(mail, settings=draft)
        with open_transport(draft, secrets=typed) as transport:
            code, reply = transport.send(message)
    except errors.MailError as exc:
        db.session.rollback()
        report.update(describe_failure(exc.diagnosis, exc.detail, exc.code, exc.server_reply))
        return report
    except Exception as exc:  # noqa: BLE001 - a bug: say so on the page, keep the traceback
        log.exception("Trying unsaved email settings failed unexpectedly")
        db.session.rollback()
        failure = errors.unexpected(exc)
        report.update(describe_failure(failure.diagnosis, failure.detail))
        return report
    db.session.commit()  # the captured copy, when capture was chosen
    copy = captured_id(reply) if draft.provider == "capture" else None
    report.update(ok=True, code=code, reply=reply, captured=copy is not None, captured_id=copy)
    return report


def _draft(values, stored):
    """A settings-shaped object: the typed values, the stored secrets unless removed."""
    fields = {name: getattr(stored, name) for name in PLAIN_FIELDS}
    fields.update({name: (None if values[name] == "" else values[name])
                   for name in PLAIN_FIELDS if name in values})
    return SimpleNamespace(
        **fields,
        smtp_password_encrypted=(None if values.get("remove_smtp_password")
                                 else stored.smtp_password_encrypted),
        sendgrid_api_key_encrypted=(None if values.get("remove_sendgrid_api_key")
                                    else stored.sendgrid_api_key_encrypted),
    )
