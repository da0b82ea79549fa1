"""Re-encrypt every stored secret with the first key of ``STATUSMAIL_ENCRYPTION_KEY``.

Which columns hold secrets is read from the models: every column whose name ends in
``_encrypted`` holds a ``crypto.encrypt`` value (today the SMTP password and the SendGrid
key). A new secret column that follows the naming is rotated without touching this
module. A value the first key already reads is left alone, so a second run changes
nothing; a value no configured key reads is counted and left as it is.
"""
from dataclasses import dataclass

import sqlalchemy as sa

from .. import crypto
from ..extensions import db

ENCRYPTED_SUFFIX = "_encrypted"


@dataclass
class RotationReport:
    reencrypted: int = 0
    already_current: int = 0
    unreadable: int = 0


def encrypted_columns():
    """(table, column) for every secret column in the models."""
    return [(table, column) for table in db.metadata.sorted_tables
            for column in table.columns if column.name.endswith(ENCRYPTED_SUFFIX)]


def rotate_stored_secrets():
    report = RotationReport()
    for table, column in encrypted_columns():
        key = list(table.primary_key.columns)
        rows = db.session.execute(sa.select(*key, column).where(column.is_not(None))).all()
        for *ids, ciphertext in rows:
            if crypto.uses_first_key(ciphertext):
                report.already_current += 1
                continue
            try:
                rotated = crypto.rotate(ciphertext)
            except crypto.SecretUnreadable:
                report.unreadable += 1
                continue
            match = sa.and_(*(pk == value for pk, value in zip(key, ids)), column == ciphertext)
            db.session.execute(sa.update(table).where(match).values({column.name: rotated}))
            report.reencrypted += 1
    db.session.commit()
    return report
