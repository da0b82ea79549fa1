"""Walk every page as a logged-in operator and submit every form found on it.

Each page is opened, its forms listed, and each form not yet submitted is filled in and
sent from a freshly loaded page (so that what one form changes, the next one sees). A
form is known by the page, where it posts and its button: the same form on the next row
of a list counts once. Forms that end a row (start, cancel, complete, resolve) go after
the others on their page; forms that delete or log out wait until every page is done.
"""
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from werkzeug.exceptions import HTTPException

from tests.browser.person import fill_form, submit_button

ENDS_A_ROW = ("start", "cancel", "complete", "resolve", "publish")
DESTROYS = ("delete", "remove", "revoke", "unsubscribe", "invalidate")
LAST = ("logout",)
FORM_ERRORS = ".has-error, .field .error, .flash-error, form .error"

_FORMS = """() => [...document.forms].map((form, index) => {
  const button = form.querySelector('button:not([type]), button[type=submit], input[type=submit]');
  return {index, method: (form.getAttribute('method') || 'get').toLowerCase(),
          action: form.action, layout: !!form.closest('header'),
          download: form.hasAttribute('data-download'),
          button: button ? (button.textContent || button.value).trim().replace(/\\s+/g, ' ') : null};
})"""
_STRAY_ATTRIBUTES = """() => [...document.querySelectorAll('*')].flatMap(el =>
  [...el.attributes].filter(a => a.value === 'None' || a.value === 'False')
    .map(a => `<${el.tagName.toLowerCase()} name=${el.getAttribute('name')}> ${a.name}="${a.value}"`))"""


@dataclass
class Crawl:
    app: object
    page: object
    upload_path: str
    findings: list = field(default_factory=list)
    seen: dict = field(default_factory=dict)  # form key → where it was first seen
    submitted: set = field(default_factory=set)
    deferred: list = field(default_factory=list)  # (page, key) of forms that delete
    pages_visited: int = 0
    inputs_filled: int = 0

    def visit(self, page):
        """Open the page and submit its forms, re-opening it after each one."""
        sent_one = False
        while True:
            # A single-use page (a reset link) may rightly be gone once its form was sent.
            forms = self._open(page, gone_is_fine=sent_one)
            if forms is None:
                return
            todo = [form for form in forms if form["key"] not in self.submitted
                    and form["rank"] < 2]
            for form in forms:
                if form["rank"] >= 2 and form["key"] not in {k for _, k in self.deferred}:
                    self.deferred.append((page, form["key"]))
            if not todo:
                return
            self._submit(page, min(todo, key=lambda form: form["rank"]))
            sent_one = True

    def finish(self):
        """The forms that delete, then logging out."""
        for page, key in sorted(self.deferred, key=lambda item: item[1][1] == "admin.logout"):
            if key in self.submitted:
                continue
            forms = self._open(page)
            match = [form for form in forms or [] if form["key"] == key]
            if not match:
                self.findings.append(f"{page.url}: the form {key} seen earlier is gone")
                continue
            self._submit(page, match[0])

    def unsubmitted(self):
        return {key: where for key, where in self.seen.items() if key not in self.submitted}

    def _open(self, page, gone_is_fine=False):
        response = self.page.goto(self.base + page.url)
        self.pages_visited += 1
        status = response.status if response else None
        if status is None or status >= 400:
            if not (gone_is_fine and status and 400 <= status < 500):
                self.findings.append(f"GET {page.url}: status {status}")
            return None
        kind = response.headers.get("content-type", "")
        if not kind.startswith("text/html"):
            self.findings.append(f"GET {page.url}: {kind!r}, not a page (list it in site.py?)")
            return None
        for stray in self.page.evaluate(_STRAY_ATTRIBUTES):
            self.findings.append(f"{page.url}: {stray} (a None/False rendered as a value)")
        forms = self.page.evaluate(_FORMS)
        for form in forms:
            action = self._endpoint(form["action"], form["method"])
            label = re.sub(r"\d+", "N", form["button"] or "")
            form["key"] = ("layout" if form["layout"] else page.endpoint, action,
                           form["method"], label)
            form["rank"] = _rank(action + " " + urlsplit(form["action"]).path)
            self.seen.setdefault(form["key"], page.url)
        return forms

    def _submit(self, page, form):
        self.submitted.add(form["key"])
        where = f"{page.url} form {form['key'][1:]}"
        if form["button"] is None:
            self.findings.append(f"{where}: no button a person can press")
            return
        locator = self.page.locator("form").nth(form["index"])
        filled = fill_form(locator, page.endpoint, self.upload_path)
        self.inputs_filled += len(filled.filled)
        self.findings.extend(f"{where}: {finding}" for finding in filled.findings)
        invalid = locator.evaluate("f => [...f.elements].filter(e => e.willValidate && "
                                   "!e.checkValidity()).map(e => e.name + ': ' + e.validationMessage)")
        if invalid:
            self.findings.append(f"{where}: the browser refuses to send it: {invalid}")
            return
        if form["download"]:  # answered with a file (an export): the page stays
            with self.page.expect_download() as download:
                submit_button(locator).click()
            failure = download.value.failure()
            if failure:
                self.findings.append(f"{where}: the download failed: {failure}")
            return
        before = self._signature()
        with self.page.expect_navigation() as navigation:
            submit_button(locator).click()
        response = navigation.value
        status = response.status if response else None
        if status is None or status >= 400:
            self.findings.append(f"{where}: answered {status}: {self._text(FORM_ERRORS + ', h1')}")
            return
        errors = self._text(FORM_ERRORS)
        if errors:
            self.findings.append(f"{where}: error shown after submitting: {errors}")
            return
        moved = urlsplit(self.page.url).path != urlsplit(self.base + page.url).path
        told = self.page.locator(".flash, [role=status]").count() > 0
        if form["method"] == "post" and not (told or moved or self._signature() != before):
            self.findings.append(f"{where}: no sign it worked (no message, same page)")

    def _signature(self):
        """What a person sees change: the heading and the forms on offer."""
        return self.page.evaluate("() => [document.querySelector('h1')?.textContent, "
                                  "[...document.forms].map(f => f.action + f.method)]")

    def _text(self, selector):
        return " | ".join(text.strip() for text in self.page.locator(selector).all_text_contents()
                          if text.strip())

    def _endpoint(self, action, method):
        adapter = self.app.url_map.bind("localhost")
        try:
            endpoint, _ = adapter.match(urlsplit(action).path, method=method.upper())
        except HTTPException as exc:
            return f"no route ({exc.code}) for {method.upper()} {urlsplit(action).path}"
        return endpoint

    @property
    def base(self):
        return self.app.base_url


def _rank(where):
    """Where a form posts (endpoint and path) says what it does to the row."""
    name = where.rsplit(".", 1)[-1]
    if any(word in name for word in LAST):
        return 3
    if any(word in name for word in DESTROYS):
        return 2
    if any(word in name for word in ENDS_A_ROW):
        return 1
    return 0
