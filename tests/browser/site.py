"""Every page of the site, found in the app's own URL map: a page added tomorrow is swept
tomorrow without anyone editing a list.

The only hand-kept part is what is *not* a page, each with its reason, here and nowhere
else; a GET route that cannot be built from the seeded rows is reported, not skipped.
"""
import itertools
import re
from dataclasses import dataclass

# Endpoints that are not pages a person opens, and why.
NOT_PAGES = {
    "static": "files (CSS, JS), not pages",
    "rq_dashboard.static": "rq-dashboard's own files, not pages",
    "rq_dashboard.favicon": "an icon, not a page",
    "admin.notification_progress": "JSON the delivery log's script polls",
    "admin.test_send_status": "JSON the test-send page's script polls",
    "admin.audience_preview": "JSON the audience preview's script asks for "
                              "(tests/browser/test_audience_preview_live.py)",
    "admin.captured_download": "an .eml download (tests/admin/test_captured.py checks it)",
    "admin.captured_raw": "a captured mail's raw source as plain text (tests/admin/"
                          "test_captured.py checks it)",
    "admin.subscriber_transfer_download": "a CSV download (tests/admin/test_subscriber_csv.py "
                                          "checks it)",
    "admin.subscriber_transfer_progress": "JSON the export/import page's script polls",
    "admin.captured_html": "a captured mail's HTML part, mail markup framed (sandboxed) by the "
                           "captured-mail page, which both sweeps open",
    "admin.mail_template_preview": "JSON the mail template page's script asks for "
                                   "(tests/browser/test_mail_templates_page.py)",
    "admin.mail_template_preview_html": "a sample mail's HTML part, framed (sandboxed) by the "
                                        "mail template page, which both sweeps open",
    "rq_dashboard.requeue_all": "an action rq-dashboard also answers on GET, refused without "
                                "a same-origin Origin (tests/admin/test_rq_dashboard.py)",
    "rq_dashboard.job_info": "JSON for rq-dashboard's script",
    "rq_dashboard.list_jobs": "JSON for rq-dashboard's script",
    "rq_dashboard.list_queues": "JSON for rq-dashboard's script",
    "rq_dashboard.list_workers": "JSON for rq-dashboard's script",
}
NOT_PAGE_PREFIXES = {
    "api.": "the JSON API: token-authenticated, no pages (tests/api covers it)",
    "ops.": "/healthz, /metrics and /favicon.ico, for load balancers, Prometheus and browsers, "
            "not people (tests/test_small_pages.py checks the icon)",
}
# Pages the form crawl opens but the phone and accessibility sweep leaves alone.
NOT_OUR_MARKUP = {
    "rq_dashboard.": "rq-dashboard's own Bootstrap UI, shipped by that package, not our "
                     "templates; the crawl still opens every one of its pages",
}

# URL parameters that are not rows: rq-dashboard's view options.
FIXED_VALUES = {"instance_number": [0], "queue_name": ["outbound"], "registry_name": ["finished"],
                "per_page": [10], "order": ["asc"], "page": [1],
                # Kinds of mail with a template page: a notice, the confirmation.
                "kind": ["incident_created", "maintenance_rescheduled", "confirm"]}


@dataclass(frozen=True)
class Page:
    endpoint: str
    url: str  # path and query, e.g. /admin/subscribers/3

    @property
    def ours(self):
        return not any(self.endpoint.startswith(prefix) for prefix in NOT_OUR_MARKUP)


def excluded_reason(endpoint):
    if endpoint in NOT_PAGES:
        return NOT_PAGES[endpoint]
    for prefix, reason in NOT_PAGE_PREFIXES.items():
        if endpoint.startswith(prefix):
            return reason
    return None


def discover_pages(app, seeded):
    """``(pages, unbuildable)``: every GET rule once per seeded row of its parameters,
    and the rules whose parameters no seeded row fills."""
    pages, unbuildable = [], []
    rules = sorted(app.url_map.iter_rules(), key=lambda rule: (_audience(rule.endpoint), rule.rule))
    for rule in rules:
        if "GET" not in rule.methods or excluded_reason(rule.endpoint):
            continue
        choices = {name: _values(name, rule, seeded) for name in sorted(rule.arguments)}
        missing = sorted(name for name, values in choices.items() if not values)
        if missing:
            unbuildable.append(f"{rule.rule} ({rule.endpoint}): no seeded value for "
                               + ", ".join(missing))
            continue
        for combination in itertools.product(*choices.values()):
            values = {**(rule.defaults or {}), **dict(zip(choices, combination))}
            built = rule.build(values, append_unknown=False)
            if built is None:
                unbuildable.append(f"{rule.rule} ({rule.endpoint}): build({values}) failed")
                continue
            pages.append(Page(rule.endpoint, built[1]))
    return _unique(pages), unbuildable


def _values(name, rule, seeded):
    if name == "token":
        # /confirm/<token>, /admin/reset-password/<token>: the token mailed for that link.
        purpose = re.search(r"([^/]+)/<token>", rule.rule).group(1)
        token = seeded.tokens.get(purpose)
        return [token] if token else []
    if name in FIXED_VALUES:
        return FIXED_VALUES[name]
    admin_only = seeded.admin_rows.get(name, []) if rule.endpoint.startswith("admin.") else []
    return list(seeded.rows.get(name, [])) + list(admin_only)


def _audience(endpoint):
    """Log in first, then the admin, then the public pages a subscriber meets."""
    if endpoint == "admin.login":
        return 0
    return 1 if endpoint.startswith(("admin.", "rq_dashboard.")) else 2


def _unique(pages):
    seen, unique = set(), []
    for page in pages:
        if page.url not in seen:
            seen.add(page.url)
            unique.append(page)
    return unique
