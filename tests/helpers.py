"""Small helpers shared by the tests."""

from types import SimpleNamespace
from wsgiref.util import setup_testing_defaults

from django.apps import apps
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

# How many rows of every kind the `many_rows` fixture writes: more than one big page.
LIST_ROWS = 70

DATA_VERSION_QUERY = "SELECT token FROM summits_dataversion WHERE id = 1"


def body(response) -> bytes:
    """A test client response's whole body, streamed (a long CSV file or calendar) or not."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def table_counts() -> dict[str, int]:
    """Rows per table of the app: a write that failed must leave every one of these alone.
    (Not the change feed's log, unmanaged, which records what was written: tests/test_change_feed.py.)"""
    return {
        model.__name__: model.objects.count()
        for model in apps.get_app_config("summits").get_models()
        if model._meta.managed
    }


def count_queries(client, url: str) -> int:
    """The number of SQL statements one GET of `url` runs in its view.

    Not counted: transaction control (each request runs in a transaction, ATOMIC_REQUESTS, which
    inside a test is a savepoint) and the data version that every API GET reads first for its
    ETag (summits.api.conditional; tests/test_conditional.py pins that one).
    """
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return sum(
        1
        for query in queries
        if "SAVEPOINT" not in query["sql"] and query["sql"] != DATA_VERSION_QUERY
    )


def served(method: str, url: str, **headers: str) -> SimpleNamespace:
    """One request as a WSGI server (gunicorn) serves it: the app's status and headers, every
    byte of the body iterated (the test client skips a HEAD's), and the SQL statements run
    before the first byte (`queries_before`) and in all (`queries`)."""
    path, _, query = url.partition("?")
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query}
    environ |= {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    setup_testing_defaults(environ)
    environ["HTTP_HOST"] = environ["SERVER_NAME"] = "testserver"
    answer = SimpleNamespace()

    def start_response(status, response_headers, exc_info=None):
        answer.status, answer.headers = status, dict(response_headers)

    # As the test client does: the test's transaction keeps its connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with CaptureQueriesContext(connection) as queries:
            body = WSGIHandler()(environ, start_response)
            answer.queries_before = len(queries)
            try:
                answer.body = b"".join(body)
            finally:
                body.close()
        answer.queries = len(queries)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return answer


# A text every quote of the tests' hand-made citations is taken from.
QUOTABLE_TEXT = (
    "Officials said talks to invite the prime minister began in March; talks to formally "
    "invite him followed. Invited. The leaders plan to discuss it at the summit, July 9 to 11, "
    "quoted as historic. " + "word " * 40
)


def text_source(**fields):
    """A source that holds QUOTABLE_TEXT (and a URL), to cite in hand-made citations."""
    from summits.models import Source

    fields = {"key": "article", "title": "The article", "url": "https://example.org/a"} | fields
    return Source.objects.create(text=QUOTABLE_TEXT, **fields)


def cite(source, quote: str, **fields):
    """A citation of `quote`, at its first place in the source's text."""
    from summits.models import Citation

    start = source.text.index(quote)
    return Citation.objects.create(
        source=source, quote=quote, start=start, end=start + len(quote), **fields
    )
