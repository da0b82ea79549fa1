"""Every route the app serves, found by walking ``app.url_map``, each with what a request
to it needs: values for its URL variables and, for a route that takes a form, the
fields of the form(s) that post to it (read from the pages, as a browser would).

A route added tomorrow is in here without anyone writing a test for it.
"""
from collections import defaultdict
from dataclasses import dataclass, field

from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from .html_forms import forms_on

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class Route:
    rule: object
    methods: list
    # URL variable → values seen in links and form actions (plus world ids by name)
    variables: dict = field(default_factory=lambda: defaultdict(list))
    forms: list = field(default_factory=list)  # html_forms.Form posting here
    seen_by: set = field(default_factory=set)  # which clients saw a form posting here

    @property
    def key(self):
        return (self.rule.rule, self.rule.endpoint)

    @property
    def endpoint(self):
        return self.rule.endpoint

    @property
    def is_api(self):
        return self.rule.rule.startswith("/api/")

    def int_variables(self):
        return {name for name, converter in self.rule._converters.items()
                if isinstance(converter, IntegerConverter)}

    def field_names(self):
        return sorted({name for form in self.forms for name in form.fields})

    def known_values(self, name):
        return [value for form in self.forms if name in form.fields
                for value in form.fields[name].values]

    def kind(self, name):
        return next((form.fields[name].kind for form in self.forms if name in form.fields),
                    "text")

    @property
    def client_role(self):
        """Who posts here: the admin, unless only a visitor ever sees the form (login)."""
        return "anonymous" if self.seen_by == {"anonymous"} else "admin"

    def multipart(self):
        return any("multipart" in form.enctype for form in self.forms)


class Catalogue:
    def __init__(self, app, world):
        self.app, self.world = app, world
        self.routes = {}
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static" or rule.rule.endswith("/static/<path:filename>"):
                continue
            methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
            self.routes[id(rule)] = Route(rule, methods)
        for endpoint, paths in world.links.items():
            for path in paths:
                self._note_path(path, "GET")

    def state_changing(self, api):
        return [route for route in self.routes.values()
                if STATE_CHANGING & set(route.methods) and route.is_api == api]

    def readable(self):
        return [route for route in self.routes.values() if "GET" in route.methods]

    def sample_path(self, route):
        """A concrete path for the route from the first values known for its variables."""
        values = {}
        for name in route.rule.arguments:
            known = route.variables.get(name) or self.world.ids.get(name) or [1]
            values[name] = known[0]
        return route.rule.build(values, append_unknown=False)[1]

    def crawl(self, clients):
        """GET every page each client can see and note the forms they offer."""
        for who, client in clients.items():
            for route in self.readable():
                if route.is_api or route.rule.rule.startswith("/admin/rq/"):
                    continue
                try:
                    path = self.sample_path(route)
                except (KeyError, ValueError):
                    continue
                with client.get(path) as response:  # a file answer (/favicon.ico) holds it open
                    page = (response.get_data(as_text=True) if response.status_code == 200
                            and "html" in response.content_type else None)
                if page is None:
                    continue
                for form in forms_on(path, page):
                    target = self._note_path(form.action, form.method)
                    if target is not None and form.method != "GET":
                        target.forms.append(form)
                        target.seen_by.add(who)
        return self

    def _note_path(self, path, method):
        adapter = self.app.url_map.bind("localhost")
        try:
            rule, values = adapter.match(path, method=method, return_rule=True)
        except HTTPException:
            return None
        route = self.routes.get(id(rule))
        if route is not None:
            for name, value in values.items():
                if value not in route.variables[name]:
                    route.variables[name].append(value)
        return route
