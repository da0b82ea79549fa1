"""What an operator changed in one kind of subscriber mail: its subject template and an
intro and footer in Markdown. No row (or an empty field): the mail as statusmail writes it."""
from ..extensions import db
from . import utcnow

SUBJECT_SOURCE_MAX = 300
MARKDOWN_SOURCE_MAX = 5000


class MailCustomization(db.Model):
    __tablename__ = "mail_customizations"

    kind = db.Column(db.String(40), primary_key=True)
    subject = db.Column(db.String(SUBJECT_SOURCE_MAX))
    intro = db.Column(db.Text)
    footer = db.Column(db.Text)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
