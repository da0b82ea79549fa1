import pytest

from tests.i18n.catalogues import write_catalogue

# A few of the msgids the status page, the subscribe and confirm pages and the
# confirmation mail use, in German.
GERMAN = {
    "All systems operational": "Alle Systeme funktionieren",
    "Get notified": "Benachrichtigt werden",
    "Times are shown in %(zone_name)s.": "Zeiten in %(zone_name)s.",
    "Get %(site_name)s updates by email": "%(site_name)s-Meldungen per E-Mail",
    "Subscribe": "Abonnieren",
    "Email address": "E-Mail-Adresse",
    "Check your inbox": "Sehen Sie in Ihrem Posteingang nach",
    "Confirm your subscription": "Abonnement bestätigen",
    "Confirm subscription": "Jetzt bestätigen",
    "You are subscribed": "Sie sind angemeldet",
    "Confirm your subscription to %(site_name)s": "Bestätigen Sie Ihr Abonnement bei %(site_name)s",
    "Hello,": "Hallo,",
    "Confirm your subscription by opening this link:":
        "Bestätigen Sie Ihr Abonnement mit diesem Link:",
    ("The link works for %(count)s hour.", "The link works for %(count)s hours."):
        ("Der Link gilt %(count)s Stunde.", "Der Link gilt %(count)s Stunden."),
}


@pytest.fixture
def translations(tmp_path):
    directory = tmp_path / "translations"
    write_catalogue(str(directory), "de", GERMAN)
    return directory


@pytest.fixture
def app(make_app, translations):
    """The app, reading its catalogues from the test's translations directory."""
    return make_app(BABEL_TRANSLATION_DIRECTORIES=str(translations))


def set_language(app, language, **fields):
    from statusmail.extensions import db
    from statusmail.models import SiteSettings
    with app.app_context():
        settings = SiteSettings.get()
        settings.language = language
        for name, value in fields.items():
            setattr(settings, name, value)
        db.session.commit()
