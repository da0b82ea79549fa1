"""flask --app wsgi rotate-encryption-key: every stored secret moves to the first key."""
from cryptography.fernet import Fernet, InvalidToken

from statusmail import crypto
from statusmail.extensions import db
from statusmail.models import SiteSettings
from statusmail.services.key_rotation import encrypted_columns


def _store_secrets(app):
    with app.app_context():
        settings = SiteSettings.get()
        settings.smtp_password_encrypted = crypto.encrypt("smtp-pass-🔑")
        settings.sendgrid_api_key_encrypted = crypto.encrypt("SG.key")
        db.session.commit()


def _stored(app):
    with app.app_context():
        settings = SiteSettings.get()
        return settings.smtp_password_encrypted, settings.sendgrid_api_key_encrypted


def test_secret_columns_are_found_in_the_models():
    names = {f"{table.name}.{column.name}" for table, column in encrypted_columns()}
    assert {"site_settings.smtp_password_encrypted", "site_settings.sendgrid_api_key_encrypted"} <= names


def test_rotation_moves_every_secret_to_the_new_key_once(make_app):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    _store_secrets(make_app(STATUSMAIL_ENCRYPTION_KEY=old_key))
    rotated_app = make_app(STATUSMAIL_ENCRYPTION_KEY=f"{new_key},{old_key}")
    runner = rotated_app.test_cli_runner()

    first = runner.invoke(args=["rotate-encryption-key"])
    assert first.exit_code == 0, first.output
    assert "Re-encrypted 2 stored secrets" in first.output
    for ciphertext, plaintext in zip(_stored(rotated_app), ("smtp-pass-🔑", "SG.key")):
        assert Fernet(new_key.encode()).decrypt(ciphertext.encode()).decode() == plaintext
        try:
            Fernet(old_key.encode()).decrypt(ciphertext.encode())
        except InvalidToken:
            pass
        else:
            raise AssertionError("a secret still opens with the old key")

    before = _stored(rotated_app)
    second = runner.invoke(args=["rotate-encryption-key"])
    assert second.exit_code == 0 and "Re-encrypted 0 stored secrets" in second.output
    assert "2 already used it" in second.output
    assert _stored(rotated_app) == before

    # The old key can go: the app reads every secret with the new key alone.
    with make_app(STATUSMAIL_ENCRYPTION_KEY=new_key).app_context():
        assert crypto.decrypt(SiteSettings.get().smtp_password_encrypted) == "smtp-pass-🔑"


def test_a_secret_no_key_reads_is_reported_and_left_alone(make_app):
    lost_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    _store_secrets(make_app(STATUSMAIL_ENCRYPTION_KEY=lost_key))
    before = _stored(make_app())
    app = make_app(STATUSMAIL_ENCRYPTION_KEY=new_key)
    result = app.test_cli_runner().invoke(args=["rotate-encryption-key"])
    assert result.exit_code != 0
    assert "2 stored secret(s) cannot be decrypted" in result.output
    assert _stored(app) == before
