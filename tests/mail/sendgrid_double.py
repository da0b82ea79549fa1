"""A stand-in for SendGrid's v3 Mail Send API on loopback, checking requests as SendGrid does.

It answers 202 with an ``X-Message-Id`` for a well-formed request carrying the expected key,
401 with SendGrid's error JSON for another key, 413 beyond 30 MB, and 400 naming each field
a malformed request breaks the way SendGrid names them (``personalizations.3.to.0.email``),
sending nothing. The rules are those of SendGrid's v3 reference: at most 1,000
personalizations and 1,000 recipients in all of them, addresses unique within a
personalization, headers and custom_args of strings with no reserved header names,
substitutions of strings within 10,000 bytes per personalization, custom_args within
10,000 bytes.

Faults a test scripts: ``answers`` (statuses to give the next requests instead, e.g.
``(429, [...])``), ``refused_recipients`` (addresses refused as SendGrid refuses an
invalid one), ``before_answer`` (called with the request's number and payload; it may
block, as a slow API would), and ``latency`` (``(low, high)`` seconds, drawn per request).
"""
import collections
import json
import random
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RESERVED_HEADERS = {"x-sg-id", "x-sg-eid", "received", "dkim-signature", "content-type",
                    "content-transfer-encoding", "to", "from", "subject", "reply-to", "cc", "bcc"}
AUTH_ERROR = "The provided authorization grant is invalid, expired, or revoked"
INVALID_ADDRESS = "Does not contain a valid address."
MAX_PERSONALIZATIONS = 1000
MAX_RECIPIENTS = 1000
MAX_SUBSTITUTION_BYTES = 10_000
MAX_CUSTOM_ARGS_BYTES = 10_000
MAX_REQUEST_BYTES = 30 * 1024 * 1024
_BARE_ADDRESS = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[a-z]+", re.IGNORECASE)


def _address(value):
    return isinstance(value, dict) and bool(_BARE_ADDRESS.fullmatch(value.get("email", "")))


def _strings(value):
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str)
                                           for k, v in value.items())


def _size(mapping):
    return sum(len(k.encode()) + len(v.encode()) for k, v in mapping.items())


def _header_errors(field, headers):
    if not _strings(headers):
        return [(field, "Headers must be an object of strings.")]
    reserved = sorted(RESERVED_HEADERS & {name.lower() for name in headers})
    if reserved:
        return [(field, "These headers are reserved: " + ", ".join(reserved))]
    return []


def _personalization_errors(index, person, refused, has_subject):
    field = f"personalizations.{index}"
    if not isinstance(person, dict):
        return [(field, "Each personalization must be an object.")]
    found, seen = [], set()
    for kind in ("to", "cc", "bcc"):
        entries = person.get(kind, [])
        if kind == "to" and (not isinstance(entries, list) or not entries):
            found.append((f"{field}.to", "The to array is required for all personalization "
                                         "objects, and must have at least one email object "
                                         "with a valid email address."))
            continue
        for position, entry in enumerate(entries if isinstance(entries, list) else []):
            email = entry.get("email", "") if isinstance(entry, dict) else ""
            if not _address(entry) or email.lower() in refused:
                found.append((f"{field}.{kind}.{position}.email", INVALID_ADDRESS))
            elif email.lower() in seen:
                found.append((f"{field}.{kind}.{position}.email",
                              "Each email address in the personalization block should be "
                              "unique between to, cc, and bcc."))
            seen.add(email.lower())
    if "headers" in person:
        found += _header_errors(f"{field}.headers", person["headers"])
    if "substitutions" in person:
        subs = person["substitutions"]
        if not _strings(subs):
            found.append((f"{field}.substitutions", "Substitutions must be strings."))
        elif _size(subs) > MAX_SUBSTITUTION_BYTES:
            found.append((f"{field}.substitutions", "The total size of substitutions may not "
                                                    "exceed 10,000 bytes per personalization."))
    if "custom_args" in person:
        args = person["custom_args"]
        if not _strings(args):
            found.append((f"{field}.custom_args", "Custom arguments must be strings."))
        elif _size(args) > MAX_CUSTOM_ARGS_BYTES:
            found.append((f"{field}.custom_args", "The total size of custom arguments may not "
                                                  "exceed 10,000 bytes."))
    if not has_subject and not person.get("subject"):
        found.append((f"{field}.subject", "The subject is required."))
    return found


def recipient_count(payload):
    return sum(len(person.get(kind) or []) for person in payload.get("personalizations") or []
               if isinstance(person, dict) for kind in ("to", "cc", "bcc"))


def payload_errors(payload, refused=()):
    """(field, message) for every rule of SendGrid's the payload breaks."""
    found = []
    if not isinstance(payload, dict):
        return [(None, "Bad Request")]
    personalizations = payload.get("personalizations")
    has_subject = bool(payload.get("subject"))
    if not isinstance(personalizations, list) or not personalizations:
        found.append(("personalizations", "You must have at least one personalization."))
    elif len(personalizations) > MAX_PERSONALIZATIONS:
        found.append(("personalizations", "You may not have more than 1000 personalizations "
                                          "per API request."))
    else:
        if recipient_count(payload) > MAX_RECIPIENTS:
            found.append(("personalizations", "The total number of recipients (to, cc and bcc) "
                                              "may not exceed 1000 per request."))
        refused = {address.lower() for address in refused}
        for index, person in enumerate(personalizations):
            found += _personalization_errors(index, person, refused, has_subject)
    if not _address(payload.get("from")):
        found.append(("from.email", "The from email does not contain a valid address."))
    if "reply_to" in payload and not _address(payload["reply_to"]):
        found.append(("reply_to.email", "The reply_to email does not contain a valid address."))
    if not has_subject and not isinstance(personalizations, list):
        found.append(("subject", "The subject is required."))
    content = payload.get("content")
    if not isinstance(content, list) or not content:
        found.append(("content", "Unless a valid template_id is provided, the content parameter "
                                 "is required."))
    else:
        types = [part.get("type") for part in content]
        if any(not isinstance(part.get("value"), str) or not part["value"] for part in content):
            found.append(("content.value", "The content value must be a string at least one "
                                           "character in length."))
        if "text/plain" in types and types.index("text/plain") != 0:
            found.append(("content", "If present, text/plain must be first."))
    if "headers" in payload:
        found += _header_errors("headers", payload["headers"])
    if "custom_args" in payload and not _strings(payload["custom_args"]):
        found.append(("custom_args", "Custom arguments must be strings."))
    return found


class SendGridDouble:
    def __init__(self, api_key, latency=None):
        self.api_key = api_key
        self.latency = latency  # (low, high) seconds per request, or None to answer at once
        self.requests = []  # (headers dict, payload) of every accepted request
        self.received = 0  # every request, answered however
        self.sizes = []  # personalizations in each well-formed request, in arrival order
        self.status_override = None  # (status, errors) to answer every request instead
        self.answers = collections.deque()  # (status, errors) for the next requests, in turn
        self.refused_recipients = set()  # addresses refused as invalid (400, nothing sent)
        self.before_answer = None  # called with (request number, payload); may block
        self.lock = threading.Lock()
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as SendGrid's API

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                if length > MAX_REQUEST_BYTES:
                    self.close_connection = True
                    return self._answer(413, [{"message": "Payload Too Large", "field": None}])
                body = self.rfile.read(length)
                with double.lock:
                    double.received += 1
                    number = double.received
                if double.latency:
                    time.sleep(random.uniform(*double.latency))
                if self.path != "/v3/mail/send":
                    return self._answer(404, [{"message": "not found", "field": None}])
                if self.headers.get("Authorization") != f"Bearer {double.api_key}":
                    return self._answer(401, [{"message": AUTH_ERROR, "field": None, "help": None}])
                if not self.headers.get("Content-Type", "").startswith("application/json"):
                    return self._answer(415, [{"message": "Content-Type should be application/json.",
                                               "field": None}])
                try:
                    payload = json.loads(body)
                except ValueError:
                    return self._answer(400, [{"message": "Bad Request", "field": None}])
                with double.lock:
                    double.sizes.append(len(payload.get("personalizations") or [])
                                        if isinstance(payload, dict) else 0)
                problems = payload_errors(payload, double.refused_recipients)
                if problems:
                    return self._answer(400, [{"message": m, "field": f} for f, m in problems])
                if double.before_answer:
                    double.before_answer(number, payload)
                scripted = double.status_override
                if scripted is None:
                    with double.lock:
                        scripted = double.answers.popleft() if double.answers else None
                if scripted:
                    return self._answer(*scripted)
                with double.lock:
                    double.requests.append((dict(self.headers), payload))
                self.send_response(202)
                self.send_header("X-Message-Id", "sg-" + secrets.token_hex(8))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _answer(self, status, errors):
                data = json.dumps({"errors": errors}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def accepted(self):
        """Every accepted copy: ``(to address, personalization, payload)`` in order."""
        with self.lock:
            return [(person["to"][0]["email"], person, payload)
                    for _, payload in self.requests for person in payload["personalizations"]]

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
