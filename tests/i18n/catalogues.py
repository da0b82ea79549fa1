"""Real catalogues for tests: a .po written with Babel's catalogue API and compiled to the
.mo Flask-Babel reads, in a translations directory of the test's own."""
import os

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATE = os.path.join(ROOT, "statusmail", "translations", "messages.pot")


def write_catalogue(directory, language, messages):
    """``messages``: ``{msgid: msgstr}``, or ``{(singular, plural): (form, …)}``.

    Writes the .po (as a translator would) and leaves its compiling to the app, which
    compiles a catalogue without an up-to-date .mo as it starts."""
    catalog = Catalog(locale=language, domain="messages")
    for msgid, msgstr in messages.items():
        catalog.add(msgid, msgstr, flags=("python-format",) if "%(" in str(msgid) else ())
    folder = os.path.join(directory, language, "LC_MESSAGES")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "messages.po"), "wb") as po_file:
        write_po(po_file, catalog)
    return folder


def compile_catalogue(folder):
    with open(os.path.join(folder, "messages.po"), "rb") as po_file:
        catalog = read_po(po_file)
    with open(os.path.join(folder, "messages.mo"), "wb") as mo_file:
        write_mo(mo_file, catalog)


def template_messages():
    with open(TEMPLATE, "rb") as pot:
        return [message for message in read_po(pot) if message.id]


OPEN, CLOSE = "⟦", "⟧"


def pseudo_catalogue(directory, language="de"):
    """Every msgid of the committed template, translated as itself between ⟦ and ⟧: a page
    in this "language" shows at once which of its words never went through the catalogue."""
    def wrap(text):
        return f"{OPEN}{text}{CLOSE}"
    messages = {}
    for message in template_messages():
        if isinstance(message.id, tuple):
            messages[message.id] = (wrap(message.id[0]), wrap(message.id[1]))
        else:
            messages[message.id] = wrap(message.id)
    return write_catalogue(directory, language, messages)
