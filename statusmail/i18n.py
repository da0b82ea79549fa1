"""Subscriber-facing pages and mails in the status page's language (Flask-Babel).

English is the source language: the msgids are English, so English needs no catalogue.
Other languages are ``translations/<code>/LC_MESSAGES/messages.po`` (see README,
"Translating"); :func:`compile_catalogues` builds the ``.mo`` files Flask-Babel reads at
start-up, so only the ``.po`` files are kept in git.

The language is the settings row's ``language``. In a request it is read once, with the
row the request already holds (``request_settings``); Flask-Babel then keeps it for the
request. Workers and the scheduler live in one long app context: :func:`forget_locale`
runs before each job and after each scheduler task, so a language saved in the admin
reaches the next mail, not the next restart.
"""
import logging
import os

import flask_babel
from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app

log = logging.getLogger(__name__)

SOURCE_LANGUAGE = "en"
DOMAIN = "messages"


def init_app(app):
    """One Babel per app: its catalogue cache is per app (tests point apps at their own)."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", SOURCE_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES",
                          os.path.join(app.root_path, "translations"))
    babel = flask_babel.Babel()
    babel.init_app(app, locale_selector=select_locale)
    directories = flask_babel.get_babel(app).translation_directories
    for directory in directories:
        compile_catalogues(directory)
    # Read once: a new catalogue is compiled, and offered, when the processes restart.
    app.extensions["statusmail_languages"] = _scan(directories)


def select_locale():
    from .services.request_settings import current_settings
    language = current_settings().language or SOURCE_LANGUAGE
    return language if language in available_languages() else SOURCE_LANGUAGE


def forget_locale():
    """Make the next translated string read the language setting again."""
    flask_babel.refresh()


def available_languages():
    """``{code: name in its own language}``: English and every compiled catalogue."""
    return current_app.extensions["statusmail_languages"]


def _scan(directories):
    found = {SOURCE_LANGUAGE: _display_name(SOURCE_LANGUAGE)}
    for directory in directories:
        if not os.path.isdir(directory):
            continue
        for code in sorted(os.listdir(directory)):
            if os.path.isfile(os.path.join(directory, code, "LC_MESSAGES", DOMAIN + ".mo")):
                name = _display_name(code)
                if name:
                    found.setdefault(code, name)
    return found


def _display_name(code):
    try:
        locale = Locale.parse(code)
    except (ValueError, UnknownLocaleError):
        return None
    name = locale.get_display_name(locale) or code
    return name[:1].upper() + name[1:]


def compile_catalogues(directory):
    """Compile every ``<code>/LC_MESSAGES/messages.po`` whose ``.mo`` is missing or older.

    Written to a temporary file and renamed, so processes starting together never read a
    half-written catalogue. A directory the process cannot write is reported, not fatal:
    the languages compiled there stay available.
    """
    if not os.path.isdir(directory):
        return
    for code in os.listdir(directory):
        po_path = os.path.join(directory, code, "LC_MESSAGES", DOMAIN + ".po")
        mo_path = po_path[:-3] + ".mo"
        if not os.path.isfile(po_path):
            continue
        if os.path.isfile(mo_path) and os.path.getmtime(mo_path) >= os.path.getmtime(po_path):
            continue
        try:
            with open(po_path, "rb") as po_file:
                catalog = read_po(po_file, locale=code)
            temporary = f"{mo_path}.{os.getpid()}.tmp"
            with open(temporary, "wb") as mo_file:
                write_mo(mo_file, catalog)
            os.replace(temporary, mo_path)
        except (OSError, ValueError, UnknownLocaleError) as exc:
            log.warning("Could not compile the %s catalogue %s: %s", code, po_path, exc)


def language_choices():
    """``[(code, name)]`` for the settings form, English first."""
    return list(available_languages().items())


def html_lang():
    locale = flask_babel.get_locale()
    return str(locale).replace("_", "-") if locale else SOURCE_LANGUAGE
