"""The Django admin: every page renders, lists cost a fixed number of queries, edits are kept in
the history, and a status can only follow the timeline."""

import datetime as dt
import itertools
import string

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from model_bakery import baker

from summits.dates import DatePrecision
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

ALL_MODELS = [Country, Leader, Organization, Summit, Attendance, StatusChange, Source, Citation]

# Every two-letter code, in order: AA, AB, ...
COUNTRY_CODES = ("".join(pair) for pair in itertools.product(string.ascii_uppercase, repeat=2))


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
    return baker.make(Source, key="article", title="The article", url="https://example.org/a")


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
    citation = baker.make(
        Citation, source=source, status_change=change, field="status", quote="talks to invite"
    )
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


@pytest.mark.parametrize("rows", [3, 30])
def test_the_summit_list_costs_the_same_queries_for_3_or_30_summits(
    staff_client, django_assert_num_queries, rows
):
    nato = baker.make(Organization, slug="nato", name="NATO")
    for index in range(rows):
        summit = make_summit(
            organization=nato, host_country=make_country(), start_date=dt.date(2000 + index, 7, 9)
        )
        make_attendance(summit)
    url = admin_url(Summit, "changelist")

    # The request's savepoint and release (ATOMIC_REQUESTS), session, user, the choices of the
    # year, organization and host country filters, the filtered and full counts, the page.
    with django_assert_num_queries(10):
        response = staff_client.get(url)

    assert len(response.context["cl"].result_list) == rows


@pytest.mark.parametrize("rows", [3, 30])
def test_the_attendance_list_costs_the_same_queries_for_3_or_30_attendances(
    staff_client, django_assert_num_queries, rows
):
    nato = baker.make(Organization, slug="nato", name="NATO")
    summit = make_summit(organization=nato)
    for _ in range(rows):
        country = make_country()
        make_attendance(summit, country, leader=make_leader(country))
    url = admin_url(Attendance, "changelist")

    # The request's savepoint and release (ATOMIC_REQUESTS), session, user, the choices of the
    # year, organization and country filters, the filtered and full counts, the page.
    with django_assert_num_queries(10):
        response = staff_client.get(url)

    assert len(response.context["cl"].result_list) == rows


def make_status_change() -> StatusChange:
    country = make_country()
    return attendance_record_status(
        attendance=make_attendance(make_summit(), country, leader=make_leader(country)),
        status=Attendance.Status.INVITED,
        as_of=dt.date(2024, 3, 1),
    )


def make_citation(target: str) -> Citation:
    source = baker.make(Source, url="https://example.org/")
    country = make_country()
    records = {
        "summit": lambda: make_summit(host_country=country),
        "attendance": lambda: make_attendance(make_summit(), country, leader=make_leader(country)),
        "status_change": make_status_change,
    }
    return baker.make(
        Citation, source=source, field="status", quote="quoted", **{target: records[target]()}
    )


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
    baker.make(
        Citation,
        source=make_source(),
        summit=attendance.summit,
        field="start_date",
        quote="July 9 to 11",
    )

    response = staff_client.get(admin_url(Summit, "change", attendance.summit.pk))

    attendances, citations = (
        inline.formset.queryset for inline in response.context["inline_admin_formsets"]
    )
    assert list(attendances) == [attendance]
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
    baker.make(
        Citation, source=make_source(), attendance=attendance, field="leader", quote="word " * 40
    )

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
