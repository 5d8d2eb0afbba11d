"""The Django admin: every page renders, lists and change pages cost a fixed number of queries
however many rows they show, edits are kept in the history, a status is recorded (with its
evidence) only as a new step of the timeline, and every database constraint is a form error on
the field to change."""

import datetime as dt
import itertools
import string
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from model_bakery import baker

from summits.dates import DatePrecision
from summits.evidence import text_digest
from summits.models import (
    Attendance,
    Citation,
    Country,
    Leader,
    Organization,
    Source,
    StatusChange,
    Summit,
)
from summits.services import attendance_record_status
from tests.helpers import cite, text_source

ALL_MODELS = [Country, Leader, Organization, Summit, Attendance, StatusChange, Source, Citation]


def two_letter_codes() -> Iterator[str]:
    """Every two-letter code, in order: AA, AB, ..."""
    return ("".join(pair) for pair in itertools.product(string.ascii_uppercase, repeat=2))


# Shared by the whole module, whose tests together need more codes than there are.
COUNTRY_CODES = itertools.cycle(two_letter_codes())


def admin_url(model: type[models.Model], view: str, *args: object) -> str:
    return reverse(f"admin:summits_{model._meta.model_name}_{view}", args=args)


def make_country(code: str | None = None) -> Country:
    code = code or next(COUNTRY_CODES)
    return baker.make(Country, code=code, name=f"Country {code}")


def make_leader(country: Country, **fields: object) -> Leader:
    return baker.make(Leader, country=country, office="Prime Minister", **fields)


def make_summit(start_date: dt.date = dt.date(2024, 7, 9), **fields: object) -> Summit:
    fields.setdefault("end_date", start_date + dt.timedelta(days=2))
    return baker.make(Summit, start_date=start_date, **fields)


def make_attendance(summit: Summit, country: Country | None = None, **fields: object) -> Attendance:
    return baker.make(Attendance, summit=summit, country=country or make_country(), **fields)


def make_source() -> Source:
    """The one source that hand-made citations quote (tests.helpers.QUOTABLE_TEXT)."""
    return Source.objects.filter(key="article").first() or text_source()


def form_data(response) -> dict[str, object]:
    """What a browser would post back from an admin change or add page, unchanged."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    data: dict[str, object] = {}
    for form in forms:
        for bound in form:
            value = bound.value()
            if value is None or value is False:
                continue
            if value is True:
                data[bound.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(item) for item in value]
            else:
                data[bound.html_name] = str(value)
    return data


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def one_of_each(db) -> dict[type[models.Model], models.Model]:
    """One row of every model, related as the article's data would be."""
    japan = make_country("JP")
    kishida = make_leader(japan, name="Fumio Kishida", slug="fumio-kishida")
    nato = baker.make(Organization, slug="nato", name="North Atlantic Treaty Organization")
    summit = make_summit(name="NATO Summit 2024", slug="nato-2024", organization=nato)
    attendance = make_attendance(summit, japan, leader=kishida)
    change = attendance_record_status(
        attendance=attendance,
        status=Attendance.Status.PROPOSED,
        as_of=dt.date(2024, 3, 1),
        as_of_precision=DatePrecision.MONTH,
    )
    source = make_source()
    citation = cite(source, "talks to invite", status_change=change, field="status")
    return {
        Country: japan,
        Leader: kishida,
        Organization: nato,
        Summit: summit,
        Attendance: attendance,
        StatusChange: change,
        Source: source,
        Citation: citation,
    }


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model._meta.model_name)
def test_staff_can_open_the_changelist_add_change_and_history_pages_of_every_model(
    staff_client, one_of_each, model
):
    obj = one_of_each[model]
    for url in (
        admin_url(model, "changelist"),
        admin_url(model, "add"),
        admin_url(model, "change", obj.pk),
        admin_url(model, "history", obj.pk),
    ):
        assert staff_client.get(url).status_code == 200, url


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model._meta.model_name)
def test_a_user_who_is_not_staff_is_sent_to_the_login_page(client, user, model):
    client.force_login(user)
    response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_the_summit_list_shows_dates_at_their_precision_and_attendee_counts(staff_client):
    make_summit(name="Washington", start_date=dt.date(2024, 7, 9), end_date=dt.date(2024, 7, 11))
    madrid = make_summit(
        name="Madrid", start_date=dt.date(2022, 6, 1), end_date=None, date_precision="month"
    )
    make_summit(
        name="Vilnius", start_date=dt.date(2023, 1, 1), end_date=None, date_precision="year"
    )
    make_attendance(madrid)
    make_attendance(madrid)

    response = staff_client.get(admin_url(Summit, "changelist"))

    rows = [
        (summit.name, summit.dates, summit.attendee_count)
        for summit in response.context["cl"].result_list
    ]
    assert rows == [
        ("Washington", "July 9–11, 2024", 0),
        ("Vilnius", "2023", 0),
        ("Madrid", "June 2022", 2),
    ]
    content = response.content.decode()
    assert "June 2022" in content
    assert "June 1, 2022" not in content


def test_the_summit_list_sorts_by_attendee_count(staff_client):
    crowded = make_summit(name="Crowded")
    make_summit(name="Empty")
    make_attendance(crowded)
    url = admin_url(Summit, "changelist")
    column = staff_client.get(url).context["cl"].list_display.index("attendee_count")

    response = staff_client.get(url, {"o": f"-{column}"})

    assert [summit.name for summit in response.context["cl"].result_list] == ["Crowded", "Empty"]


@pytest.mark.parametrize(("year", "names"), [("2023", ["Vilnius"]), ("²", []), ("twenty", [])])
def test_the_summit_list_filters_by_year(staff_client, year, names):
    make_summit(
        name="Vilnius", start_date=dt.date(2023, 1, 1), end_date=None, date_precision="year"
    )
    make_summit(name="Washington", start_date=dt.date(2024, 7, 9))

    response = staff_client.get(admin_url(Summit, "changelist"), {"year": year})

    assert response.status_code == 200
    assert [summit.name for summit in response.context["cl"].result_list] == names


def bulk_countries(total: int) -> list[Country]:
    codes = itertools.islice(two_letter_codes(), total)
    return Country.objects.bulk_create(Country(code=code, name=f"Country {code}") for code in codes)


def bulk_summits(total: int, organization: Organization, countries: list[Country]) -> list[Summit]:
    """`total` summits a week apart from 2000 on, three days long, hosted in turn."""
    first = dt.date(2000, 1, 3)
    return Summit.objects.bulk_create(
        Summit(
            slug=f"summit-{index}",
            name=f"Summit {index}",
            organization=organization,
            host_country=countries[index % len(countries)],
            start_date=first + dt.timedelta(weeks=index),
            end_date=first + dt.timedelta(weeks=index, days=2),
        )
        for index in range(total)
    )


@pytest.mark.parametrize("rows", [3, 1_000])
def test_the_summit_list_costs_the_same_queries_for_3_or_1000_summits(
    staff_client, django_assert_num_queries, rows
):
    nato = baker.make(Organization, slug="nato", name="NATO")
    summits = bulk_summits(rows, nato, bulk_countries(10))
    Attendance.objects.bulk_create(
        Attendance(summit=summit, country_id=summit.host_country_id) for summit in summits
    )
    url = admin_url(Summit, "changelist")

    # The request's savepoint and release (ATOMIC_REQUESTS), session, user, the choices of the
    # year, organization and host country filters, the filtered and full counts, the page.
    with django_assert_num_queries(10):
        response = staff_client.get(url)

    changelist = response.context["cl"]
    assert changelist.result_count == rows
    assert len(changelist.result_list) == min(rows, changelist.list_per_page)
    assert {summit.attendee_count for summit in changelist.result_list} == {1}


@pytest.mark.parametrize(("summits", "countries"), [(1, 3), (100, 100)], ids=["3", "10000"])
def test_the_attendance_list_costs_the_same_queries_for_3_or_10000_attendances(
    staff_client, django_assert_num_queries, summits, countries
):
    nato = baker.make(Organization, slug="nato", name="NATO")
    countries = bulk_countries(countries)
    leaders = Leader.objects.bulk_create(
        Leader(slug=f"leader-{c.code}", name=f"Leader {c.code}", country=c, office="President")
        for c in countries
    )
    Attendance.objects.bulk_create(
        Attendance(summit=summit, country=leader.country, leader=leader, role="member")
        for summit in bulk_summits(summits, nato, countries)
        for leader in leaders
    )
    url = admin_url(Attendance, "changelist")

    # The request's savepoint and release (ATOMIC_REQUESTS), session, user, the choices of the
    # year, organization, host country and country filters, the filtered and full counts, the
    # page.
    with django_assert_num_queries(11):
        response = staff_client.get(url)

    changelist = response.context["cl"]
    assert changelist.result_count == summits * len(countries)
    assert len(changelist.result_list) == min(summits * len(countries), changelist.list_per_page)


def measure_change_page(client, url: str, django_assert_num_queries, queries: int):
    client.get(url)  # The first request fills caches (content types) that later ones reuse.
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("rows", [3, 30])
def test_the_summit_page_costs_the_same_queries_for_3_or_30_attendances(
    staff_client, django_assert_num_queries, rows
):
    source = make_source()
    summit = make_summit(organization=baker.make(Organization), host_country=make_country())
    for index in range(rows):
        country = make_country()
        make_attendance(summit, country, leader=make_leader(country), role="member")
        cite(source, "q", summit=summit, field=f"field_{index}")

    # Savepoint and release, session, user, the summit, its citations, other names and
    # attendances (with their countries and leaders joined), and the organization and host
    # country of its autocompletes. No query per attendance: their autocompletes are labelled
    # from the joins.
    response = measure_change_page(
        staff_client, admin_url(Summit, "change", summit.pk), django_assert_num_queries, 10
    )

    attendances = response.context["inline_admin_formsets"][0].formset.forms
    assert len([form for form in attendances if form.instance.pk]) == rows
    leader = attendances[0].instance.leader
    assert f'<option value="{leader.pk}" selected>{leader}</option>' in response.content.decode()


@pytest.mark.parametrize("rows", [3, 30])
def test_the_attendance_page_costs_the_same_queries_for_3_or_30_steps(
    staff_client, django_assert_num_queries, attendance, rows
):
    source = make_source()
    for index in range(rows):
        change = attendance_record_status(
            attendance=attendance, status="invited", as_of=dt.date(2000 + index, 1, 1)
        )
        cite(source, "q", status_change=change, field="status")
        cite(source, "q", attendance=attendance, field=f"f{index}")

    # Savepoint and release, session, user, the attendance (with its summit, country and
    # leader), its citations, its timeline and the timeline's citations with their sources.
    measure_change_page(
        staff_client, admin_url(Attendance, "change", attendance.pk), django_assert_num_queries, 8
    )


@pytest.mark.parametrize("rows", [3, 30])
def test_the_status_change_page_costs_the_same_queries_for_3_or_30_citations(
    staff_client, django_assert_num_queries, attendance, rows
):
    source = make_source()
    change = attendance_record_status(
        attendance=attendance, status="invited", as_of=dt.date(2024, 4, 1)
    )
    for index in range(rows):
        cite(source, "q", status_change=change, field=f"f{index}")

    # Savepoint and release, session, user, the change, its citations, and its attendance's
    # label (the attendance with its summit, country and leader).
    measure_change_page(
        staff_client, admin_url(StatusChange, "change", change.pk), django_assert_num_queries, 7
    )


def make_status_change() -> StatusChange:
    country = make_country()
    return attendance_record_status(
        attendance=make_attendance(make_summit(), country, leader=make_leader(country)),
        status=Attendance.Status.INVITED,
        as_of=dt.date(2024, 3, 1),
    )


def make_citation(target: str) -> Citation:
    source = make_source()
    country = make_country()
    records = {
        "summit": lambda: make_summit(host_country=country),
        "attendance": lambda: make_attendance(make_summit(), country, leader=make_leader(country)),
        "status_change": make_status_change,
    }
    return cite(source, "quoted", field="status", **{target: records[target]()})


ROW_MAKERS = {
    Country: [make_country],
    Leader: [lambda: make_leader(make_country())],
    Organization: [lambda: baker.make(Organization)],
    Summit: [
        lambda: make_summit(
            organization=baker.make(Organization), host_country=make_country(), city="Somewhere"
        )
    ],
    Attendance: [lambda: make_attendance(make_summit())],
    StatusChange: [make_status_change],
    Source: [lambda: baker.make(Source, url="https://example.org/")],
    Citation: [lambda target=target: make_citation(target) for target in Citation.TARGETS],
}


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model._meta.model_name)
def test_no_list_runs_a_query_per_row(staff_client, model):
    makers = itertools.cycle(ROW_MAKERS[model])
    url = admin_url(model, "changelist")
    queries = []
    for rows in (3, 24):
        while model.objects.count() < rows:
            next(makers)()
        with CaptureQueriesContext(connection) as captured:
            response = staff_client.get(url)
        assert len(response.context["cl"].result_list) == rows
        queries.append(len(captured))
    assert queries[0] == queries[1]


def test_an_edit_in_the_admin_is_kept_in_the_history_with_the_editor(staff_client, staff):
    summit = make_summit(name="NATO Summit 2024")
    url = admin_url(Summit, "change", summit.pk)
    data = form_data(staff_client.get(url))
    data["name"] = "NATO Washington Summit"

    response = staff_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    latest = summit.history.latest()
    assert (latest.name, latest.history_type, latest.history_user) == (
        "NATO Washington Summit",
        "~",
        staff,
    )
    history_page = staff_client.get(admin_url(Summit, "history", summit.pk)).content.decode()
    assert "NATO Washington Summit" in history_page
    assert staff.username in history_page


@pytest.fixture
def attendance(db) -> Attendance:
    return make_attendance(make_summit(), make_country("JP"))


def add_status_change(client, attendance: Attendance, status: str, as_of: str, precision="day"):
    url = admin_url(StatusChange, "add")
    data = form_data(client.get(url, {"attendance": attendance.pk}))
    data.update(status=status, as_of=as_of, as_of_precision=precision)
    return client.post(url, data)


def test_adding_a_status_change_in_the_admin_sets_the_attendance_status(staff_client, attendance):
    response = add_status_change(staff_client, attendance, "proposed", "2024-03-01", "month")

    assert response.status_code == 302
    attendance.refresh_from_db()
    assert attendance.status == Attendance.Status.PROPOSED
    change = attendance.status_changes.get()
    assert (change.as_of, change.as_of_precision) == (dt.date(2024, 3, 1), "month")


def test_adding_an_older_status_change_does_not_overwrite_a_newer_status(staff_client, attendance):
    add_status_change(staff_client, attendance, "confirmed", "2024-06-01")
    add_status_change(staff_client, attendance, "invited", "2024-04-01")

    attendance.refresh_from_db()
    assert attendance.status == Attendance.Status.CONFIRMED
    assert list(attendance.status_changes.values_list("status", flat=True)) == [
        "invited",
        "confirmed",
    ]


def test_a_status_change_added_in_the_admin_is_kept_in_the_history(staff_client, staff, attendance):
    add_status_change(staff_client, attendance, "invited", "2024-04-01")

    change = attendance.status_changes.get()
    assert change.history.get().history_user == staff


def test_moving_a_status_change_later_in_the_admin_makes_it_the_current_status(
    staff_client, attendance
):
    attendance_record_status(attendance=attendance, status="invited", as_of=dt.date(2024, 4, 1))
    proposed = attendance_record_status(
        attendance=attendance, status="proposed", as_of=dt.date(2024, 3, 1)
    )
    url = admin_url(StatusChange, "change", proposed.pk)
    data = form_data(staff_client.get(url))
    data["as_of"] = "2024-05-01"

    assert staff_client.post(url, data).status_code == 302

    attendance.refresh_from_db()
    assert attendance.status == Attendance.Status.PROPOSED


def test_moving_a_status_change_to_another_attendance_refreshes_both(staff_client, attendance):
    other = make_attendance(attendance.summit)
    attendance_record_status(attendance=attendance, status="invited", as_of=dt.date(2024, 4, 1))
    misfiled = attendance_record_status(
        attendance=attendance, status="confirmed", as_of=dt.date(2024, 6, 1)
    )
    url = admin_url(StatusChange, "change", misfiled.pk)
    data = form_data(staff_client.get(url))
    data["attendance"] = other.pk

    assert staff_client.post(url, data).status_code == 302

    attendance.refresh_from_db()
    other.refresh_from_db()
    assert (attendance.status, other.status) == ("invited", "confirmed")


def test_deleting_the_latest_status_change_rolls_the_status_back(staff_client, attendance):
    attendance_record_status(attendance=attendance, status="invited", as_of=dt.date(2024, 4, 1))
    confirmed = attendance_record_status(
        attendance=attendance, status="confirmed", as_of=dt.date(2024, 6, 1)
    )

    response = staff_client.post(admin_url(StatusChange, "delete", confirmed.pk), {"post": "yes"})

    assert response.status_code == 302
    attendance.refresh_from_db()
    assert attendance.status == Attendance.Status.INVITED


def test_deleting_status_changes_from_the_list_rolls_the_status_back(staff_client, attendance):
    attendance_record_status(attendance=attendance, status="invited", as_of=dt.date(2024, 4, 1))
    later = [
        attendance_record_status(attendance=attendance, status=status, as_of=as_of)
        for status, as_of in (("confirmed", dt.date(2024, 6, 1)), ("attended", dt.date(2024, 7, 9)))
    ]

    response = staff_client.post(
        admin_url(StatusChange, "changelist"),
        {"action": "delete_selected", "_selected_action": [c.pk for c in later], "post": "yes"},
    )

    assert response.status_code == 302
    attendance.refresh_from_db()
    assert attendance.status == Attendance.Status.INVITED


def test_deleting_the_only_status_change_clears_the_status(staff_client, attendance):
    only = attendance_record_status(
        attendance=attendance, status="invited", as_of=dt.date(2024, 4, 1)
    )

    staff_client.post(admin_url(StatusChange, "delete", only.pk), {"post": "yes"})

    attendance.refresh_from_db()
    assert attendance.status is None


def test_the_attendance_page_shows_its_status_read_only_and_its_timeline(staff_client, attendance):
    source = make_source()
    attendance_record_status(
        attendance=attendance,
        status="proposed",
        as_of=dt.date(2024, 3, 1),
        as_of_precision="month",
        citation={"source": source, "quote": "talks to formally invite", "basis": "stated"},
    )
    attendance_record_status(attendance=attendance, status="invited", as_of=dt.date(2024, 4, 2))

    response = staff_client.get(admin_url(Attendance, "change", attendance.pk))

    assert "status" not in response.context["adminform"].form.fields
    timeline = response.context["inline_admin_formsets"][0].formset.queryset
    assert [(change.status, change.as_of_display) for change in timeline] == [
        ("proposed", "March 2024"),
        ("invited", "April 2, 2024"),
    ]
    content = response.content.decode()
    assert "talks to formally invite" in content
    assert "March 2024" in content


def test_editing_an_attendance_never_sets_its_status(staff_client, attendance):
    attendance_record_status(attendance=attendance, status="invited", as_of=dt.date(2024, 4, 1))
    url = admin_url(Attendance, "change", attendance.pk)
    data = form_data(staff_client.get(url))
    data.update(status="attended", note="Named later.")

    assert staff_client.post(url, data).status_code == 302

    attendance.refresh_from_db()
    assert (attendance.status, attendance.note) == ("invited", "Named later.")


def test_saving_an_attendance_loaded_before_a_new_status_keeps_the_new_status(
    staff_client, attendance
):
    url = admin_url(Attendance, "change", attendance.pk)
    data = form_data(staff_client.get(url))
    # Someone records a status while the editor has the page open.
    attendance_record_status(attendance=attendance, status="invited", as_of=dt.date(2024, 4, 1))

    staff_client.post(url, data)

    attendance.refresh_from_db()
    assert attendance.status == Attendance.Status.INVITED


def test_the_summit_page_lists_its_attendances_and_its_citations(staff_client, attendance):
    cite(make_source(), "July 9 to 11", summit=attendance.summit, field="start_date")

    response = staff_client.get(admin_url(Summit, "change", attendance.summit.pk))

    attendances, names, citations = (
        inline.formset.queryset for inline in response.context["inline_admin_formsets"]
    )
    assert list(attendances) == [attendance]
    assert not names.exists()
    assert [citation.quote for citation in citations] == ["July 9 to 11"]
    assert "July 9 to 11" in response.content.decode()


def test_a_summit_that_ends_before_it_starts_is_a_form_error(staff_client):
    summit = make_summit(start_date=dt.date(2024, 7, 9), end_date=dt.date(2024, 7, 11))
    url = admin_url(Summit, "change", summit.pk)
    data = form_data(staff_client.get(url))
    data["end_date"] = "2024-07-01"

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["end_date"] == [
        "A summit cannot end before it starts."
    ]
    summit.refresh_from_db()
    assert summit.end_date == dt.date(2024, 7, 11)


def test_a_month_precision_summit_with_a_day_is_a_form_error(staff_client):
    url = admin_url(Summit, "add")
    data = form_data(staff_client.get(url))
    data.update(name="Madrid", slug="nato-2022", start_date="2022-06-28", date_precision="month")

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert "start_date" in response.context["adminform"].form.errors
    assert not Summit.objects.exists()


def test_an_attendance_whose_leader_leads_another_country_is_a_form_error(staff_client):
    summit = make_summit()
    japan, spain = make_country("JP"), make_country("ES")
    kishida = make_leader(japan, name="Fumio Kishida")
    url = admin_url(Attendance, "add")
    data = form_data(staff_client.get(url))
    data.update(summit=summit.pk, country=spain.pk, leader=kishida.pk)

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["leader"] == [
        "Fumio Kishida leads Country JP, not Country ES."
    ]
    assert not Attendance.objects.exists()


def test_an_attendance_inline_whose_leader_leads_another_country_is_a_form_error(staff_client):
    summit = make_summit()
    japan, spain = make_country("JP"), make_country("ES")
    kishida = make_leader(japan, name="Fumio Kishida")
    url = admin_url(Summit, "change", summit.pk)
    data = form_data(staff_client.get(url))
    data.update({"attendances-0-country": spain.pk, "attendances-0-leader": kishida.pk})

    response = staff_client.post(url, data)

    assert response.status_code == 200
    attendance_forms = response.context["inline_admin_formsets"][0].formset.forms
    assert "leader" in attendance_forms[0].errors
    assert not Attendance.objects.exists()


def test_a_second_attendance_for_the_same_country_is_a_form_error(staff_client, attendance):
    url = admin_url(Attendance, "add")
    data = form_data(staff_client.get(url))
    data.update(summit=attendance.summit.pk, country=attendance.country.pk)

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert "country" in response.context["adminform"].form.errors
    assert Attendance.objects.count() == 1


def test_a_duplicate_status_change_is_a_form_error(staff_client, attendance):
    attendance_record_status(attendance=attendance, status="invited", as_of=dt.date(2024, 4, 1))

    response = add_status_change(staff_client, attendance, "invited", "2024-04-01")

    assert response.status_code == 200
    assert "as_of" in response.context["adminform"].form.errors
    assert attendance.status_changes.count() == 1


def test_a_citation_of_two_records_is_a_form_error(staff_client, attendance):
    url = admin_url(Citation, "add")
    data = form_data(staff_client.get(url))
    data.update(
        source=make_source().pk,
        summit=attendance.summit.pk,
        attendance=attendance.pk,
        field="status",
        quote="plan to discuss",
    )

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert "summit" in response.context["adminform"].form.errors
    assert not Citation.objects.exists()


def test_the_citation_list_truncates_long_quotes(staff_client, attendance):
    cite(make_source(), "word " * 40, attendance=attendance, field="leader")

    response = staff_client.get(admin_url(Citation, "changelist"))

    content = response.content.decode()
    assert ("word " * 15).strip() in content
    assert ("word " * 40).strip() not in content
    assert "…" in content


def test_the_status_change_list_shows_dates_at_their_precision(staff_client, attendance):
    attendance_record_status(
        attendance=attendance, status="proposed", as_of=dt.date(2024, 3, 1), as_of_precision="month"
    )

    content = staff_client.get(admin_url(StatusChange, "changelist")).content.decode()

    assert "March 2024" in content
    assert "March 1, 2024" not in content


def test_autocomplete_lists_leaders_with_their_country(staff_client):
    make_leader(make_country("JP"), name="Fumio Kishida", slug="fumio-kishida")

    response = staff_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "Kishida",
            "app_label": "summits",
            "model_name": "attendance",
            "field_name": "leader",
        },
    )

    assert [result["text"] for result in response.json()["results"]] == [
        "Fumio Kishida (Prime Minister, JP)"
    ]


# Recording a status change with its evidence: the page on an attendance, and the list's action.

ARTICLE_SEED = "000_ca46305f64ddf42a.txt"


@pytest.fixture
def article_source(db, settings) -> Source:
    """The article as a source, its seed file in seeds/."""
    text = (settings.SEEDS_DIR / ARTICLE_SEED).read_bytes().decode("utf-8")
    return Source.objects.create(
        key="article", title="The article", seed_file=ARTICLE_SEED, text=text
    )


def record_status_url(attendance: Attendance) -> str:
    return reverse("admin:summits_attendance_record_status", args=[attendance.pk])


def record_status(client, attendance: Attendance, **fields: object):
    data = {"status": "invited", "as_of": "2024-03", "basis": "stated", **fields}
    return client.post(record_status_url(attendance), data)


def test_the_attendance_page_links_to_recording_a_status_change(staff_client, attendance):
    content = staff_client.get(admin_url(Attendance, "change", attendance.pk)).content.decode()

    assert f'href="{record_status_url(attendance)}"' in content


def test_recording_a_status_with_a_month_and_a_quote_adds_a_cited_step(
    staff_client, staff, attendance, article_source
):
    quote = "talks are underway between Washington and Tokyo"

    response = record_status(
        staff_client,
        attendance,
        status="proposed",
        as_of="2024-03",
        note="Talks to invite.",
        source=article_source.pk,
        quote=quote,
    )

    assert response.status_code == 302
    assert response.url == admin_url(Attendance, "change", attendance.pk)
    attendance.refresh_from_db()
    assert attendance.status == "proposed"
    change = attendance.status_changes.get()
    assert (change.status, change.as_of, change.as_of_precision, change.note) == (
        "proposed",
        dt.date(2024, 3, 1),
        "month",
        "Talks to invite.",
    )
    citation = change.citations.get()
    text = (settings.SEEDS_DIR / ARTICLE_SEED).read_bytes().decode()
    assert text[citation.start : citation.end] == quote
    assert (citation.field, citation.basis, citation.source) == ("status", "stated", article_source)
    assert change.history.get().history_user == staff
    page = staff_client.get(response.url).content.decode()
    assert "Recorded Proposed (invitation under discussion) as of March 2024." in page
    assert quote in page


def test_recording_an_older_status_adds_to_the_timeline_without_overwriting(
    staff_client, attendance
):
    attendance_record_status(attendance=attendance, status="confirmed", as_of=dt.date(2024, 6, 1))

    record_status(staff_client, attendance, status="invited", as_of="2024")

    attendance.refresh_from_db()
    assert attendance.status == "confirmed"
    assert list(attendance.status_changes.values_list("status", "as_of_precision")) == [
        ("invited", "year"),
        ("confirmed", "day"),
    ]


def test_a_status_change_can_cite_any_sources_text(staff_client, attendance):
    source = make_source()

    response = record_status(staff_client, attendance, source=source.pk, quote="Invited.")

    assert response.status_code == 302
    citation = Citation.objects.get()
    start = source.text.index("Invited.")
    assert (citation.quote, citation.start, citation.end) == ("Invited.", start, start + 8)


def test_a_page_without_text_is_cited_as_external_without_a_quote(staff_client, attendance):
    page = baker.make(Source, key="page", url="https://example.org/page")

    quoted = record_status(staff_client, attendance, source=page.pk, quote="Invited.")
    external = record_status(staff_client, attendance, source=page.pk, basis="external")

    assert quoted.context["form"].errors == {
        "basis": ['This source holds no text to quote: cite it with basis "external" and no quote.']
    }
    assert external.status_code == 302
    citation = Citation.objects.get()
    assert (citation.quote, citation.start, citation.basis) == ("", None, "external")


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        (
            {"as_of": "March 2024"},
            {"as_of": ["“March 2024” is not a date: use YYYY-MM-DD, YYYY-MM or YYYY."]},
        ),
        (
            {"as_of": "2024-02-30"},
            {"as_of": ["“2024-02-30” is not a date: use YYYY-MM-DD, YYYY-MM or YYYY."]},
        ),
        (
            {"status": "rumoured"},
            {"status": ["Select a valid choice. rumoured is not one of the available choices."]},
        ),
        ({"quote": "Invited."}, {"source": ["Name the source of the quote."]}),
        ({"source": "article", "quote": ""}, {"quote": ["Quote the source's text verbatim."]}),
        (
            {"source": "article", "quote": "Kishida will surely attend"},
            {"quote": ["The quote does not occur verbatim in the source's text."]},
        ),
        (
            {"source": "article", "quote": "NATO summit"},
            {
                "start": [
                    "The quote occurs 3 times in the source's text (at 1103, 1372, 1527): "
                    "give its offsets to say which."
                ]
            },
        ),
        (
            {"source": "article", "quote": "NATO summit", "start": "1104"},
            {"quote": ["The source's text from 1104 to 1115 is not this quote."]},
        ),
    ],
    ids=[
        "not-a-date",
        "not-a-day",
        "unknown-status",
        "quote-without-source",
        "source-without-quote",
        "quote-not-in-seed",
        "ambiguous-quote",
        "wrong-offset",
    ],
)
def test_a_status_change_that_cannot_be_recorded_is_a_form_error(
    staff_client, attendance, article_source, fields, errors
):
    if fields.get("source") == "article":
        fields["source"] = article_source.pk

    response = record_status(staff_client, attendance, **fields)

    assert response.status_code == 200
    assert response.context["form"].errors == errors
    assert not StatusChange.objects.exists()
    assert not Citation.objects.exists()


def test_an_offset_picks_one_of_several_occurrences_of_a_quote(
    staff_client, attendance, article_source
):
    response = record_status(
        staff_client, attendance, source=article_source.pk, quote="NATO summit", start="1372"
    )

    assert response.status_code == 302
    assert (Citation.objects.get().start, Citation.objects.get().end) == (1372, 1383)


def test_recording_a_status_already_recorded_on_that_date_is_a_form_error(staff_client, attendance):
    attendance_record_status(
        attendance=attendance, status="invited", as_of=dt.date(2024, 3, 1), as_of_precision="month"
    )

    response = record_status(staff_client, attendance, status="invited", as_of="2024-03")

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "as_of": ["This status is already recorded as of this date."]
    }
    assert attendance.status_changes.count() == 1


def test_recording_a_status_needs_the_right_to_add_status_changes(client, attendance, user):
    user.is_staff = True
    user.save()
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_attendance", "change_attendance"])
    )
    client.force_login(user)

    assert client.get(record_status_url(attendance)).status_code == 403
    assert record_status(client, attendance).status_code == 403
    assert not StatusChange.objects.exists()


def select_and_record(client, attendances: list[Attendance], **fields: object):
    """The list's action: pick attendances, choose the action, then fill in and apply its form."""
    data = {
        "action": "record_status_change_action",
        "_selected_action": [a.pk for a in attendances],
    }
    page = client.post(admin_url(Attendance, "changelist"), data)
    assert page.status_code == 200
    assert page.context["title"] == "Record a status change"
    fields = {"status": "attended", "as_of": "2023", "basis": "stated", **fields}
    return client.post(admin_url(Attendance, "changelist"), {**data, "apply": "1", **fields})


def test_the_list_action_records_one_status_for_every_selected_attendance(staff_client):
    summit = make_summit()
    selected = [make_attendance(summit) for _ in range(3)]
    other = make_attendance(summit)

    response = select_and_record(staff_client, selected)

    assert response.status_code == 302
    statuses = dict(Attendance.objects.values_list("pk", "status"))
    assert statuses == {**{a.pk: "attended" for a in selected}, other.pk: None}
    assert (
        StatusChange.objects.filter(as_of=dt.date(2023, 1, 1), as_of_precision="year").count() == 3
    )


def test_the_list_action_records_nothing_when_one_attendance_refuses(staff_client):
    summit = make_summit()
    selected = [
        make_attendance(summit, make_country("AU")),
        make_attendance(summit, make_country("NZ")),
    ]
    attendance_record_status(
        attendance=selected[1], status="attended", as_of=dt.date(2023, 1, 1), as_of_precision="year"
    )

    response = select_and_record(staff_client, selected)

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "as_of": [f"{selected[1]}: This status is already recorded as of this date."]
    }
    assert StatusChange.objects.count() == 1


def test_the_attendance_history_lists_the_steps_of_its_timeline_with_their_editor(
    staff_client, attendance
):
    record_status(staff_client, attendance, status="proposed", as_of="2024-03")

    response = staff_client.get(admin_url(Attendance, "history", attendance.pk))

    [step] = response.context["timeline_history"]
    assert (str(step.history_object), step.history_user.username) == (
        "Proposed (invitation under discussion) as of March 2024",
        "staff",
    )
    assert "Status timeline edits" in response.content.decode()


# Filters and search.


def test_the_attendance_list_filters_by_the_summit_host_country(staff_client):
    spain, lithuania = make_country("ES"), make_country("LT")
    madrid = make_attendance(make_summit(host_country=spain))
    make_attendance(make_summit(host_country=lithuania))

    response = staff_client.get(
        admin_url(Attendance, "changelist"), {"summit__host_country__id__exact": spain.pk}
    )

    assert list(response.context["cl"].result_list) == [madrid]


@pytest.mark.parametrize(
    ("model", "term", "expected"),
    [
        (Summit, "nato-2024", ["summit"]),
        (Summit, "US", ["summit"]),
        (Attendance, "fumio-kishida", ["japan"]),
        (Attendance, "JP", ["japan"]),
        (Attendance, "nato-2024", ["japan", "korea"]),
        (Leader, "fumio-kishida", ["leader"]),
        (Country, "JP", ["country"]),
    ],
)
def test_the_lists_search_names_slugs_and_codes(staff_client, model, term, expected):
    japan, united_states = make_country("JP"), make_country("US")
    kishida = make_leader(japan, name="Fumio Kishida", slug="fumio-kishida")
    summit = make_summit(name="NATO Summit 2024", slug="nato-2024", host_country=united_states)
    make_summit(name="Other", slug="other", host_country=make_country("ES"))
    rows = {
        "summit": summit,
        "japan": make_attendance(summit, japan, leader=kishida),
        "korea": make_attendance(summit, make_country("KR")),
        "leader": kishida,
        "country": japan,
    }

    response = staff_client.get(admin_url(model, "changelist"), {"q": term})

    assert list(response.context["cl"].result_list) == [rows[name] for name in expected]


# Every database constraint is a form error on the field to change, never a server error.


def post_change(client, obj: models.Model, **changes: object):
    url = admin_url(type(obj), "change", obj.pk)
    data = form_data(client.get(url))
    data.update({name: "" if value is None else str(value) for name, value in changes.items()})
    return client.post(url, data)


def second_citation(rows, **target: object) -> Citation:
    """A citation of the record, by the same source, beside one of its `status` field."""
    if "status_change" not in target:
        cite(rows[Source], "talks to invite", field="status", **target)
    return cite(rows[Source], "talks to invite", field="other", **target)


CONSTRAINT_CASES = {
    "summits_country_code_iso": lambda rows: (rows[Country], {"code": "jp"}, "code"),
    "summits_leader_term_end_on_or_after_start": lambda rows: (
        rows[Leader],
        {"term_start": "2024-01-01", "term_end": "2023-01-01"},
        "term_end",
    ),
    "summits_summit_kind_valid": lambda rows: (rows[Summit], {"kind": "summitry"}, "kind"),
    "summits_summit_status_valid": lambda rows: (rows[Summit], {"status": "rumoured"}, "status"),
    "summits_summit_date_precision_valid": lambda rows: (
        rows[Summit],
        {"date_precision": "week"},
        "date_precision",
    ),
    "summits_summit_end_on_or_after_start": lambda rows: (
        rows[Summit],
        {"end_date": "2024-07-01"},
        "end_date",
    ),
    "summits_summit_end_only_at_day_precision": lambda rows: (
        rows[Summit],
        {"start_date": "2024-07-01", "date_precision": "month"},
        "end_date",
    ),
    "summits_summit_start_is_first_of_period": lambda rows: (
        rows[Summit],
        {"date_precision": "month", "end_date": None},
        "start_date",
    ),
    "summits_attendance_one_per_country": lambda rows: (
        make_attendance(rows[Summit]),
        {"country": rows[Country].pk, "leader": None},
        "country",
    ),
    "summits_attendance_role_valid": lambda rows: (rows[Attendance], {"role": "observer"}, "role"),
    "summits_statuschange_once_per_date": lambda rows: (
        attendance_record_status(
            attendance=rows[Attendance], status="proposed", as_of=dt.date(2024, 4, 1)
        ),
        {"as_of": "2024-03-01", "as_of_precision": "month"},
        "as_of",
    ),
    "summits_statuschange_status_valid": lambda rows: (
        rows[StatusChange],
        {"status": "rumoured"},
        "status",
    ),
    "summits_statuschange_as_of_precision_valid": lambda rows: (
        rows[StatusChange],
        {"as_of_precision": "week"},
        "as_of_precision",
    ),
    "summits_statuschange_as_of_is_first_of_period": lambda rows: (
        rows[StatusChange],
        {"as_of": "2024-03-05"},
        "as_of",
    ),
    "summits_source_has_origin": lambda rows: (
        baker.make(Source, key="page", url="https://example.org/page"),
        {"url": None},
        "url",
    ),
    "summits_source_unique_text": lambda rows: (
        baker.make(Source, key="page", url="https://example.org/page"),
        {"text": rows[Source].text},
        "text",
    ),
    "summits_citation_exactly_one_target": lambda rows: (
        rows[Citation],
        {"summit": rows[Summit].pk},
        "summit",
    ),
    "summits_citation_offsets_span_quote": lambda rows: (
        rows[Citation],
        {"start": 0, "end": 3},
        "quote",
    ),
    "summits_citation_basis_valid": lambda rows: (rows[Citation], {"basis": "rumour"}, "basis"),
    "summits_citation_unique_summit": lambda rows: (
        second_citation(rows, summit=rows[Summit]),
        {"field": "status"},
        "start",
    ),
    "summits_citation_unique_attendance": lambda rows: (
        second_citation(rows, attendance=rows[Attendance]),
        {"field": "status"},
        "start",
    ),
    "summits_citation_unique_status_change": lambda rows: (
        second_citation(rows, status_change=rows[StatusChange]),
        {"field": "status"},
        "start",
    ),
}
# Not editable in the admin at all: the status is the timeline's, written by a service; the
# "first" labels are the database's; a text's digest and length are computed from it, and only
# fixtures set a seed file.
CONSTRAINTS_NOT_EDITABLE = {
    "summits_attendance_status_valid",
    "summits_attendance_first_for_country_valid",
    "summits_attendance_first_for_leader_valid",
    "summits_source_text_digest",
    "summits_source_seed_file_has_text",
}
# Constraints that a rule checked before them reports in its own words.
MESSAGES_FIRST = {
    "summits_source_unique_text": "Source 'article' holds this text already.",
    "summits_citation_offsets_span_quote": "The source's text from 0 to 3 is not this quote.",
}


CONSTRAINTS = {
    constraint.name: constraint for model in ALL_MODELS for constraint in model._meta.constraints
}


def test_every_database_constraint_has_an_admin_case():
    assert CONSTRAINTS.keys() == CONSTRAINT_CASES.keys() | CONSTRAINTS_NOT_EDITABLE


@pytest.mark.parametrize("constraint", sorted(CONSTRAINT_CASES))
def test_a_database_constraint_is_a_form_error_on_its_field(staff_client, one_of_each, constraint):
    obj, changes, field = CONSTRAINT_CASES[constraint](one_of_each)
    before = model_to_dict(type(obj).objects.get(pk=obj.pk))

    response = post_change(staff_client, obj, **changes)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == [field], errors
    [message] = errors[field]
    if constraint.endswith("_valid"):
        # A value outside the choices is refused by the form's choice field first.
        assert message.startswith("Select a valid choice.")
    elif constraint in MESSAGES_FIRST:
        assert message == MESSAGES_FIRST[constraint]
    else:
        assert message == CONSTRAINTS[constraint].get_violation_error_message()
    assert model_to_dict(type(obj).objects.get(pk=obj.pk)) == before


def test_the_attendance_status_is_not_a_field_of_any_admin_form(staff_client, one_of_each):
    summit_page = staff_client.get(admin_url(Summit, "change", one_of_each[Summit].pk))
    attendance_page = staff_client.get(admin_url(Attendance, "change", one_of_each[Attendance].pk))

    assert "status" not in attendance_page.context["adminform"].form.fields
    assert "status" not in summit_page.context["inline_admin_formsets"][0].formset.forms[0].fields


def test_two_inline_attendances_for_one_country_are_a_form_error(staff_client):
    summit = make_summit()
    japan = make_country("JP")
    url = admin_url(Summit, "change", summit.pk)
    data = form_data(staff_client.get(url))
    data.update(
        {
            "attendances-TOTAL_FORMS": "2",
            "attendances-0-country": japan.pk,
            "attendances-1-country": japan.pk,
        }
    )

    response = staff_client.post(url, data)

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.non_form_errors() == ["Please correct the duplicate data for country."]
    assert not Attendance.objects.exists()


def test_deleting_a_country_that_records_depend_on_is_refused_with_a_page(
    staff_client, one_of_each
):
    japan = one_of_each[Country]

    response = staff_client.post(admin_url(Country, "delete", japan.pk), {"post": "yes"})

    assert response.status_code == 200
    assert response.context["protected"]
    assert Country.objects.filter(pk=japan.pk).exists()


def test_the_record_status_action_is_offered_only_to_who_may_add_status_changes(
    client, attendance, user
):
    user.is_staff = True
    user.save()
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_attendance", "change_attendance"])
    )
    client.force_login(user)

    def offered_actions() -> set[str]:
        form = client.get(admin_url(Attendance, "changelist")).context["action_form"]
        return set() if form is None else {name for name, _ in form.fields["action"].choices}

    assert "record_status_change_action" not in offered_actions()
    user.user_permissions.add(Permission.objects.get(codename="add_statuschange"))
    assert "record_status_change_action" in offered_actions()


def test_citing_a_source_needs_the_right_to_add_citations(client, attendance, user):
    user.is_staff = True
    user.save()
    user.user_permissions.set(
        Permission.objects.filter(
            codename__in=["view_attendance", "add_statuschange", "view_source"]
        )
    )
    client.force_login(user)

    refused = record_status(client, attendance, source=make_source().pk, quote="Invited.")
    recorded = record_status(client, attendance)

    assert refused.context["form"].errors == {
        "source": ["You may record a status, but not add a citation."]
    }
    assert recorded.status_code == 302
    assert attendance.status_changes.count() == 1
    assert not Citation.objects.exists()


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model._meta.model_name)
@pytest.mark.parametrize("view", ["change", "history", "simple_history"])
def test_a_malformed_id_in_an_admin_address_is_not_a_server_error(staff_client, model, view):
    args = ("abc", "xyz") if view == "simple_history" else ("abc",)

    response = staff_client.get(admin_url(model, view, *args))

    assert response.status_code in (302, 404)


def test_a_malformed_id_on_the_record_status_page_is_not_a_server_error(staff_client):
    url = reverse("admin:summits_attendance_record_status", args=["abc"])

    assert staff_client.get(url).status_code == 302


@pytest.mark.parametrize("view", ["changelist", "autocomplete"])
def test_an_admin_search_past_the_apis_bounds_searches_nothing_and_says_why(staff_client, view):
    make_summit(name="NATO Summit 2024", slug="nato-2024", host_country=make_country("US"))
    terms = " ".join(["e"] * 1000)

    if view == "changelist":
        response = staff_client.get(admin_url(Summit, "changelist"), {"q": terms})
        assert list(response.context["cl"].result_list) == []
        assert "A search takes at most 8 terms; this one has 1000." in response.content.decode()
    else:
        response = staff_client.get(
            reverse("admin:autocomplete"),
            {
                "term": terms,
                "app_label": "summits",
                "model_name": "attendance",
                "field_name": "summit",
            },
        )
        assert response.status_code == 200
        assert response.json()["results"] == []


def test_a_text_file_with_a_nul_byte_is_a_form_error(staff_client):
    upload = SimpleUploadedFile("article.txt", b"hello\x00world")

    response = staff_client.post(
        admin_url(Source, "add"),
        {"key": "nul", "title": "Nul", "language": "en", "text_file": upload},
    )

    assert response.status_code == 200
    assert "text" in response.context["adminform"].form.errors
    assert not Source.objects.filter(key="nul").exists()


def test_an_uploaded_text_is_kept_character_for_character(staff_client):
    text = "Line one\r\nLine two\n\u2019quoted\u2019 \u00e9t\u00e9\n"
    upload = SimpleUploadedFile("article.txt", text.encode("utf-8"))

    response = staff_client.post(
        admin_url(Source, "add"),
        {"key": "uploaded", "title": "Uploaded", "language": "en", "text_file": upload},
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Source.objects.get(key="uploaded").text == text


def test_editing_a_sources_title_leaves_its_text_as_it_was(staff_client):
    source = Source.objects.create(key="crlf", title="Old", text="line one\r\nline two\rthree")

    response = post_change(staff_client, source, title="New")

    assert response.status_code == 302
    source.refresh_from_db()
    assert (source.title, source.text) == ("New", "line one\r\nline two\rthree")


def test_a_pasted_text_is_kept_with_its_line_breaks_as_newlines(staff_client):
    pasted = "  Indented first line,\r\nthen a \u2019curly\u2019 one.\r\n"  # as a browser sends it

    response = staff_client.post(
        admin_url(Source, "add"),
        {"key": "pasted", "title": "Pasted", "language": "en", "text": pasted},
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    source = Source.objects.get(key="pasted")
    assert source.text == "  Indented first line,\nthen a \u2019curly\u2019 one.\n"
    assert (source.length, source.sha256) == (len(source.text), text_digest(source.text))
