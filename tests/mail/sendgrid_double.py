"""A stand-in for SendGrid's v3 Mail Send API on loopback, checking requests as SendGrid does.

It answers 202 with an ``X-Message-Id`` for a well-formed request carrying the expected key,
401 with SendGrid's error JSON for another key, and 400 naming the field for a malformed one.
"""
import json
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RESERVED_HEADERS = {"x-sg-id", "x-sg-eid", "received", "dkim-signature", "content-type",
                    "content-transfer-encoding", "to", "from", "subject", "reply-to", "cc", "bcc"}
AUTH_ERROR = "The provided authorization grant is invalid, expired, or revoked"
_BARE_ADDRESS = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[a-z]+", re.IGNORECASE)


def _address(value):
    return isinstance(value, dict) and bool(_BARE_ADDRESS.fullmatch(value.get("email", "")))


def payload_errors(payload):
    """(field, message) for every rule of SendGrid's the payload breaks."""
    found = []
    personalizations = payload.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        found.append(("personalizations", "You must have at least one personalization."))
    else:
        for person in personalizations:
            to = person.get("to")
            if not to or not all(_address(t) for t in to):
                found.append(("personalizations.to", "Each to object must have an email address."))
    if not _address(payload.get("from")):
        found.append(("from.email", "The from email does not contain a valid address."))
    if "reply_to" in payload and not _address(payload["reply_to"]):
        found.append(("reply_to.email", "The reply_to email does not contain a valid address."))
    if not payload.get("subject"):
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
    headers = payload.get("headers", {})
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        found.append(("headers", "Headers must be an object of strings."))
    elif RESERVED_HEADERS & {name.lower() for name in headers}:
        found.append(("headers", "These headers are reserved: "
                                 + ", ".join(sorted(RESERVED_HEADERS & {n.lower() for n in headers}))))
    return found


class SendGridDouble:
    def __init__(self, api_key):
        self.api_key = api_key
        self.requests = []  # (headers dict, payload) of every accepted request
        self.status_override = None  # (status, errors) to answer instead, e.g. (429, [...])
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
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
                problems = payload_errors(payload)
                if problems:
                    return self._answer(400, [{"message": m, "field": f} for f, m in problems])
                if double.status_override:
                    return self._answer(*double.status_override)
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
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
