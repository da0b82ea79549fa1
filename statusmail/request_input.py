"""Numbers from the URL, and request bodies that break while being read.

- ``<int:…>`` in any route only matches up to 18 digits. Werkzeug's converter takes any
  number of digits; past 64 bits SQLite raises ``OverflowError``, PostgreSQL "integer
  out of range", and past 4,300 digits ``int()`` itself refuses — a 500 each time,
  where an unknown id should be a 404.
- ``?page=`` is clamped the same way: any page past the last is an empty page.
- A query string with control characters (a NUL in ``?q=``, which PostgreSQL refuses in
  any query) is answered 400 before any view sees it: no link of ours carries one.
- A body that fails while it is read (a malformed chunked upload, a client that hangs up
  mid-body) is the client's fault: 400, not the 500 an ``OSError`` out of a form parser
  becomes.
- An upload spooled to a temporary file is closed when the request ends, also when the
  form parser gave up half-way (a form over the size limit after a file part), which
  leaves the file out of ``request.files`` and so out of werkzeug's own clean-up.
"""
from flask import Request, abort, request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from .services.text_validation import text_problem

MAX_PAGE = 1_000_000


class RowIdConverter(IntegerConverter):
    """At most 18 digits: below 2**63, so SQLite and PostgreSQL look such an id up (and
    find nothing) instead of raising. Longer numbers match no route at all — in the
    pattern, not in ``to_python``, since werkzeug checks the method before converting
    and would answer a PATCH to a huge id with 405."""

    regex = r"\d{1,18}"


def page_number(name="page"):
    """``?page=``: a page from 1 to MAX_PAGE; junk means the first page."""
    value = request.args.get(name, 1, type=int)
    return min(max(value, 1), MAX_PAGE)


def refuse_control_characters_in_query():
    """``before_request``: one check for every route's query arguments."""
    for name, value in request.args.items(multi=True):
        problem = text_problem(name) or text_problem(value)
        if problem:
            abort(400, description="This address has a control character in it, which no "
                  f"link of ours holds: {problem} Check the link and try again.")


class BodyReadError(BadRequest):
    description = ("The request body could not be read (a malformed or cut-off upload). "
                   "Send the form again.")


class _GuardedInput:
    """``wsgi.input`` whose read errors become :class:`BodyReadError`."""

    def __init__(self, stream):
        self._stream = stream

    def _guard(self, method, *args):
        try:
            return method(*args)
        except BadRequest:
            raise
        except (OSError, ValueError, EOFError) as exc:
            raise BodyReadError() from exc
        except Exception as exc:
            # gunicorn's body parser raises its own errors (InvalidChunkSize,
            # ChunkMissingTerminator, NoMoreData), none of them OSError.
            if type(exc).__module__.startswith("gunicorn."):
                raise BodyReadError() from exc
            raise

    def read(self, *args):
        return self._guard(self._stream.read, *args)

    def readinto(self, buffer):
        # Through read(), never the stream's own readinto(): werkzeug's dechunker writes
        # a short read into the caller's memoryview slice, and with an absurd chunk size
        # that crashed the dev server's process (a segfault under CI); read() hands it a
        # bytearray that may shrink. gunicorn's Body has read() only anyway.
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def readline(self, *args):
        return self._guard(self._stream.readline, *args)

    def readlines(self, *args):
        return self._guard(self._stream.readlines, *args)

    def __iter__(self):
        return iter(self.readline, b"")

    def __getattr__(self, name):
        return getattr(self._stream, name)


class GuardBodyReads:
    """WSGI middleware installing :class:`_GuardedInput`."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if "wsgi.input" in environ:
            environ["wsgi.input"] = _GuardedInput(environ["wsgi.input"])
        return self.wsgi_app(environ, start_response)


class ClosingRequest(Request):
    """See the module docstring: every spooled upload is closed with the request."""

    def _get_file_stream(self, total_content_length, content_type, filename=None,
                         content_length=None):
        stream = super()._get_file_stream(total_content_length, content_type, filename,
                                          content_length)
        self.__dict__.setdefault("_spooled_uploads", []).append(stream)
        return stream

    def close(self):
        super().close()
        for stream in self.__dict__.pop("_spooled_uploads", ()):
            stream.close()
