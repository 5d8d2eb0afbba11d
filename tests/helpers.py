"""Small helpers shared by the tests."""

from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

# How many rows of every kind the `many_rows` fixture writes: more than one big page.
LIST_ROWS = 70

DATA_VERSION_QUERY = "SELECT token FROM summits_dataversion WHERE id = 1"


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
