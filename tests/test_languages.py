"""Names in other languages: tags, the names tables' rules, `Accept-Language` and search."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from summits.api.languages import accepted_languages
from summits.languages import canonical_tag, countries_named, country_names
from summits.models import Leader, LeaderName, Organization, OrganizationName, SummitName
from tests.helpers import DATA_VERSION_QUERY, body
from tests.test_admin import form_data

# The context fixture's Japanese name of NATO 2024 (Japanese writes full-width parentheses).
WASHINGTON_JA = "NATO首脳会議（2024年、ワシントン）"  # noqa: RUF001


@pytest.mark.parametrize(
    ("tag", "canonical"),
    [
        ("ja", "ja"),
        ("JA", "ja"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("sr-latn", "sr-Latn"),
        ("es-419", "es-419"),
        ("de-CH-1996", "de-CH-1996"),
        ("fil", "fil"),
        ("xx", None),  # no such language in ISO 639
        ("ja-", None),
        ("japanese", None),
        ("en-x-private", None),  # private use is not taken
        ("de-1996-1996", None),  # a variant once
        ("und", None),  # no particular language: a spelling has no tag
        ("", None),
        ("*", None),
    ],
)
def test_a_language_tag_is_kept_in_its_canonical_case_or_refused(tag, canonical):
    assert canonical_tag(tag) == canonical


@pytest.mark.parametrize(
    ("header", "languages"),
    [
        ("ja", ["ja"]),
        ("fr;q=0.5, ja", ["ja", "fr"]),
        ("en-US,en;q=0.9", ["en-US", "en"]),
        ("ko, *;q=0.1, ja;q=0", ["ko"]),
        ("ja;q=2, ko;q=abc, fr;x=1, de", ["de"]),
        ("ja, JA", ["ja"]),
        ("", []),
        (",,;;", []),
    ],
)
def test_accept_language_is_read_preferred_first(header, languages):
    assert accepted_languages(header) == languages


def test_countries_are_named_in_every_language_pycountry_ships():
    japan = country_names("JP")
    assert japan["ja"] == "日本"
    assert japan["fr"] == "Japon"
    assert japan["zh-Hans-CN"] == "日本"
    assert len(japan) > 100
    assert "en" not in japan
    assert country_names("SUHH")["de"]  # a former country, from ISO 3166-3
    assert "JP" in countries_named("日本")
    assert "JP" in countries_named("JAPON")


def test_a_name_takes_a_tag_the_database_holds_in_canonical_form(article_and_context):
    kishida = Leader.objects.get(slug="fumio-kishida")
    name = LeaderName(leader=kishida, name="きしだ ふみお", language="JA-hira")
    name.full_clean()
    assert name.language == "ja-Hira"

    with pytest.raises(ValidationError) as refused:
        LeaderName(leader=kishida, name="Kishida", language="japanese").full_clean()
    assert refused.value.message_dict["language"][0].startswith("A BCP 47 language tag")

    with transaction.atomic(), pytest.raises(IntegrityError):
        LeaderName.objects.create(leader=kishida, name="Kishida", language="JA")


def test_a_record_has_one_name_per_language_and_any_number_of_spellings(article_and_context):
    nato = Organization.objects.get(slug="nato")
    with pytest.raises(ValidationError) as refused:
        OrganizationName(organization=nato, name="NATO", language="ja").full_clean()
    assert "There is a name in this language already" in str(refused.value)
    OrganizationName.objects.create(organization=nato, name="N.A.T.O.")
    OrganizationName.objects.create(organization=nato, name="Atlantic Alliance")
    with transaction.atomic(), pytest.raises(IntegrityError):
        OrganizationName.objects.create(organization=nato, name="OTAN", language="fr")


def get(client, url, language=None, **query):
    headers = {} if language is None else {"HTTP_ACCEPT_LANGUAGE": language}
    response = client.get(url, query, **headers)
    assert response.status_code == 200, response.content
    return response


def test_accept_language_names_a_leader_and_country_in_japanese(
    anonymous_client, article_and_context
):
    response = get(anonymous_client, reverse("api:leader-detail", args=["fumio-kishida"]), "ja")
    body = response.json()
    assert (body["name"], body["country_name"]) == ("岸田文雄", "日本")
    assert body["office"] == "Prime Minister"  # only names change
    assert response["Content-Language"] == "ja, en"
    assert "Accept-Language" in response["Vary"]


def test_a_name_unknown_in_a_language_stays_english(anonymous_client, article_and_context):
    response = get(anonymous_client, reverse("api:leader-detail", args=["fumio-kishida"]), "ko")
    assert response.json()["name"] == "Fumio Kishida"
    assert response.json()["country_name"] == "일본"
    assert response["Content-Language"] == "ko, en"


def test_each_name_takes_the_first_language_it_is_known_in(anonymous_client, article_and_context):
    url = reverse("api:leader-detail", args=["yoon-suk-yeol"])
    assert get(anonymous_client, url, "ko, ja").json()["name"] == "윤석열"
    assert get(anonymous_client, url, "de, ja;q=0.8, ko;q=0.5").json()["name"] == "尹錫悦"
    kishida = get(anonymous_client, reverse("api:leader-detail", args=["fumio-kishida"]), "ko, ja")
    assert kishida.json()["name"] == "岸田文雄"
    assert kishida["Content-Language"] == "ko, ja, en"  # 일본, then 岸田文雄


def test_english_first_or_no_preference_answers_the_records_names(
    anonymous_client, article_and_context
):
    url = reverse("api:leader-detail", args=["fumio-kishida"])
    for header in (None, "en", "en-GB, ja;q=0.5", "*", "xx"):
        response = get(anonymous_client, url, header)
        assert response.json()["name"] == "Fumio Kishida"
        assert response["Content-Language"] == "en"
        assert "Accept-Language" in response["Vary"]


def test_a_language_finds_names_under_a_more_specific_tag(anonymous_client, article_and_context):
    country = get(anonymous_client, reverse("api:country-detail", args=["JP"]), "zh")
    assert country.json()["name"] == "日本"
    assert country["Content-Language"] == "zh-Hans-CN, en"
    spain = get(anonymous_client, reverse("api:country-detail", args=["ES"]), "zh-Hant-TW")
    assert spain.json()["name"] == "西班牙"
    assert spain["Content-Language"] == "zh-Hant-TW, en"
    assert get(anonymous_client, spain.wsgi_request.path, "zh-TW").json()["name"] == "西班牙"


def test_a_summit_its_attendees_and_a_record_are_named_in_japanese(
    anonymous_client, article_and_context
):
    summit = get(
        anonymous_client, reverse("api:summit-detail", args=["nato-2024-washington"]), "ja"
    ).json()
    assert summit["name"] == WASHINGTON_JA
    japan = next(row for row in summit["attendances"] if row["country"] == "JP")
    assert (japan["country_name"], japan["leader_name"]) == ("日本", "岸田文雄")

    record = get(
        anonymous_client, reverse("api:leader-record", args=["fumio-kishida"]), "ja"
    ).json()[0]
    assert record["organization_name"] == "北大西洋条約機構"
    names = {summit["slug"]: summit["name"] for summit in record["attended"]}
    assert names["nato-2024-washington"] == WASHINGTON_JA
    assert names["nato-2022-spain"] == "NATO Summit 2022, Spain"  # no Japanese name yet


def test_lists_and_csv_are_named_in_the_language_asked_for(anonymous_client, article_and_context):
    url = reverse("api:attendance-list") + "?leader=fumio-kishida"
    rows = get(anonymous_client, url, "ja").json()["results"]
    assert {row["leader_name"] for row in rows} == {"岸田文雄"}
    assert WASHINGTON_JA in {row["summit_name"] for row in rows}
    organizations = get(anonymous_client, reverse("api:organization-list"), "fr").json()
    assert organizations["results"][0]["name"] == "Organisation du traité de l'Atlantique nord"

    csv = get(anonymous_client, f"{url}&format=csv", "ja")
    text = body(csv).decode()
    assert "岸田文雄" in text
    assert "Fumio Kishida" not in text
    assert csv["Content-Language"] == "ja, en"


def test_every_language_has_an_etag_of_its_own(anonymous_client, article_and_context):
    url = reverse("api:leader-detail", args=["fumio-kishida"])
    japanese = get(anonymous_client, url, "ja")["ETag"]
    english = get(anonymous_client, url, "en")["ETag"]
    assert japanese != english
    again = anonymous_client.get(url, HTTP_ACCEPT_LANGUAGE="ja", HTTP_IF_NONE_MATCH=japanese)
    assert again.status_code == 304


def queries_with_language(client, url: str, language: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        get(client, url, language)
    return sum(
        1
        for query in queries
        if "SAVEPOINT" not in query["sql"] and query["sql"] != DATA_VERSION_QUERY
    )


@pytest.mark.parametrize("basename", ["attendance", "summit", "leader", "country", "organization"])
def test_a_list_in_another_language_runs_the_same_queries_at_any_page_size(
    anonymous_client, many_rows, basename
):
    # Every row's names in Japanese where known: one query per kind of record named.
    for leader in Leader.objects.all():
        LeaderName.objects.create(leader=leader, name=f"{leader.name} (ja)", language="ja")
    url = reverse(f"api:{basename}-list")
    small = queries_with_language(anonymous_client, f"{url}?page_size=5", "ja")
    large = queries_with_language(anonymous_client, f"{url}?page_size=50", "ja")
    english = queries_with_language(anonymous_client, f"{url}?page_size=50", "en")
    assert small == large
    assert large - english <= 3  # leaders', organizations' and summits' names


@pytest.mark.parametrize(
    ("basename", "term", "found"),
    [
        ("leader", "岸田", {"fumio-kishida"}),
        ("country", "日本", {"JP"}),
        ("country", "Japon", {"JP"}),
        ("summit", "ワシントン", {"nato-2024-washington"}),
        ("organization", "北大西洋", {"nato"}),
        ("organization", "Atlantique", {"nato"}),
    ],
)
def test_search_finds_a_record_by_a_name_in_any_language(
    anonymous_client, article_and_context, basename, term, found
):
    results = get(anonymous_client, reverse(f"api:{basename}-list"), search=term).json()["results"]
    key = "code" if basename == "country" else "slug"
    assert {row[key] for row in results} == found


def test_search_finds_attendances_by_a_leaders_summits_or_countrys_other_name(
    anonymous_client, article_and_context
):
    url = reverse("api:attendance-list")
    by_leader = get(anonymous_client, url, search="岸田").json()["results"]
    assert {row["leader"] for row in by_leader} == {"fumio-kishida"}
    by_country = get(anonymous_client, url, search="日本").json()["results"]
    assert {row["country"] for row in by_country} == {"JP"}
    by_summit = get(anonymous_client, url, search="ワシントン").json()["results"]
    assert {row["summit"] for row in by_summit} == {"nato-2024-washington"}


def test_the_admin_edits_a_summits_names(client, staff, article_and_context):
    client.force_login(staff)
    summit = SummitName.objects.get(language="ja").summit
    url = reverse("admin:summits_summit_change", args=[summit.pk])
    page = client.get(url)
    assert "Names in other languages" in page.content.decode()
    data = form_data(page)  # the Japanese name, then an empty row for a new one

    data.update({"other_names-1-language": "FR", "other_names-1-name": "Sommet de Washington"})
    assert client.post(url, data).status_code == 302
    assert SummitName.objects.get(summit=summit, language="fr").name == "Sommet de Washington"

    data = form_data(client.get(url))
    data.update({"other_names-2-language": "not a tag", "other_names-2-name": "Autre"})
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "A BCP 47 language tag" in refused.content.decode()
    assert summit.other_names.count() == 2


def test_the_admin_finds_a_country_and_a_summit_by_a_name_in_another_language(
    client, staff, article_and_context
):
    client.force_login(staff)
    countries = client.get(reverse("admin:summits_country_changelist"), {"q": "日本"})
    assert [country.code for country in countries.context["cl"].result_list] == ["JP"]
    summits = client.get(reverse("admin:summits_summit_changelist"), {"q": "ワシントン"})
    assert [summit.slug for summit in summits.context["cl"].result_list] == ["nato-2024-washington"]


def test_a_conditional_write_holds_against_what_the_client_read_in_its_language(
    editor_client, article_and_context
):
    url = reverse("api:leader-detail", args=["fumio-kishida"])
    japanese = editor_client.get(url, HTTP_ACCEPT_LANGUAGE="ja")["ETag"]
    english = editor_client.get(url)["ETag"]
    change = {"office": "Prime Minister"}

    stale = editor_client.patch(
        url, change, format="json", HTTP_ACCEPT_LANGUAGE="ja", HTTP_IF_MATCH=english
    )
    written = editor_client.patch(
        url, change, format="json", HTTP_ACCEPT_LANGUAGE="ja", HTTP_IF_MATCH=japanese
    )

    assert stale.status_code == 412  # the English body is not what this client read
    assert written.status_code == 200, written.content
    assert written.json()["name"] == "岸田文雄"
    assert written["Content-Language"] == "ja, en"
    assert written["ETag"] == editor_client.get(url, HTTP_ACCEPT_LANGUAGE="ja")["ETag"]


@pytest.mark.parametrize(
    ("rows", "error"),
    [
        ((("ja", "山田"), ("JA", "田中")), "Another row has a name in this language."),
        # Django's own formset check, for the unconditional unique constraint.
        ((("", "Kishida F."), ("", "Kishida F.")), "Please correct the duplicate data"),
    ],
    ids=["one-language-twice", "one-spelling-twice"],
)
def test_two_new_names_that_clash_are_a_form_error_not_a_server_error(
    client, staff, article_and_context, rows, error
):
    client.force_login(staff)
    leader = Leader.objects.get(slug="chris-hipkins")  # no other names yet
    url = reverse("admin:summits_leader_change", args=[leader.pk])
    data = form_data(client.get(url))
    data["other_names-TOTAL_FORMS"] = str(len(rows))
    for index, (language, name) in enumerate(rows):
        data.update({f"other_names-{index}-language": language, f"other_names-{index}-name": name})

    response = client.post(url, data)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not leader.other_names.exists()


def test_a_row_that_takes_another_rows_language_is_a_form_error(client, staff, article_and_context):
    client.force_login(staff)
    leader = Leader.objects.get(slug="yoon-suk-yeol")  # ja and ko names
    url = reverse("admin:summits_leader_change", args=[leader.pk])
    page = client.get(url)
    data = form_data(page)
    rows = page.context["inline_admin_formsets"][0].formset.forms
    korean = next(i for i, form in enumerate(rows) if form.instance.language == "ko")
    data[f"other_names-{korean}-language"] = "ja"

    response = client.post(url, data)

    assert response.status_code == 200
    assert "Another row has a name in this language." in response.content.decode()
    assert set(leader.other_names.values_list("language", flat=True)) == {"ja", "ko"}


def test_a_reader_of_simplified_chinese_is_never_served_a_traditional_name(
    anonymous_client, article_and_context
):
    leader = Leader.objects.get(slug="fumio-kishida")
    LeaderName.objects.create(leader=leader, name="岸田文雄 (Hant)", language="zh-Hant")
    url = reverse("api:leader-detail", args=["fumio-kishida"])

    simplified = get(anonymous_client, url, "zh-CN")
    traditional = get(anonymous_client, url, "zh-TW")

    assert simplified.json()["name"] == "Fumio Kishida"
    assert simplified.json()["country_name"] == "日本"  # pycountry's zh_CN
    assert simplified["Content-Language"] == "zh-Hans-CN, en"
    assert traditional.json()["name"] == "岸田文雄 (Hant)"


def test_a_csv_file_names_a_few_of_the_clients_languages_without_variants(
    anonymous_client, article_and_context
):
    many = ", ".join(f"de-{n}996-{'abcde'}" for n in range(1, 10))
    response = get(anonymous_client, reverse("api:country-list"), f"ja-JP, {many}", format="csv")
    assert response["Content-Language"] == "ja-JP, de, en"
