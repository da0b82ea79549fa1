"""The people the fuzzer posts as: a logged-in admin and an anonymous visitor, each a
test client with its own cookies, holding the CSRF tokens a real page would give them."""
from tests.support import web

from .html_forms import forms_on

FALLBACK_PAGES = {"admin": "/admin/", "anonymous": "/subscribe"}


class Visitor:
    def __init__(self, app, role):
        self.app, self.role = app, role
        self.client = app.test_client()
        self._tokens = {}
        if role == "admin":
            self.log_in()

    def log_in(self):
        web.login(self.client)
        self._tokens.clear()

    def csrf_for(self, route):
        """The token the route's own page hands out (the widget signs its own)."""
        if route.key not in self._tokens:
            pages = [form.page for form in route.forms] + [FALLBACK_PAGES[self.role]]
            self._tokens[route.key] = next(
                (token for page in pages for token in self._tokens_on(page, route)), "")
        return self._tokens[route.key]

    def _tokens_on(self, page, route):
        response = self.client.get(page)
        forms = forms_on(page, response.get_data(as_text=True))
        actions = {form.action for form in route.forms}
        ranked = sorted(forms, key=lambda form: form.action not in actions)
        for form in ranked:
            values = form.fields.get("csrf_token")
            if values and values.values:
                yield values.values[0]

    def after(self, response):
        """Log back in when a case ended the session (logout, an expired session)."""
        location = response.headers.get("Location", "")
        if self.role == "admin" and response.status_code in (301, 302, 303) \
                and "/admin/login" in location:
            self.log_in()
        elif self.role == "anonymous" and "/admin" in location and "login" not in location:
            # A fuzzed reset succeeded and logged this visitor in: start afresh.
            self.client = self.app.test_client()
            self._tokens.clear()
