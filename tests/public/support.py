"""Helpers for the subscriber-flow tests: rows in known states, signed links, mail links."""
import re
import time

from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from tests.conftest import TEST_BASE_URL


class Subscribers:
    """Rows and tokens made in their own app context, as another process would."""

    def __init__(self, app):
        self.app = app

    def add(self, email, status="confirmed", **fields):
        from statusmail.extensions import db
        from statusmail.models import Subscriber, utcnow
        with self.app.app_context():
            row = Subscriber(email=email, status=status, **fields)
            if status == "confirmed":
                row.confirmed_at = row.confirmed_at or utcnow()
            db.session.add(row)
            db.session.commit()
            return row.id

    def get(self, subscriber_id=None, email=None):
        """A detached snapshot of the row (``None`` if absent)."""
        from statusmail.extensions import db
        from statusmail.models import Subscriber
        with self.app.app_context():
            row = (db.session.get(Subscriber, subscriber_id) if subscriber_id is not None
                   else Subscriber.query.filter_by(email=email).one_or_none())
            if row is not None:
                row.components  # load before detaching
                db.session.expunge(row)
            return row

    def count(self):
        from statusmail.models import Subscriber
        with self.app.app_context():
            return Subscriber.query.count()

    def outbound_count(self):
        from statusmail.models import OutboundMail
        with self.app.app_context():
            return OutboundMail.query.count()

    def link_key(self, subscriber_id):
        return self.get(subscriber_id).link_key

    def token(self, purpose, subscriber_id, link_key=None):
        """The link the app would mail now: bound to the row's current link key, unless
        ``link_key`` says otherwise."""
        from statusmail.tokens import make_subscriber_token
        key = link_key or self.link_key(subscriber_id)
        with self.app.app_context():
            return make_subscriber_token(purpose, subscriber_id, key)

    def signed(self, purpose, payload):
        """Any payload, signed as tokens.py signs it: for links of another shape or purpose."""
        from statusmail.tokens import make_token
        with self.app.app_context():
            return make_token(purpose, payload)

    def old_token(self, purpose, subscriber_id, hours=49):
        """The same link, signed ``hours`` ago (with the secret and salt of tokens.py)."""
        from statusmail.tokens import key_proof

        class PastSigner(TimestampSigner):
            def get_timestamp(self):
                return int(time.time()) - hours * 3600

        serializer = URLSafeTimedSerializer(self.app.config["SECRET_KEY"],
                                            salt=f"statusmail.{purpose}", signer=PastSigner)
        return serializer.dumps([subscriber_id,
                                 key_proof(purpose, self.link_key(subscriber_id))])


def confirm_path(server, address):
    """The path of the confirmation link in the last real mail sent to ``address``."""
    mails = [m for m in server.messages if address in m.rcpt_tos]
    assert mails, f"no mail reached {address}"
    text = mails[-1].message.get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+/confirm/\S+", text).group(0)
    assert link.startswith(TEST_BASE_URL + "/confirm/")
    return link[len(TEST_BASE_URL):]


def post_from(client, url, data, ip):
    return client.post(url, data=data, environ_base={"REMOTE_ADDR": ip})
