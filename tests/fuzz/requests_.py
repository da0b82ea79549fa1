"""One fuzzed request per hypothesis case: a form post, an API call or a page read."""
import io
import json
import re
from urllib.parse import quote

from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from . import strategies as fuzz

ORIGIN = {"Origin": "http://localhost"}
EDGE_IDS = [0, 1, 7, 2**31 - 1, 2**31, 2**63, 2**64 + 1, 10**40]
QUERY_NAMES = ["page", "limit", "status", "q", "recipient", "next", "per_page", "order"]
STRAY_NAMES = ["id", "email", "notify", "title", "name", "__proto__", "a" * 300]
_EXPECTED = re.compile(r"Expected: (.+)\.$")


def draw_path(data, route, world):
    values = {}
    for name in route.rule.arguments:
        known = list(route.variables.get(name, [])) + list(world.ids.get(name, []))
        if name in route.int_variables():
            choice = st.sampled_from(known) if known else st.nothing()
            values[name] = data.draw(choice | st.sampled_from(EDGE_IDS), label=name)
        else:
            hostile = fuzz.text.filter(lambda value: value and "/" not in value)
            choice = (st.sampled_from(known) | hostile) if known else hostile
            values[name] = data.draw(choice, label=name)
    return route.rule.build(values, append_unknown=False)[1] if values else route.rule.rule


def draw_query(data):
    """Arguments the app reads (each one often, with huge numbers often) and strays."""
    value = fuzz.HUGE_INTEGERS.map(str) | fuzz.text
    known = st.fixed_dictionaries({}, optional={name: value for name in QUERY_NAMES})
    return data.draw(st.builds(lambda ours, strays: {**strays, **ours}, known,
                               st.dictionaries(fuzz.text, value, max_size=2)), label="query")


def _field_value(data, route, name):
    if route.kind(name) == "file":
        content = data.draw(st.one_of(
            st.binary(max_size=300),
            st.lists(fuzz.text, max_size=6).map(lambda rows: "\n".join(
                ["email", *rows]).encode("utf-8", "surrogatepass")),
            st.just(b"email\n" + b"x@example.com\n" * 3)), label=name)
        filename = data.draw(st.sampled_from(["list.csv", "", "../../x.csv"]) | fuzz.text,
                             label=f"{name} filename")
        return (io.BytesIO(content), filename)
    value = fuzz.form_value(route.known_values(name))
    return data.draw(value | st.lists(value, min_size=2, max_size=3), label=name)


def _raw_form_body(data, token):
    boundary = "fuzzboundary"
    start = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
             f"{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
             "filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\nemail\r\n").encode()
    body = data.draw(st.sampled_from([
        start, start + b"\r\n--" + boundary.encode(), start + b"--" + boundary.encode() + b"--",
        b"--" + boundary.encode() + b"\r\n\r\n\r\n", b"--" + boundary.encode() * 200,
        b"csrf_token=" + quote(token).encode() + b"&%zz=%GG&%00=%00&a" + b"=" * 3000,
    ]) | fuzz.raw_bytes, label="raw body")
    content_type = data.draw(st.sampled_from([
        f"multipart/form-data; boundary={boundary}", "multipart/form-data",
        "multipart/form-data; boundary=", "multipart/form-data; boundary=" + "b" * 5000,
        "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=bogus",
        "application/json", "text/plain", "multipart/mixed; boundary=x",
    ]), label="content type")
    return body, content_type


def form_request(data, route, visitor, world):
    methods = [m for m in route.methods if m != "GET"]
    method = data.draw(st.sampled_from(methods), label="method")
    path = draw_path(data, route, world)
    token = visitor.csrf_for(route)
    if data.draw(st.integers(0, 9), label="shape") == 0:
        body, content_type = _raw_form_body(data, token)
        return dict(method=method, path=path, data=body, content_type=content_type,
                    headers=ORIGIN)
    fields = {}
    for name in [*route.field_names(), *data.draw(st.lists(st.sampled_from(STRAY_NAMES),
                                                           max_size=1), label="stray")]:
        if name == "csrf_token" or data.draw(st.integers(0, 5), label=f"omit {name}") == 0:
            continue
        fields[name] = _field_value(data, route, name)
    garbled = data.draw(st.integers(0, 19), label="csrf") == 0
    fields["csrf_token"] = data.draw(fuzz.text, label="bad csrf") if garbled else token
    multipart = route.multipart() or data.draw(st.integers(0, 9), label="multipart") == 0
    if not multipart:
        return dict(method=method, path=path, data=fields, headers=ORIGIN)
    return dict(method=method, path=path, headers=ORIGIN, **_multipart(fields))


def _multipart(fields):
    """Encoded here, in memory: the test client spools a large body to a temporary file
    it never closes (a ResourceWarning, an error under filterwarnings=error)."""
    values = {name: FileStorage(value[0], filename=value[1], content_type="text/csv")
              if isinstance(value, tuple) else value for name, value in fields.items()}
    boundary, body = encode_multipart(values)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def learn_api_fields(client, route, path, token):
    """Ask the API which keys a body takes: its 422 for an unknown key lists them."""
    for method in route.methods:
        if method == "GET":
            continue
        response = client.open(path, method=method, json={"\u2063probe": 1},
                               headers={"Authorization": f"Bearer {token}"})
        found = _EXPECTED.search((response.get_json(silent=True) or {}).get("error", ""))
        if found:
            return [name.strip() for name in found.group(1).split(",")]
    return []


def api_request(data, route, world, fields, samples):
    method = data.draw(st.sampled_from(route.methods), label="method")
    path = draw_path(data, route, world)
    query = draw_query(data) if data.draw(st.booleans(), label="has query") else {}
    token = world.api_token
    if data.draw(st.integers(0, 19), label="auth") == 0:
        # No CR/LF: no HTTP client can put them in a header (the test client refuses).
        token = data.draw(fuzz.text.filter(lambda t: not set(t) & set("\r\n")),
                          label="bad token")
    headers = {"Authorization": f"Bearer {token}"}
    shape = data.draw(st.integers(0, 9), label="shape")
    if shape <= 5 and fields:
        body = {}
        for name in fields:
            if data.draw(st.integers(0, 3), label=f"omit {name}") == 0:
                continue
            known = samples.get(name, [])
            value = st.sampled_from(known) | fuzz.json_value if known else fuzz.json_value
            body[name] = data.draw(value, label=name)
        payload = json.dumps(body).encode()
    elif shape <= 7:
        payload = data.draw(fuzz.raw_json_bodies, label="raw json").encode("utf-8",
                                                                          "surrogatepass")
    else:
        payload = data.draw(fuzz.raw_bytes, label="raw bytes")
    content_type = data.draw(st.sampled_from(["application/json"] * 4 + [
        "application/json; charset=latin-1", "text/plain", "application/x-www-form-urlencoded",
        "multipart/form-data"]), label="content type")
    return dict(method=method, path=path, query_string=query, data=payload,
                content_type=content_type, headers=headers)


def read_request(data, route, world):
    headers = {"Authorization": f"Bearer {world.api_token}"} if route.is_api else {}
    return dict(method="GET", path=draw_path(data, route, world), query_string=draw_query(data),
                headers=headers)


def json_samples(value, found):
    """Every key → the values it holds, anywhere in a JSON answer."""
    if isinstance(value, dict):
        for key, item in value.items():
            if item not in found.setdefault(key, []) and len(found[key]) < 10:
                found[key].append(item)
            json_samples(item, found)
    elif isinstance(value, list):
        for item in value:
            json_samples(item, found)
    return found
