"""Run a hypothesis search per route and gather what went wrong on every route, so one
run reports all of them (not just the first)."""
import traceback

from hypothesis import given, note, strategies as st

from . import consistency

# Answers >= 500 that are a route's meaning, not a crash: /healthz says 503 while no
# worker is alive (none runs during the fuzz).
DELIBERATE = {("ops.healthz", 503)}


def _describe(exc):
    notes = "\n".join(getattr(exc, "__notes__", []))
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__)
              if "/statusmail/" in frame.filename]
    where = f" at {frames[-1].filename.split('/statusmail/')[-1]}:{frames[-1].lineno}" \
        if frames else ""
    return f"{type(exc).__name__}: {str(exc)[:600]}{where}\n{notes[:3000]}"


def send(client, request):
    request = dict(request)
    path = request.pop("path")
    return client.open(path, **request)


def _summary(request):
    shown = {key: (value if len(repr(value)) < 300 else repr(value)[:300] + "…")
             for key, value in request.items()}
    return f"{shown}"


def fuzz_routes(app, routes, fuzz_settings, make_request, client_for, counts):
    """For each route: cases from ``make_request(data, route)``, sent with the client
    ``client_for(route)`` gives; every answer must be below 500 and the database must
    stay consistent. Returns the failures, one entry per route."""
    failures = []
    for route in routes:
        visitor = client_for(route)

        @fuzz_settings
        @given(data=st.data())
        def case(data):
            request = make_request(data, route)
            note(_summary(request))
            response = send(visitor.client, request)
            response.close()  # a file it streams (a favicon) is closed now, not by the GC
            deliberate = (route.endpoint, response.status_code) in DELIBERATE
            kind = f"{response.status_code} {route.endpoint}" if deliberate \
                else f"{response.status_code // 100}xx"
            counts[kind] = counts.get(kind, 0) + 1
            assert response.status_code < 500 or deliberate, (
                f"{response.status_code} from {request['method']} {request['path']}")
            visitor.after(response)

        try:
            case()
        except Exception as exc:  # noqa: BLE001 — every route's failure is reported
            failures.append(f"{route.endpoint} ({route.rule.rule}): {_describe(exc)}")
        found = consistency.problems(app)
        if found:
            failures.append(f"after {route.endpoint}: the database is inconsistent: "
                            + "; ".join(found[:10]))
    return failures
