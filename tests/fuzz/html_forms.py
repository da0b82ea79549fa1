"""The forms a page offers, read from its HTML: where each posts, and its fields with the
values a person could pick (defaults, options). The fuzzer starts from these."""
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit


@dataclass
class FormField:
    name: str
    kind: str  # input type, "select", "textarea"
    values: list = field(default_factory=list)  # defaults and options seen


@dataclass
class Form:
    page: str  # the page it was found on (GET it again for a fresh CSRF token)
    action: str  # path
    method: str
    enctype: str
    fields: dict = field(default_factory=dict)

    def add(self, name, kind, value=None):
        entry = self.fields.setdefault(name, FormField(name, kind))
        if value is not None and value not in entry.values:
            entry.values.append(value)


class _FormParser(HTMLParser):
    def __init__(self, page):
        super().__init__(convert_charrefs=True)
        self.page, self.forms, self._form, self._select, self._textarea = page, [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            action = urlsplit(urljoin(self.page, attrs.get("action") or self.page)).path
            self._form = Form(self.page, action, (attrs.get("method") or "get").upper(),
                              attrs.get("enctype") or "application/x-www-form-urlencoded")
            self.forms.append(self._form)
        elif self._form is None or not attrs.get("name") and tag in ("input", "select",
                                                                          "textarea"):
            return
        elif tag == "input":
            self._form.add(attrs["name"], (attrs.get("type") or "text").lower(),
                           attrs.get("value"))
        elif tag == "select":
            self._select = attrs["name"]
            self._form.add(self._select, "select")
        elif tag == "option" and self._select:
            self._form.add(self._select, "select", attrs.get("value", ""))
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self._form.add(self._textarea, "textarea")

    def handle_data(self, data):
        if self._form is not None and self._textarea and data.strip():
            self._form.add(self._textarea, "textarea", data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_on(page, html):
    parser = _FormParser(page)
    parser.feed(html)
    return parser.forms
