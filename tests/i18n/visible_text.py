"""What a person reads on a page or in a mail, and the part of it no catalogue wrote.

Under the pseudo catalogue (:func:`~tests.i18n.catalogues.pseudo_catalogue`) every
translated string stands between ⟦ and ⟧. Whatever is left outside them must be data: the
facts the test put into the world (names, titles, addresses), links, times, numbers and
punctuation. Any other word is English that skipped the catalogue.
"""
import re
from html.parser import HTMLParser

from tests.i18n.catalogues import CLOSE, OPEN

SHOWN_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label")
HIDDEN_ELEMENTS = ("script", "style")
DATA_PATTERNS = [
    re.compile(r"https?://\S+"),
    re.compile(r"[\w.+•*-]+@[\w.-]+"),                       # addresses, masked ones too
    re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}( [A-Z]{2,5}|[+-]\d{2}:?\d{2})?)?"),
    re.compile(r"\b(UTC|GMT)\b"),
    re.compile(r"[A-Z][a-z]+/[A-Za-z_]+"),                   # time zone names
    re.compile(r"\d+"),
]
PUNCTUATION = re.compile(r"[\W_]+")


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self._hidden = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN_ELEMENTS:
            self._hidden += 1
        for name, value in attrs:
            if name in SHOWN_ATTRIBUTES and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in HIDDEN_ELEMENTS:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def html_text(html):
    parser = _Text()
    parser.feed(html)
    parser.close()
    return "\n".join(parser.parts)


def _outside_markers(text):
    """The characters of ``text`` outside every ⟦…⟧ (which may nest: a translated
    label inside a translated sentence)."""
    depth, kept = 0, []
    for char in text:
        if char == OPEN:
            depth += 1
        elif char == CLOSE:
            depth = max(depth - 1, 0)
        elif depth == 0:
            kept.append(char)
    return "".join(kept)


def untranslated(text, data=()):
    """The words of ``text`` that neither a catalogue nor the data explains."""
    rest = _outside_markers(text)
    for value in sorted(data, key=len, reverse=True):
        rest = rest.replace(value, " ")
    for pattern in DATA_PATTERNS:
        rest = pattern.sub(" ", rest)
    return [word for word in PUNCTUATION.split(rest) if word]
