"""The list serializers' hand-written `to_representation` builds what DRF's generic one builds.

Lists render each row with a plain function rather than DRF's per-field machinery; these tests
hold the two to the same dicts, keys in the same order, on the article's rows and on generated
ones (which have every kind of empty value: no leader, role, status, organization, host or end).
"""

import json

import pytest
from django.core.management import call_command
from rest_framework import serializers as drf_serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from summits.api import record_serializers, serializers, views
from summits.models import (
    Attendance,
    Citation,
    Country,
    Leader,
    Organization,
    StatusChange,
    Summit,
)
from summits.records import country_attendance_records, leader_attendance_records


@pytest.fixture(params=["article", "generated"])
def data(request, db):
    if request.param == "article":
        call_command("load_fixtures", "article", "context", verbosity=0)
    else:
        call_command("generate_data", seed=3, attendances=400, verbosity=0)


def rows(viewset, action: str):
    request = Request(APIRequestFactory().get("/"))
    view = viewset(action=action, detail=action != "list", request=request, kwargs={})
    view.format_kwarg = None
    return view, view.get_queryset()


def generic(serializer, instance) -> dict:
    """DRF's own ModelSerializer.to_representation, field by field."""
    return drf_serializers.ModelSerializer.to_representation(serializer, instance)


@pytest.mark.parametrize(
    ("viewset", "action", "serializer_class"),
    [
        (views.AttendanceViewSet, "list", serializers.AttendanceSerializer),
        (views.AttendanceViewSet, "retrieve", serializers.AttendanceDetailSerializer),
        (views.SummitViewSet, "list", serializers.SummitSerializer),
        (views.SummitViewSet, "retrieve", serializers.SummitDetailSerializer),
    ],
)
def test_a_row_renders_as_drf_would_render_it(data, viewset, action, serializer_class):
    view, queryset = rows(viewset, action)
    serializer = serializer_class(context=view.get_serializer_context())
    reference = serializer_class(context=view.get_serializer_context())
    # A summit's attendees render from rows; the next test holds them to DRF's rendering.
    attendees = reference.fields.pop("attendances", None)
    items = list(queryset)
    assert items

    for item in items:
        fast = serializer.to_representation(item)
        instance = item
        if isinstance(item, dict):
            # A `.values()` row: DRF would render the instance it was read from.
            key = "id" if view.lookup_field == "pk" else view.lookup_field
            instance = viewset.queryset.get(**{key: item[key]})
        expected = generic(reference, instance)
        if attendees is not None:
            expected = {**expected, "attendances": fast["attendances"]}
            expected = {name: expected[name] for name in serializer.fields}
        assert list(fast.items()) == list(expected.items())


def test_a_summits_attendees_render_as_drf_would_render_each_attendance(data):
    view, summits = rows(views.SummitViewSet, "retrieve")
    context = view.get_serializer_context()
    summit_serializer = serializers.SummitDetailSerializer(context=context)
    attendee_serializer = serializers.AttendeeSerializer(context=context)
    rendered = 0

    for summit in summits:
        attendances = summit.attendances.select_related("country", "leader")
        by_country = sorted(
            attendances, key=lambda attendance: (attendance.country.code, attendance.pk)
        )
        fast = summit_serializer.to_representation(summit)["attendances"]
        assert fast == [generic(attendee_serializer, attendance) for attendance in by_country]
        assert [list(row) for row in fast] == [list(attendee_serializer.fields)] * len(fast)
        rendered += len(fast)
    assert rendered > 0


def test_generated_rows_hold_every_kind_of_empty_value(db):
    call_command("generate_data", seed=3, attendances=400, verbosity=0)
    _, attendances = rows(views.AttendanceViewSet, "list")
    _, summits = rows(views.SummitViewSet, "list")

    assert any(attendance["leader__slug"] is None for attendance in attendances)
    assert any(attendance["role"] is None for attendance in attendances)
    assert any(attendance["first_for_country"] is None for attendance in attendances)
    assert any(attendance["first_for_country"] is not None for attendance in attendances)
    assert any(summit["organization__slug"] is None for summit in summits)
    assert any(summit["host_country__code"] is None for summit in summits)
    assert any(summit["end_date"] is None for summit in summits)
    assert any(summit["end_date"] is not None for summit in summits)


@pytest.mark.parametrize(
    ("serializer_class", "model"),
    [
        (serializers.AttendanceSerializer, Attendance),
        (serializers.SummitSerializer, Summit),
        (serializers.CountrySerializer, Country),
        (serializers.LeaderSerializer, Leader),
        (serializers.OrganizationSerializer, Organization),
    ],
)
def test_a_hyperlink_from_the_template_is_the_one_reverse_builds(data, serializer_class, model):
    request = Request(APIRequestFactory().get("/"))
    field = serializer_class(context={"request": request}).fields["url"]
    instances = list(model.objects.all())
    assert instances

    for instance in instances:
        from_template = field.get_url(instance, field.view_name, request, None)
        reversed_url = drf_serializers.HyperlinkedIdentityField.get_url(
            field, instance, field.view_name, request, None
        )
        assert from_template == reversed_url
        assert from_template.startswith("http://testserver/api/")


@pytest.mark.parametrize(
    ("serializer_class", "model"),
    [
        (serializers.EvidenceSerializer, Citation),
        (serializers.StatusChangeSerializer, StatusChange),
    ],
)
def test_evidence_and_timelines_render_as_drf_would_render_them(data, serializer_class, model):
    request = Request(APIRequestFactory().get("/"))
    serializer = serializer_class(context={"request": request})
    instances = list(model.objects.prefetch_related(*(["citations"] * (model is StatusChange))))
    assert instances

    for instance in instances:
        fast = serializer.to_representation(instance)
        assert list(fast.items()) == list(generic(serializer, instance).items())


def test_a_record_renders_as_drf_would_render_it(data):
    serializer = record_serializers.AttendanceRecordSerializer()
    records = [
        record
        for leader in Leader.objects.all()[:200]
        for record in leader_attendance_records(leader=leader)
    ] + [
        record
        for country in Country.objects.all()
        for record in country_attendance_records(country=country)
    ]
    assert any(record.longest_run for record in records)

    for record in records:
        fast = serializer.to_representation(record)
        slow = drf_serializers.Serializer.to_representation(serializer, record)
        assert json.dumps(fast) == json.dumps(slow)


@pytest.mark.parametrize("suffix", ["/", ".json"])
def test_links_keep_the_format_suffix_a_page_was_asked_for_with(anonymous_client, article, suffix):
    """With a format suffix, links take DRF's own path (reverse() with the format)."""
    response = anonymous_client.get(f"/api/summits/nato-2023-lithuania{suffix}")

    assert response.status_code == 200
    body = response.json()
    attendee = body["attendances"][0]
    assert body["url"] == f"http://testserver/api/summits/nato-2023-lithuania{suffix}"
    assert attendee["url"] == f"http://testserver/api/attendances/{attendee['id']}{suffix}"
