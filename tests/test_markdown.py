"""Markdown in messages: what it renders, and that nothing unsafe gets through.

The safety checks parse the output with the standard library's HTML parser (as a browser
would tokenise it) and require every tag, attribute and link scheme to be on the list;
Hypothesis mixes Markdown syntax with the classic XSS payloads.
"""
import os
from html.parser import HTMLParser
from urllib.parse import urlsplit

from hypothesis import HealthCheck, given, settings, strategies as st

from statusmail.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, URL_SCHEMES, to_html, to_text

PAYLOADS = [
    "<script>alert(1)</script>", "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>", "<iframe src=//evil.example>",
    "<a href=\"javascript:alert(1)\">x</a>", "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))", "[x](java\tscript:alert(1))", "[x](&#106;avascript:alert(1))",
    "[x](javascript&#58;alert(1))", "[x](%6Aavascript:alert(1))", "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", "<javascript:alert(1)>",
    "[x](file:///etc/passwd)", "![x](https://evil.example/track.png)",
    "[x](https://ok.example \"t\" onmouseover=alert(1))", "<style>*{}</style>",
    "<!-- comment -->", "<form action=//evil.example><button>go</button></form>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>", "`<script>`",
    "```\n<script>alert(1)</script>\n```", "[x]: javascript:alert(1)\n\n[y][x]",
    "<a href='//evil.example' target=_blank>x</a>", "<math><mi xlink:href=javascript:1>x",
]
MARKDOWN_BITS = ["**", "*", "_", "`", "[", "](", ")", "<", ">", "\n", "\n\n", "- ", "1. ",
                 "> ", "```", "    ", "&", "&#", ";", "\"", "'", "=", "javascript:", "http://a"]


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name == "rel" and tag == "a":
                continue
            if name not in ALLOWED_ATTRIBUTES.get(tag, ()):
                self.problems.append(f"attribute {name} on <{tag}>")
            if name == "href":
                scheme = urlsplit((value or "").strip()).scheme.lower()
                if scheme not in URL_SCHEMES:
                    self.problems.append(f"href {value!r}")

    handle_startendtag = handle_starttag


def unsafe_parts(html):
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.problems


def test_markdown_renders_links_emphasis_lists_and_code():
    html = to_html("We **know**, *roughly*: see [the notes](https://example.com/notes).\n\n"
                   "- one\n- two\n\n1. first\n2. second\n\nRun `fix --now`.")
    assert "<strong>know</strong>" in html and "<em>roughly</em>" in html
    assert '<a href="https://example.com/notes" rel="noopener noreferrer nofollow">' in html
    assert "<ul>\n<li>one</li>" in html and "<ol>\n<li>first</li>" in html
    assert "<code>fix --now</code>" in html
    assert unsafe_parts(html) == []


def test_plain_lines_read_as_before():
    assert to_html("Line one\nLine two") == "<p>Line one<br>\nLine two</p>\n"
    assert to_text("Line one\nLine two") == "Line one\nLine two"


def test_text_part_is_readable():
    text = to_text("We **know**: see [the notes](https://example.com/n) or "
                   "<https://example.com/auto>.\n\n- one\n- two\n  more\n\n3. third\n4. fourth"
                   "\n\n> quoted\n\n```\nSELECT 1;\n```\n\nBye.")
    assert text == ("We know: see the notes (https://example.com/n) or https://example.com/auto."
                    "\n\n- one\n- two\n  more\n\n3. third\n4. fourth\n\n> quoted\n\n"
                    "    SELECT 1;\n\nBye.")


def test_each_known_payload_is_neutralised():
    for payload in PAYLOADS:
        html = to_html(f"Before {payload} after")
        assert unsafe_parts(html) == [], (payload, html)
        assert "<script" not in html.lower() and "onerror=" not in html.replace(
            "onerror=alert(1)&gt;", ""), (payload, html)
    # Raw HTML shows as text, the way it was typed.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in to_html("<script>alert(1)</script>")


def test_no_link_with_a_dangerous_scheme_survives():
    for payload in PAYLOADS:
        for href in _hrefs(to_html(payload)):
            assert urlsplit(href).scheme.lower() in URL_SCHEMES, (payload, href)


def _hrefs(html):
    found = []

    class Links(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.extend(value for name, value in attrs if name == "href")

    Links().feed(html)
    return found


@settings(max_examples=int(os.environ.get("STATUSMAIL_MARKDOWN_EXAMPLES", "300")),
          derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(PAYLOADS), st.sampled_from(MARKDOWN_BITS),
                          st.text(max_size=12)), max_size=12))
def test_generated_mixtures_never_produce_unsafe_markup(pieces):
    source = "".join(pieces)
    html = to_html(source)
    assert unsafe_parts(html) == [], (source, html)
    for href in _hrefs(html):
        assert urlsplit(href.strip()).scheme.lower() in URL_SCHEMES, (source, href)
    to_text(source)  # never raises
