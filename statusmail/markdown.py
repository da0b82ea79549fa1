"""Markdown in incident, update and maintenance messages: parsed by markdown-it-py,
cleaned by nh3 (Ammonia), never by hand.

Two outputs from one parse:

- :func:`to_html` for the status page, the admin and the HTML mail. Raw HTML in the
  source is not markup (markdown-it's ``html`` option is off: it shows as text), images
  are not parsed (no remote loads from a mail or past the CSP), and the result goes
  through nh3 with a short allow-list: even if the parser ever let something through,
  no script, no event attribute and no ``javascript:``/``data:`` link reaches a page.
  Links must be absolute (``https://…``, ``mailto:``): a relative one means nothing in a
  mail, so it loses its ``href``.
- :func:`to_text` for the mail's text part: the same document as readable plain text
  (list bullets and numbers, "text (URL)" for links, code indented), rendered from
  markdown-it's tokens.

Single line breaks are kept (``breaks``): messages written before Markdown, as plain
lines, read as they did.
"""
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = {"p", "br", "strong", "em", "s", "del", "code", "pre", "ul", "ol", "li", "a",
                "blockquote", "hr", "h1", "h2", "h3", "h4", "h5", "h6"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow"


@lru_cache(maxsize=1)
def _parser():
    return (MarkdownIt("commonmark", {"html": False, "breaks": True})
            .disable("image").enable("strikethrough"))


def sanitize(html):
    """nh3 with our allow-list: the last word on what markup may reach a page or a mail."""
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes=URL_SCHEMES, url_relative="deny", link_rel=LINK_REL,
                     strip_comments=True)


def to_html(text):
    """Safe HTML for ``text`` (``Markup``, so Jinja does not escape it again)."""
    if not text:
        return Markup("")
    return Markup(sanitize(_parser().render(text)))


def to_text(text):
    """``text`` as plain text for a mail's text part."""
    if not text:
        return ""
    lines = _TextRenderer().render(_parser().parse(text))
    return "\n".join(lines).strip("\n")


class _TextRenderer:
    """Block tokens to lines: paragraphs separated by a blank line, list items prefixed
    with "-" or their number, quotes with "> ", code indented by four spaces."""

    def __init__(self):
        self.lines = []
        self.prefixes = []  # one per open list item / quote: what starts its lines
        self.lists = []  # [next number or None] per open list
        self.first_line_prefix = None

    def render(self, tokens):
        for token in tokens:
            handler = getattr(self, "_" + token.type, None)
            if handler is not None:
                handler(token)
        return self.lines

    def _emit(self, text):
        for line in text.split("\n"):
            if self.first_line_prefix is not None:
                lead, self.first_line_prefix = self.first_line_prefix, None
            else:
                lead = "".join(self.prefixes)
            self.lines.append((lead + line).rstrip())

    def _blank(self):
        if self.lines and self.lines[-1].strip(" >") and not self.lists:
            self.lines.append("".join(p for p in self.prefixes if p.startswith(">")).rstrip())

    def _inline(self, token):
        self._emit(_inline_text(token.children or []))

    def _paragraph_close(self, _token):
        self._blank()

    def _heading_close(self, _token):
        self._blank()

    def _bullet_list_open(self, _token):
        self.lists.append(None)

    def _ordered_list_open(self, token):
        self.lists.append(int(token.attrGet("start") or 1))

    def _bullet_list_close(self, _token):
        self.lists.pop()
        self._blank()

    _ordered_list_close = _bullet_list_close

    def _list_item_open(self, _token):
        number = self.lists[-1]
        marker = "- " if number is None else f"{number}. "
        if number is not None:
            self.lists[-1] = number + 1
        self.first_line_prefix = "".join(self.prefixes) + marker
        self.prefixes.append(" " * len(marker))

    def _list_item_close(self, _token):
        self.prefixes.pop()

    def _blockquote_open(self, _token):
        self.prefixes.append("> ")

    def _blockquote_close(self, _token):
        self.prefixes.pop()
        if self.lines and self.lines[-1].strip() == ">":
            self.lines[-1] = "".join(self.prefixes).rstrip()
        else:
            self._blank()

    def _code_block(self, token):
        self._emit("\n".join("    " + line for line in token.content.rstrip("\n").split("\n")))
        self._blank()

    _fence = _code_block

    def _hr(self, _token):
        self._emit("----")
        self._blank()


def _inline_text(children):
    parts, links = [], []
    for child in children:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "link_open":
            links.append((len(parts), child.attrGet("href") or ""))
        elif child.type == "link_close" and links:
            start, href = links.pop()
            label = "".join(parts[start:])
            if href and href not in (label, "mailto:" + label):
                parts.append(f" ({href})")
    return "".join(parts)
