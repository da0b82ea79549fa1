"""Fill in a form the way a person does: type into every field they can see, pick an
option, tick the boxes, choose a file, press the button.

Values come from each field's type and attributes (min, max, maxlength, options), and
from a short table for names whose meaning the type does not tell (a login password, the
SMTP host the TLS exception must name). A field a person cannot fill is a finding.
"""
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from tests.support import web

# A key a person would paste on the DKIM page: made fresh for each test run.
PASTED_DKIM_KEY = ed25519.Ed25519PrivateKey.generate().private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
    serialization.NoEncryption()).decode()

# name → value, or (endpoint, name) → value where one page means something else by it.
FIELD_VALUES = {
    ("admin.login", "email"): web.ADMIN_EMAIL,
    ("admin.login", "password"): web.ADMIN_PASSWORD,
    ("admin.forgot_password", "email"): web.ADMIN_EMAIL,
    ("admin.reset_password", "password"): "a brand new passphrase",
    ("admin.reset_password", "confirm"): "a brand new passphrase",
    # Changed to itself: the crawl (and the tests after it) still log in with it.
    ("admin.change_password", "current_password"): web.ADMIN_PASSWORD,
    ("admin.change_password", "password"): web.ADMIN_PASSWORD,
    ("admin.change_password", "confirm"): web.ADMIN_PASSWORD,
    # The address changed to itself, for the same reason.
    ("admin.change_email", "email"): web.ADMIN_EMAIL,
    ("admin.change_email", "current_password"): web.ADMIN_PASSWORD,
    ("admin.accept_invitation", "password"): "an invited passphrase",
    ("admin.accept_invitation", "confirm"): "an invited passphrase",
    # The first row's role form is the crawler's own: it stays an owner (demoting itself
    # would end the crawl's access; tests/admin/test_team.py demotes one on purpose).
    ("admin.users", "role"): "owner",
    "provider": "capture",  # the other providers need a server that answers
    "smtp_host": "smtp.example.com",
    "smtp_tls_unverified_host": "smtp.example.com",  # must name the host above
    "smtp_port": "587",
    "timezone": "Europe/Berlin",
    "list_id": "status.example.com",
    "from_address": "status@example.com",
    "reply_to": "replies@example.com",
    "recipient": "ops@example.com",
    "q": "example",
    "accent_color": "#2563eb",
    "website": "",  # the sign-up honeypot: people never see it
    # What SendGrid's Event Webhook settings show: a P-256 public key (base64 DER).
    ("admin.event_webhook", "public_key"):
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE0xwoAH2DtMVtBEdA5QPsCBMi"
        "9wrySYDXffwtpyS4+zNflVeVLiKb6JJHsEvt+s3c4HxOrSoaTiv6x0H1AeoAhw==",
    # DKIM: a domain and a selector per form (each new key needs its own), a real key.
    ("admin.dkim", "generate-domain"): "example.com",
    ("admin.dkim", "generate-selector"): "crawl1",
    ("admin.dkim", "paste-domain"): "example.com",
    ("admin.dkim", "paste-selector"): "crawl2",
    ("admin.dkim", "paste-private_key"): PASTED_DKIM_KEY,
}
# Boxes whose tick means "throw something away" rather than "yes": a person filling in
# the rest of the form leaves them alone.
LEAVE_UNTICKED = ("remove_",)
# Fields the page locks on purpose, and why. Any other field a person cannot type in fails.
LOCKED_ON_PURPOSE = {
    ("admin.edit_maintenance", "starts_at"): "a window in progress has already started",
    # A pending, unsubscribed or bounced subscription's preferences cannot be saved: the
    # page locks them and offers the confirmation mail or subscribing again instead
    # (tests/public/test_manage_honesty.py checks a confirmed one's stay open).
    **{("public.manage", name): "only a confirmed subscription's preferences can be saved"
       for name in ("notify_incidents", "notify_maintenance", "notify_component_changes",
                    "scope", "components")},
}
CSV_UPLOAD = b"email\nimported-in-browser@example.net\n"

# A form inside a closed <details> ("Already subscribed? Email me my manage link") is
# what a person opens by its summary before typing.
_OPEN_DISCLOSURES = """form => {
  for (let d = form.closest('details'); d; d = d.parentElement && d.parentElement.closest('details'))
    if (!d.open) d.querySelector(':scope > summary').click();
}"""

_DESCRIBE = """form => [...form.elements].filter(e => e.name).map(e => {
  const box = e.getBoundingClientRect();
  return {
    name: e.name, tag: e.tagName.toLowerCase(), type: (e.type || '').toLowerCase(),
    readonly: e.readOnly === true, disabled: e.disabled === true,
    visible: !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length)
             && box.right > 0 && box.bottom > 0 && !e.closest('[aria-hidden=true]')
             && getComputedStyle(e).visibility !== 'hidden',
    min: e.getAttribute('min'), max: e.getAttribute('max'),
    maxlength: e.maxLength > 0 ? e.maxLength : null,
    value: e.value, checked: !!e.checked,
    options: e.tagName === 'SELECT'
      ? [...e.options].filter(o => !o.disabled).map(o => ({value: o.value, selected: o.selected}))
      : null,
  };
})"""

_counter = itertools.count(1)


@dataclass
class FilledForm:
    filled: list = field(default_factory=list)  # field names a value was typed/picked for
    findings: list = field(default_factory=list)  # what a person could not do


def fill_form(form, endpoint, upload_path):
    """Fill every control of a form locator as a person would; returns what was done."""
    result = FilledForm()
    form.evaluate(_OPEN_DISCLOSURES)
    controls = form.evaluate(_DESCRIBE)
    radios_done = set()
    for index, control in enumerate(controls):
        name, kind = control["name"], control["type"]
        if control["tag"] == "button" or kind in ("hidden", "submit", "button", "reset"):
            continue
        if not control["visible"]:
            continue
        locator = form.locator(f"[name='{name}']").nth(_nth_of_name(controls, index))
        if control["readonly"] or control["disabled"]:
            if (endpoint, name) not in LOCKED_ON_PURPOSE:
                result.findings.append(f"field {name!r} is {'read-only' if control['readonly'] else 'disabled'}: "
                                       "a person cannot fill it")
            continue
        try:
            if kind == "checkbox":
                if not name.startswith(LEAVE_UNTICKED):
                    locator.check()
                    result.filled.append(name)
            elif kind == "radio":
                if name not in radios_done:
                    radios_done.add(name)
                    _pick_radio(form, controls, name, endpoint)
                    result.filled.append(name)
            elif kind == "file":
                locator.set_input_files(upload_path)
                result.filled.append(name)
            elif control["tag"] == "select":
                _pick_option(locator, control, endpoint)
                result.filled.append(name)
            else:
                locator.fill(value_for(control, endpoint))
                result.filled.append(name)
        except Exception as exc:  # Playwright refuses what a person cannot do: report it
            result.findings.append(f"field {name!r}: {str(exc).splitlines()[0]}")
    return result


def _nth_of_name(controls, index):
    name = controls[index]["name"]
    return sum(1 for control in controls[:index] if control["name"] == name)


def value_for(control, endpoint):
    """A valid value for a text-like control, from the table or from its type."""
    name, kind = control["name"], control["type"]
    for key in ((endpoint, name), name):
        if key in FIELD_VALUES:
            return FIELD_VALUES[key]
    n = next(_counter)
    if kind == "email":
        value = f"person{n}@example.net"
    elif kind == "number":
        low = int(control["min"]) if control["min"] not in (None, "") else 1
        high = int(control["max"]) if control["max"] not in (None, "") else low + 10
        value = str(min(max(low, 5), high))
    elif kind == "datetime-local":
        # Starts before ends: the form's fields come in that order on every page. A field
        # with a latest time (a past incident's) gets a time before it, days ago.
        if control["max"]:
            latest = datetime.strptime(control["max"], "%Y-%m-%dT%H:%M")
            when = latest - timedelta(days=3) + timedelta(minutes=n)
        else:
            when = datetime.now() + timedelta(days=3, hours=n)
        value = when.strftime("%Y-%m-%dT%H:%M")
    elif kind == "date":
        value = (datetime.now() + timedelta(days=3)).strftime("%Y-%m-%d")
    elif kind == "url":
        value = "https://status.example.com/"
    elif kind == "password":
        value = f"typed passphrase {n}"
    elif control["tag"] == "textarea":
        value = f"Typed by a person in a browser ({n})."
    else:
        value = f"Typed in a browser {n}"
    if control["maxlength"]:
        value = value[:control["maxlength"]]
    return value


def _pick_option(locator, control, endpoint):
    wanted = FIELD_VALUES.get((endpoint, control["name"]), FIELD_VALUES.get(control["name"]))
    options = [option["value"] for option in control["options"]]
    if wanted is None:
        # Another choice than the one shown, as a person changing it would.
        fresh = [o["value"] for o in control["options"] if o["value"] and not o["selected"]]
        wanted = (fresh or [o for o in options if o] or options)[0]
    locator.select_option(wanted)


def _pick_radio(form, controls, name, endpoint):
    wanted = FIELD_VALUES.get((endpoint, name), FIELD_VALUES.get(name))
    if wanted is None:
        choices = [c for c in controls if c["name"] == name and c["type"] == "radio"]
        unchecked = [c["value"] for c in choices if not c["checked"]]
        wanted = (unchecked or [choices[0]["value"]])[0]
    form.locator(f"input[type=radio][name='{name}'][value='{wanted}']").check()


def submit_button(form):
    """The button a person presses: the form's first submit button."""
    return form.locator("button:not([type]), button[type=submit], input[type=submit]").first
