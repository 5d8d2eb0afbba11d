"""Evidence that cannot be forged: every quote is its source's text at its offsets, on every path
that writes a citation, and a cited text never changes."""

import json
import threading

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, OperationalError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from summits.evidence import quote_span, text_digest
from summits.models import Attendance, Citation, Source, StatusChange, Summit
from summits.services import attendances_import
from tests.helpers import table_counts

ARTICLE = "sakamoto-2024-kishida-nato"
# The article's first words, and a sentence that is nowhere in it.
OPENING = "WASHINGTON-Just weeks ahead of the April 10 Japan-US summit"
FORGED = "Kishida declined the invitation."

SECOND_ARTICLE = (
    "TOKYO-Prime Minister Fumio Kishida will attend the NATO summit in Washington in July, "
    "the government said on Friday. It will be his third consecutive NATO summit.\n"
)


def article_text() -> str:
    return Source.objects.get(key=ARTICLE).text


def washington_attendance() -> Attendance:
    return Attendance.objects.get(summit__slug="nato-2024-washington", country__code="JP")


def summit_citation(**fields) -> dict:
    return {"source": ARTICLE, "summit": "nato-2024-washington", "field": "city", **fields}


def error_attrs(response) -> dict[str, str]:
    return {error["attr"]: error["code"] for error in response.json()["errors"]}


# The API: POST /api/citations/.


@pytest.mark.parametrize(
    ("fields", "attr", "code"),
    [
        ({"quote": "Hello", "start": 0, "end": 5}, "quote", "quote_not_at_offsets"),
        ({"quote": FORGED}, "quote", "quote_not_in_source"),
        ({"quote": FORGED, "start": 0, "end": len(FORGED)}, "quote", "quote_not_at_offsets"),
        ({"quote": "NATO"}, "start", "quote_ambiguous"),
        ({"quote": "washington-just weeks"}, "quote", "quote_not_in_source"),  # no case folding
        ({"quote": "WASHINGTON", "start": 0}, "end", "required"),
        ({"quote": "WASHINGTON", "start": 0, "end": 10, "field": "no_such_field"}, "field", None),
        ({"quote": ""}, "quote", "required"),
    ],
)
def test_a_forged_or_unplaced_quote_is_refused_on_its_field(
    editor_client, article, fields, attr, code
):
    before = table_counts()

    response = editor_client.post(reverse("api:citation-list"), summit_citation(**fields))

    assert response.status_code == 400, response.json()
    assert attr in error_attrs(response)
    if code is not None:
        assert error_attrs(response)[attr] == code
    assert table_counts() == before


def test_an_unknown_field_is_refused_with_the_fields_a_summit_has(editor_client, article):
    response = editor_client.post(
        reverse("api:citation-list"),
        summit_citation(quote="WASHINGTON", start=0, end=10, field="no_such_field"),
    )

    detail = next(e["detail"] for e in response.json()["errors"] if e["attr"] == "field")
    assert detail.startswith("A summit has no field 'no_such_field'; cite one of: city,")
    assert "start_date" in detail


def test_a_quote_without_offsets_is_found_and_placed(editor_client, article):
    response = editor_client.post(reverse("api:citation-list"), summit_citation(quote=OPENING))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["start"], body["end"]) == (0, len(OPENING))
    assert article_text()[body["start"] : body["end"]] == OPENING


def test_a_quote_at_its_offsets_is_accepted_as_written(editor_client, article):
    text = article_text()
    start = text.index("Kishida")
    end = start + len("Kishida")

    response = editor_client.post(
        reverse("api:citation-list"),
        summit_citation(quote="Kishida", start=start, end=end, field="name"),
    )

    assert response.status_code == 201, response.json()
    assert (response.json()["start"], response.json()["end"]) == (start, end)


def test_a_curly_apostrophe_stays_curly(editor_client, article):
    text = article_text()
    # Around "Japan(U+2019)s": the article also has "Japan's" with a straight apostrophe.
    curly = text[text.index("\u2019") - 10 : text.index("\u2019") + 10]

    straight = editor_client.post(
        reverse("api:citation-list"), summit_citation(quote=curly.replace("\u2019", "'"))
    )
    exact = editor_client.post(reverse("api:citation-list"), summit_citation(quote=curly))

    assert straight.status_code == 400
    assert exact.status_code == 201, exact.json()


def test_a_source_without_text_is_cited_as_external_without_a_quote(editor_client, article):
    Source.objects.create(key="nato-website", title="NATO", url="https://www.nato.int/")
    citation = {"source": "nato-website", "summit": "nato-2024-washington", "field": "city"}

    quoted = editor_client.post(
        reverse("api:citation-list"), {**citation, "quote": "Washington", "basis": "external"}
    )
    stated = editor_client.post(reverse("api:citation-list"), {**citation, "basis": "stated"})
    external = editor_client.post(reverse("api:citation-list"), {**citation, "basis": "external"})

    assert quoted.status_code == 400
    assert error_attrs(quoted)["quote"] == "source_without_text"
    assert stated.status_code == 400
    assert error_attrs(stated)["basis"] == "source_without_text"
    assert external.status_code == 201, external.json()


def test_changing_a_citation_to_a_forged_quote_is_refused(editor_client, article):
    citation = Citation.objects.filter(summit__slug="nato-2024-washington").first()
    url = reverse("api:citation-detail", args=[citation.pk])

    response = editor_client.patch(url, {"quote": FORGED})

    assert response.status_code == 400
    citation_after = Citation.objects.get(pk=citation.pk)
    assert citation_after.quote == citation.quote


# The API: POST /api/attendances/{id}/statuses/.


def test_a_status_change_citing_a_forged_quote_records_nothing(editor_client, article):
    before = table_counts()

    response = editor_client.post(
        reverse("api:attendance-statuses", args=[washington_attendance().pk]),
        {
            "status": "confirmed",
            "as_of": "2024-06",
            "citation": {"source": ARTICLE, "quote": FORGED},
        },
    )

    assert response.status_code == 400
    assert error_attrs(response) == {"citation.quote": "quote_not_in_source"}
    assert table_counts() == before


# The admin.


def test_the_admins_record_status_page_refuses_a_forged_quote(admin_client, article):
    attendance = washington_attendance()
    url = reverse("admin:summits_attendance_record_status", args=[attendance.pk])
    source = Source.objects.get(key=ARTICLE)

    response = admin_client.post(
        url,
        {"status": "confirmed", "as_of": "2024-06", "source": source.pk, "quote": FORGED}
        | {"basis": "stated"},
    )

    assert response.status_code == 200
    assert "quote" in response.context["form"].errors
    assert not StatusChange.objects.filter(attendance=attendance, status="confirmed").exists()


def test_the_admins_citation_form_refuses_a_forged_quote(admin_client, article):
    source = Source.objects.get(key=ARTICLE)
    summit = Summit.objects.get(slug="nato-2024-washington")
    before = table_counts()

    response = admin_client.post(
        reverse("admin:summits_citation_add"),
        {
            "source": source.pk,
            "basis": "stated",
            "summit": summit.pk,
            "field": "city",
            "quote": "Hello",
            "start": 0,
            "end": 5,
        },
    )

    assert response.status_code == 200
    assert "quote" in response.context["adminform"].form.errors
    assert table_counts() == before


def test_the_admins_citation_form_places_a_quote_it_finds(admin_client, article):
    source = Source.objects.get(key=ARTICLE)
    summit = Summit.objects.get(slug="nato-2024-washington")

    admin_client.post(
        reverse("admin:summits_citation_add"),
        {"source": source.pk, "basis": "stated", "summit": summit.pk, "field": "city"}
        | {"quote": OPENING},
    )

    citation = Citation.objects.get(quote=OPENING, summit=summit)
    assert (citation.start, citation.end) == (0, len(OPENING))


# Fixtures, the bulk import and raw SQL.


def test_a_fixture_with_a_forged_quote_loads_nothing_and_names_the_field(article, tmp_path):
    entry = {
        "model": "summits.citation",
        "fields": {
            "source": [ARTICLE],
            "summit": ["nato-2024-washington"],
            "attendance": None,
            "status_change": None,
            "field": "city",
            "quote": FORGED,
            "start": 0,
            "end": len(FORGED),
            "basis": "stated",
        },
    }
    path = tmp_path / "forged.json"
    path.write_text(json.dumps([entry]))
    before = table_counts()

    with pytest.raises(Exception, match="quote: The source's text from 0 to 32 is not this quote"):
        call_command("load_fixtures", str(path), verbosity=0)

    assert table_counts() == before


def import_row(citation: dict) -> dict:
    return {
        "summit": "nato-2024-washington",
        "country": "JP",
        "leader": "fumio-kishida",
        "status_changes": [
            {"status": "confirmed", "as_of": "2024-06-01", "as_of_precision": "month"}
            | {"citations": [citation]}
        ],
    }


def test_the_bulk_import_refuses_a_forged_quote_and_imports_nothing(article):
    before = table_counts()

    with pytest.raises(ValidationError) as raised:
        attendances_import(rows=[import_row({"source": ARTICLE, "quote": FORGED})])

    assert raised.value.message_dict == {
        "0.status_changes.0.citations.0.quote": [
            "The quote does not occur verbatim in the source's text."
        ]
    }
    assert table_counts() == before


def test_the_bulk_import_places_and_writes_a_true_quote_in_one_query_per_kind(article):
    report = attendances_import(rows=[import_row({"source": ARTICLE, "quote": OPENING})])

    citation = Citation.objects.get(quote=OPENING)
    assert report.citations == 1
    assert (citation.quote, citation.start, citation.end, citation.field) == (
        OPENING,
        0,
        len(OPENING),
        "status",
    )


def raw_insert_citation(quote: str, start: int | None, end: int | None) -> None:
    source = Source.objects.get(key=ARTICLE)
    summit = Summit.objects.get(slug="nato-2024-washington")
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO summits_citation (source_id, summit_id, field, quote, start, "end", basis)'
            " VALUES (%s, %s, 'city', %s, %s, %s, 'stated')",
            [source.pk, summit.pk, quote, start, end],
        )


def test_raw_sql_cannot_write_a_forged_quote(article):
    forged = pytest.raises(IntegrityError, match="summits_citation_quotes_its_source")
    with forged, transaction.atomic():
        raw_insert_citation(FORGED, 0, len(FORGED))

    raw_insert_citation(OPENING, 0, len(OPENING))  # the true one goes in


def test_raw_sql_cannot_change_a_cited_text(article):
    refused = pytest.raises(IntegrityError, match="summits_source_cited_text_is_fixed")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE summits_source SET text = 'Hello' WHERE key = %s", [ARTICLE])

    assert article_text().startswith(OPENING)


# Sources: adding an article, serving its text, and its text fixed once cited.


def add_second_article(client, **fields):
    body = {
        "key": "kyodo-2024-kishida-washington",
        "title": "Kishida to attend NATO summit in Washington",
        "publisher": "Example News",
        "text": SECOND_ARTICLE,
        **fields,
    }
    return client.post(reverse("api:source-list"), body)


def test_an_article_added_through_the_api_can_be_cited_like_the_first(
    editor_client, anonymous_client, article
):
    added = add_second_article(editor_client)
    attendance = washington_attendance()
    step = editor_client.post(
        reverse("api:attendance-statuses", args=[attendance.pk]),
        {
            "status": "confirmed",
            "as_of": "2024-06-14",
            "citation": {
                "source": "kyodo-2024-kishida-washington",
                "quote": "Fumio Kishida will attend the NATO summit in Washington in July",
            },
        },
    )
    timeline = anonymous_client.get(reverse("api:attendance-statuses", args=[attendance.pk]))

    assert added.status_code == 201, added.json()
    assert added.json()["sha256"] == text_digest(SECOND_ARTICLE)
    assert added.json()["length"] == len(SECOND_ARTICLE)
    assert "text" not in added.json()
    assert step.status_code == 201, step.json()
    assert step.json()["citations"][0]["start"] == SECOND_ARTICLE.index("Fumio")
    sources = {c["source"] for change in timeline.json() for c in change["citations"]}
    assert sources == {ARTICLE, "kyodo-2024-kishida-washington"}


def test_a_sources_text_is_served_verbatim_as_plain_text_with_an_etag(
    editor_client, anonymous_client, article
):
    add_second_article(editor_client)
    url = reverse("api:source-text", args=["kyodo-2024-kishida-washington"])

    response = anonymous_client.get(url)
    again = anonymous_client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode("utf-8") == SECOND_ARTICLE
    assert again.status_code == 304
    detail = anonymous_client.get(
        reverse("api:source-detail", args=["kyodo-2024-kishida-washington"])
    )
    assert detail.json()["text_url"] == f"http://testserver{url}"


def test_the_articles_text_is_its_seed_file_byte_for_byte(anonymous_client, article, settings):
    response = anonymous_client.get(reverse("api:source-text", args=[ARTICLE]))

    seed = Source.objects.get(key=ARTICLE).seed_file
    assert response.content == (settings.SEEDS_DIR / seed).read_bytes()


def test_a_duplicate_text_is_a_409_naming_the_source_that_holds_it(editor_client, article):
    response = add_second_article(editor_client, key="copy", text=article_text())

    assert response.status_code == 409
    assert response.json()["errors"] == [
        {
            "code": "unique",
            "detail": f"Source '{ARTICLE}' holds this text already.",
            "attr": "text",
        }
    ]


def test_a_cited_text_cannot_change_but_an_uncited_one_can(editor_client, article):
    add_second_article(editor_client)
    cited = editor_client.patch(
        reverse("api:source-detail", args=[ARTICLE]), {"text": article_text() + " More."}
    )
    uncited = editor_client.patch(
        reverse("api:source-detail", args=["kyodo-2024-kishida-washington"]),
        {"text": SECOND_ARTICLE + "Corrected.\n"},
    )

    assert cited.status_code == 409
    assert error_attrs(cited) == {"text": "source_text_cited"}
    assert article_text().startswith(OPENING)
    assert uncited.status_code == 200, uncited.json()
    assert uncited.json()["length"] == len(SECOND_ARTICLE) + len("Corrected.\n")


def test_clients_never_set_a_digest_or_length(editor_client, article):
    refused = add_second_article(editor_client, sha256="0" * 64, length=1)
    response = add_second_article(editor_client)

    assert refused.status_code == 400
    assert {error["attr"] for error in refused.json()["errors"]} == {"sha256", "length"}
    assert response.status_code == 201
    assert response.json()["sha256"] == text_digest(SECOND_ARTICLE)
    assert response.json()["length"] == len(SECOND_ARTICLE)


def test_a_source_text_may_take_2_mib_where_other_bodies_take_1(editor_client, article):
    text = "Summit news. " * (1_500_000 // 13)

    source = add_second_article(editor_client, text=text)
    country = editor_client.post(reverse("api:country-list"), {"code": "FR", "name": text})
    too_large = add_second_article(editor_client, key="huge", text="x" * (2 * 1024 * 1024))

    assert source.status_code == 201, source.json()
    assert country.status_code == 413
    assert too_large.status_code == 413


def test_writing_a_citation_needs_the_right_to_add_citations(user, user_client, article):
    user.user_permissions.add(Permission.objects.get(codename="add_statuschange"))

    direct = user_client.post(reverse("api:citation-list"), summit_citation(quote=OPENING))

    assert direct.status_code == 403


# The rule itself, over random offsets and quotes.


TEXT = "Kishida\u2019s third NATO summit: NATO, NATO and Washington.\nDone."


@pytest.mark.django_db
@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    start=st.integers(min_value=0, max_value=len(TEXT) + 2),
    length=st.integers(min_value=0, max_value=12),
    quote=st.one_of(st.none(), st.text(alphabet="NATOKishd\u2019 .\n", max_size=8)),
)
def test_a_citation_is_accepted_exactly_when_its_quote_is_the_text_at_its_offsets(
    start, length, quote
):
    source, _ = Source.objects.get_or_create(key="rule", defaults={"title": "Rule", "text": TEXT})
    summit, _ = Summit.objects.get_or_create(
        slug="rule-summit", defaults={"name": "Rule", "start_date": "2024-07-09"}
    )
    end = start + length
    quote = TEXT[start:end] if quote is None else quote
    citation = Citation(
        source=source, summit=summit, field="name", quote=quote, start=start, end=end
    )

    try:
        citation.full_clean(validate_constraints=False)
    except ValidationError:
        accepted = False
    else:
        accepted = True

    assert accepted == (quote != "" and end <= len(TEXT) and TEXT[start:end] == quote)


def test_checking_a_quote_reads_its_source_once(editor_client, article):
    with CaptureQueriesContext(connection) as queries:
        response = editor_client.post(reverse("api:citation-list"), summit_citation(quote=OPENING))

    assert response.status_code == 201
    # The source named in the body, read once with its text, which the check then uses; the
    # answer joins the source without it.
    reads = [query["sql"] for query in queries if '"summits_source"."text"' in query["sql"]]
    assert len(reads) == 1, reads


# What an attack on a live server found.


def test_a_quote_that_occurs_millions_of_times_is_answered_at_once():
    # Listing every overlapping place of "a" * 20,000 in "a" * 2,000,000 held a worker for
    # minutes; the places are counted up to what the message shows.
    with pytest.raises(ValidationError) as refused:
        quote_span(text="a" * 2_000_000, quote="a" * 20_000, start=None, end=None)

    [message] = refused.value.message_dict["start"]
    assert message.startswith("The quote occurs more than 10 times in the source's text (at 0, 1,")


def test_a_quote_keeps_its_spaces_and_tabs(editor_client, article):
    Source.objects.create(key="spaced", title="Spaced", text="one  two\tthree  four")

    response = editor_client.post(
        reverse("api:citation-list"),
        summit_citation(source="spaced", quote=" two\tthree ", field="name"),
    )

    assert response.status_code == 201, response.json()
    assert (response.json()["quote"], response.json()["start"]) == (" two\tthree ", 4)


def test_a_quote_of_a_text_is_not_external(editor_client, article):
    response = editor_client.post(
        reverse("api:citation-list"), summit_citation(quote=OPENING, basis="external")
    )

    assert response.status_code == 400
    assert error_attrs(response) == {"basis": "external_basis_with_text"}


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_text_cannot_change_under_a_citation_being_written():
    """Two transactions at once: one cites the text, the other replaces it. The second waits
    for the first (the citation trigger holds the source row FOR SHARE) and is then refused;
    without the lock both committed and the quote no longer matched (found by an attack)."""
    source = Source.objects.create(key="race", title="Race", text="alpha beta gamma")
    summit = Summit.objects.create(slug="race", name="Race", start_date="2024-07-09")
    cited, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def cite() -> None:
        try:
            with transaction.atomic():
                Citation.objects.create(
                    source=source, summit=summit, field="name", quote="alpha", start=0, end=5
                )
                cited.set()
                release.wait(10)
        finally:
            connections.close_all()

    def edit() -> None:
        cited.wait(10)
        try:
            with transaction.atomic():
                replacement = "ZZZZZ other words"
                Source.objects.filter(pk=source.pk).update(
                    text=replacement, sha256=text_digest(replacement), length=len(replacement)
                )
            outcome["edit"] = "committed"
        except IntegrityError as error:
            outcome["edit"] = str(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=cite), threading.Thread(target=edit)]
    for thread in threads:
        thread.start()
    assert wait_for_a_lock_wait(), "the edit never waited for the citation"
    release.set()
    for thread in threads:
        thread.join(20)

    assert "summits_source_cited_text_is_fixed" in str(outcome["edit"])
    citation = Citation.objects.get(source__key="race")
    assert Source.objects.get(key="race").text[citation.start : citation.end] == citation.quote


def wait_for_a_lock_wait(polls: int = 200) -> bool:
    """Whether, within `polls` looks at pg_stat_activity, some backend waits on a row lock."""
    with connection.cursor() as cursor:
        for _ in range(polls):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return True
            cursor.execute("SELECT pg_sleep(0.05)")
    return False


def test_a_collision_between_transactions_is_a_409_asking_to_retry():
    from psycopg import errors as psycopg_errors

    from summits.api.errors import ExceptionHandler

    collided = OperationalError("deadlock detected")
    collided.__cause__ = psycopg_errors.DeadlockDetected("deadlock detected")

    converted = ExceptionHandler(collided, {}).convert_known_exceptions(collided)

    assert converted.status_code == 409
