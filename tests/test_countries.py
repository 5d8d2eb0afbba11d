"""Countries by ISO code, and the ISO code for each country the State Department's records name."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from summits.countries import country_for_code, iso_countries_add, iso_country_name
from summits.historyatstate import countries as historyatstate
from summits.historyatstate.countries import ALIASES, NO_ISO_CODE, country_code
from summits.models import Country

# Every country slug and label in the sample records in /work/shared/data/historyatstate/ (the
# Office of the Historian's visits 2000.xml and 2020.xml, and Presidents Biden's and Trump's
# travels; public domain), with the country each stands for.
SAMPLE_PAIRS = {
    ("afghanistan", "Afghanistan"): "AF",
    ("afghanistan", "Afghanistan (Interim Authority)"): "AF",
    ("albania", "Albania"): "AL",
    ("algeria", "Algeria"): "DZ",
    ("angola", "Angola"): "AO",
    ("antigua-barbuda", "Antigua and Barbuda"): "AG",
    ("argentina", "Argentina"): "AR",
    ("armenia", "Armenia"): "AM",
    ("australia", "Australia"): "AU",
    ("austria", "Austria"): "AT",
    ("azerbaijan", "Azerbaijan"): "AZ",
    ("bahamas", "Bahamas"): "BS",
    ("bahrain", "Bahrain"): "BH",
    ("bangladesh", "Bangladesh"): "BD",
    ("barbados", "Barbados"): "BB",
    ("belgium", "Belgium"): "BE",
    ("belize", "Belize"): "BZ",
    ("benin", "Benin"): "BJ",
    ("bolivia", "Bolivia"): "BO",
    ("botswana", "Botswana"): "BW",
    ("brazil", "Brazil"): "BR",
    ("brunei", "Brunei"): "BN",
    ("brunei", "Brunei Darussalam"): "BN",
    ("bulgaria", "Bulgaria"): "BG",
    ("burkina-faso", "Burkina Faso"): "BF",
    ("burundi", "Burundi"): "BI",
    ("cambodia", "Cambodia"): "KH",
    ("cameroon", "Cameroon"): "CM",
    ("canada", "Canada"): "CA",
    ("cape-verde", "Cabo Verde"): "CV",
    ("central-african-republic", "Central African Republic"): "CF",
    ("chad", "Chad"): "TD",
    ("chile", "Chile"): "CL",
    ("china", "China, People\u2019s Republic of"): "CN",
    ("colombia", "Colombia"): "CO",
    ("comoros", "Comoros"): "KM",
    ("congo-democratic-republic", "Democratic Republic of the Congo (Zaire)"): "CD",
    ("congo-republic", "Congo, Republic of"): "CG",
    ("cook-islands", "Cook Islands"): "CK",
    ("costa-rica", "Costa Rica"): "CR",
    ("cote-divoire", "Cote d\u2019Ivoire"): "CI",
    ("croatia", "Croatia"): "HR",
    ("cyprus", "Cyprus"): "CY",
    ("czech-republic", "Czech Republic"): "CZ",
    ("czechia", "Czechia"): "CZ",
    ("denmark", "Denmark"): "DK",
    ("djibouti", "Djibouti"): "DJ",
    ("dominican-republic", "Dominican Republic"): "DO",
    ("ecuador", "Ecuador"): "EC",
    ("egypt", "Egypt"): "EG",
    ("el-salvador", "El Salvador"): "SV",
    ("equatorial-guinea", "Equatorial Guinea"): "GQ",
    ("estonia", "Estonia"): "EE",
    ("eswatini", "Eswatini"): "SZ",
    ("ethiopia", "Ethiopia"): "ET",
    ("fiji", "Fiji"): "FJ",
    ("finland", "Finland"): "FI",
    ("france", "France"): "FR",
    ("french-polynesia", "French Polynesia"): "PF",
    ("gabon", "Gabon"): "GA",
    ("gambia", "The Gambia"): "GM",
    ("georgia", "Georgia"): "GE",
    ("germany", "Germany"): "DE",
    ("germany", "Germany, Federal Republic of"): "DE",
    ("ghana", "Ghana"): "GH",
    ("greece", "Greece"): "GR",
    ("grenada", "Grenada"): "GD",
    ("guatemala", "Guatemala"): "GT",
    ("guinea-bissau", "Guinea-Bissau"): "GW",
    ("guyana", "Guyana"): "GY",
    ("haiti", "Haiti"): "HT",
    ("holy-see", "Vatican City"): "VA",
    ("honduras", "Honduras"): "HN",
    ("hungary", "Hungary"): "HU",
    ("iceland", "Iceland"): "IS",
    ("india", "India"): "IN",
    ("indonesia", "Indonesia"): "ID",
    ("iraq", "Iraq"): "IQ",
    ("ireland", "Ireland"): "IE",
    ("israel", "Israel"): "IL",
    ("italy", "Italy"): "IT",
    ("jamaica", "Jamaica"): "JM",
    ("japan", "Japan"): "JP",
    ("jordan", "Jordan"): "JO",
    ("kazakhstan", "Kazakhstan"): "KZ",
    ("kenya", "Kenya"): "KE",
    ("kiribati", "Kiribati"): "KI",
    ("korea-south", "Korea"): "KR",
    ("korea-south", "Korea, Republic of"): "KR",
    ("korea-south", "Korea, South"): "KR",
    ("korea-south", "South Korea"): "KR",
    ("kosovo", "Kosovo"): "XK",
    ("kuwait", "Kuwait"): "KW",
    ("kyrgyzstan", "Kyrgyzstan"): "KG",
    ("laos", "Laos"): "LA",
    ("latvia", "Latvia"): "LV",
    ("lebanon", "Lebanon"): "LB",
    ("lesotho", "Lesotho"): "LS",
    ("liberia", "Liberia"): "LR",
    ("libya", "Libya"): "LY",
    ("lithuania", "Lithuania"): "LT",
    ("luxembourg", "Luxembourg"): "LU",
    ("macedonia", "Macedonia"): "MK",
    ("macedonia", "Macedonia, Former Yugoslav Republic of"): "MK",
    ("madagascar", "Madagascar"): "MG",
    ("malawi", "Malawi"): "MW",
    ("malaysia", "Malaysia"): "MY",
    ("mali", "Mali"): "ML",
    ("malta", "Malta"): "MT",
    ("marshall-islands", "Marshall Islands"): "MH",
    ("mauritania", "Mauritania"): "MR",
    ("mauritius", "Mauritius"): "MU",
    ("mexico", "Mexico"): "MX",
    ("micronesia", "Micronesia"): "FM",
    ("moldova", "Moldova"): "MD",
    ("mongolia", "Mongolia"): "MN",
    ("montenegro", "Montenegro"): "ME",
    ("morocco", "Morocco"): "MA",
    ("mozambique", "Mozambique"): "MZ",
    ("namibia", "Namibia"): "NA",
    ("nauru", "Nauru"): "NR",
    ("nepal", "Nepal"): "NP",
    ("netherlands", "Netherlands"): "NL",
    ("new-caledonia", "New Caledonia"): "NC",
    ("new-zealand", "New Zealand"): "NZ",
    ("nicaragua", "Nicaragua"): "NI",
    ("niger", "Niger"): "NE",
    ("nigeria", "Nigeria"): "NG",
    ("niue", "Niue"): "NU",
    ("north-macedonia", "North Macedonia"): "MK",
    ("norway", "Norway"): "NO",
    ("pakistan", "Pakistan"): "PK",
    ("palau", "Palau"): "PW",
    ("palestinian-authority", "Palestinian Authority"): "PS",
    ("panama", "Panama"): "PA",
    ("papua-new-guinea", "Papua New Guinea"): "PG",
    ("paraguay", "Paraguay"): "PY",
    ("peru", "Peru"): "PE",
    ("philippines", "Philippines"): "PH",
    ("poland", "Poland"): "PL",
    ("portugal", "Portugal"): "PT",
    ("qatar", "Qatar"): "QA",
    ("romania", "Romania"): "RO",
    ("russia", "Russia"): "RU",
    ("rwanda", "Rwanda"): "RW",
    ("saint-lucia", "Saint Lucia"): "LC",
    ("samoa", "Western Samoa"): "WS",
    ("sao-tome-and-principe", "Sao Tome and Principe"): "ST",
    ("saudi-arabia", "Saudi Arabia"): "SA",
    ("senegal", "Senegal"): "SN",
    ("serbia", "Serbia"): "RS",
    ("seychelles", "Seychelles"): "SC",
    ("sierra-leone", "Sierra Leone"): "SL",
    ("singapore", "Singapore"): "SG",
    ("slovakia", "Slovak Republic"): "SK",
    ("slovakia", "Slovakia"): "SK",
    ("slovenia", "Slovenia"): "SI",
    ("solomon-islands", "Solomon Islands"): "SB",
    ("somalia", "Somali Republic"): "SO",
    ("somoa", "Somoa"): "WS",
    ("south-africa", "South Africa"): "ZA",
    ("spain", "Spain"): "ES",
    ("sri-lanka", "Sri Lanka"): "LK",
    ("suriname", "Suriname"): "SR",
    ("swaziland", "Swaziland"): "SZ",
    ("sweden", "Sweden"): "SE",
    ("switzerland", "Switzerland"): "CH",
    ("tajikistan", "Tajikistan"): "TJ",
    ("tanzania", "Tanzania"): "TZ",
    ("thailand", "Thailand"): "TH",
    ("timor-leste", "East Timor"): "TL",
    ("togo", "Togo"): "TG",
    ("tonga", "Tonga"): "TO",
    ("tunisia", "Tunisia"): "TN",
    ("turkey", "Turkey"): "TR",
    ("turkiye", "Türkiye"): "TR",
    ("turkmenistan", "Turkmenistan"): "TM",
    ("tuvalu", "Tuvalu"): "TV",
    ("uganda", "Uganda"): "UG",
    ("ukraine", "Ukraine"): "UA",
    ("united-arab-emirates", "United Arab Emirates "): "AE",
    ("united-kingdom", "United Kingdom"): "GB",
    ("uruguay", "Uruguay"): "UY",
    ("uzbekistan", "Uzbekistan"): "UZ",
    ("venezuela", "Venezuela"): "VE",
    ("vietnam", "Vietnam"): "VN",
    ("west-bank", "West Bank"): "PS",
    ("yemen", "Yemen"): "YE",
    ("yugoslavia", "Yugoslavia"): "YUCS",
    ("zambia", "Zambia"): "ZM",
    ("zimbabwe", "Zimbabwe"): "ZW",
}

# The site's gazetteer: the file names under articles/ in HistoryAtState/rdcr (public domain),
# less ".xml". The index lists 229 files; these are the 228 that could be named (the one left is
# past "italy" in the alphabet).
GAZETTEER = (
    "afghanistan",
    "albania",
    "algeria",
    "andorra",
    "angola",
    "antigua-barbuda",
    "argentina",
    "armenia",
    "australia",
    "austria",
    "austrian-empire",
    "azerbaijan",
    "baden",
    "bahamas",
    "bahrain",
    "bangladesh",
    "barbados",
    "bavaria",
    "belarus",
    "belgium",
    "belize",
    "benin",
    "bolivia",
    "bosnia-herzegovina",
    "botswana",
    "brazil",
    "brunei",
    "brunswick-luneburg",
    "bulgaria",
    "burkina-faso",
    "burma",
    "burundi",
    "cambodia",
    "cameroon",
    "canada",
    "cape-verde",
    "cayman-islands",
    "central-african-republic",
    "central-american-federation",
    "chad",
    "chile",
    "china",
    "colombia",
    "comoros",
    "congo-democratic-republic",
    "congo-free-state",
    "congo-republic",
    "cook-islands",
    "costa-rica",
    "cote-divoire",
    "croatia",
    "cuba",
    "cyprus",
    "czech-republic",
    "czechoslovakia",
    "denmark",
    "djibouti",
    "dominica",
    "dominican-republic",
    "ecuador",
    "egypt",
    "el-salvador",
    "equatorial-guinea",
    "eritrea",
    "estonia",
    "ethiopia",
    "federal-government-germany",
    "fiji",
    "finland",
    "france",
    "gabon",
    "gambia",
    "genoa",
    "georgia",
    "german-democratic-republic",
    "germany",
    "ghana",
    "grand-duchy-tuscany",
    "greece",
    "grenada",
    "guatemala",
    "guinea",
    "guinea-bissau",
    "guyana",
    "haiti",
    "hanover",
    "hanseatic-republics",
    "hawaii",
    "hesse",
    "holy-see",
    "honduras",
    "hungary",
    "iceland",
    "india",
    "indonesia",
    "iran",
    "iraq",
    "ireland",
    "israel",
    "italy",
    "jamaica",
    "japan",
    "jordan",
    "kazakhstan",
    "kenya",
    "kingdom-of-yugoslavia",
    "kiribati",
    "korea",
    "korea-south",
    "kosovo",
    "kuwait",
    "kyrgyzstan",
    "laos",
    "latvia",
    "lebanon",
    "lesotho",
    "lew-chew",
    "liberia",
    "libya",
    "liechtenstein",
    "lithuania",
    "luxembourg",
    "macedonia",
    "madagascar",
    "malawi",
    "malaysia",
    "maldives",
    "mali",
    "malta",
    "marshall-islands",
    "mauritania",
    "mauritius",
    "mecklenburg-schwerin",
    "mecklenburg-strelitz",
    "mexico",
    "micronesia",
    "moldova",
    "monaco",
    "mongolia",
    "montenegro",
    "morocco",
    "mozambique",
    "namibia",
    "nassau",
    "nauru",
    "nepal",
    "netherlands",
    "new-zealand",
    "nicaragua",
    "niger",
    "nigeria",
    "niue",
    "north-german-confederation",
    "north-german-union",
    "norway",
    "oldenburg",
    "oman",
    "orange-free-state",
    "pakistan",
    "palau",
    "panama",
    "papal-states",
    "papua-new-guinea",
    "paraguay",
    "parma",
    "peru",
    "philippines",
    "piedmont-sardinia",
    "poland",
    "portugal",
    "qatar",
    "romania",
    "russia",
    "rwanda",
    "saint-kitts-nevis",
    "saint-lucia",
    "saint-vincent-grenadines",
    "samoa",
    "san-marino",
    "sao-tome-and-principe",
    "saudi-arabia",
    "schaumburg-lippe",
    "senegal",
    "serbia",
    "seychelles",
    "sierra-leone",
    "singapore",
    "slovakia",
    "slovenia",
    "solomon-islands",
    "somalia",
    "south-africa",
    "south-sudan",
    "soviet-union",
    "spain",
    "sri-lanka",
    "sudan",
    "suriname",
    "swaziland",
    "sweden",
    "switzerland",
    "syria",
    "tajikistan",
    "tanzania",
    "texas",
    "thailand",
    "timor-leste",
    "togo",
    "tonga",
    "trinidad-and-tobago",
    "tunisia",
    "turkey",
    "turkmenistan",
    "tuvalu",
    "two-sicilies",
    "uganda",
    "ukraine",
    "united-arab-emirates",
    "united-kingdom",
    "uruguay",
    "uzbekistan",
    "vanuatu",
    "venezuela",
    "vietnam",
    "wurttemberg",
    "yemen",
    "zambia",
    "zimbabwe",
)

ISO_3166_1_COUNTRIES = 249


@pytest.mark.parametrize(
    ("slug", "label", "code"),
    [
        ("japan", "Japan", "JP"),
        ("korea-south", "Korea", "KR"),
        ("germany", "Germany, Federal Republic of", "DE"),
        ("holy-see", "Vatican City", "VA"),
        ("yugoslavia", "Yugoslavia", "YUCS"),
        ("somoa", "Somoa", "WS"),
        ("turkiye", "Türkiye", "TR"),
        ("timor-leste", "East Timor", "TL"),
        ("dahomey", "Dahomey", "BJ"),
        ("kosovo", "Kosovo", "XK"),
    ],
)
def test_a_record_s_country_maps_to_its_iso_code(slug, label, code):
    assert country_code(slug, label) == code


def test_every_country_in_the_sample_records_maps_to_its_iso_code():
    assert {pair: country_code(*pair) for pair in SAMPLE_PAIRS} == SAMPLE_PAIRS


def test_every_gazetteer_slug_is_mapped_or_deliberately_left_unmapped():
    unaccounted = [
        slug for slug in GAZETTEER if country_code(slug, "") is None and slug not in NO_ISO_CODE
    ]
    assert unaccounted == []


def test_a_slug_left_unmapped_is_in_the_gazetteer_and_no_name_or_alias_maps_it(monkeypatch):
    assert NO_ISO_CODE.issubset(GAZETTEER)
    assert NO_ISO_CODE.isdisjoint(ALIASES)
    monkeypatch.setattr(historyatstate, "NO_ISO_CODE", frozenset())
    assert [slug for slug in sorted(NO_ISO_CODE) if country_code(slug, "")] == []


def test_an_unknown_slug_maps_to_nothing():
    assert country_code("atlantis", "Atlantis") is None


def test_a_near_miss_is_not_guessed():
    assert country_code("untied-kingdom", "Untied Kingdom") is None


def test_every_alias_names_a_country_the_tracker_can_create():
    assert {slug: code for slug, code in ALIASES.items() if iso_country_name(code) is None} == {}


def test_every_alias_is_one_that_exact_names_would_miss_or_get_wrong(monkeypatch):
    redundant = []
    for slug, code in list(ALIASES.items()):
        with monkeypatch.context() as patch:
            patch.delitem(ALIASES, slug)
            if country_code(slug, "") == code:
                redundant.append(slug)
    assert redundant == []


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("JP", "Japan"),
        ("KR", "South Korea"),
        ("BO", "Bolivia"),
        ("IR", "Iran"),
        ("DDDE", "German Democratic Republic"),
        ("XK", "Kosovo"),
        ("jp", None),
        ("XX", None),
        ("ABC", None),
        ("ABCD", None),
    ],
)
def test_a_code_names_its_country(code, name):
    assert iso_country_name(code) == name


@pytest.mark.django_db
def test_adding_the_iso_countries_to_an_empty_database_adds_every_one_with_its_history(
    django_assert_max_num_queries,
):
    with django_assert_max_num_queries(10):
        added = iso_countries_add()

    assert added == ISO_3166_1_COUNTRIES
    assert Country.objects.count() == ISO_3166_1_COUNTRIES
    assert Country.history.filter(history_type="+").count() == ISO_3166_1_COUNTRIES
    assert Country.objects.get(code="KR").name == "South Korea"


@pytest.mark.django_db
def test_adding_the_iso_countries_twice_adds_none_the_second_time():
    iso_countries_add()

    assert iso_countries_add() == 0
    assert Country.objects.count() == ISO_3166_1_COUNTRIES


@pytest.mark.django_db
def test_adding_the_iso_countries_never_renames_an_editor_s_country():
    Country.objects.create(code="KR", name="South Korea (editors)")

    assert iso_countries_add() == ISO_3166_1_COUNTRIES - 1
    assert Country.objects.get(code="KR").name == "South Korea (editors)"


@pytest.mark.django_db
def test_a_former_country_is_created_under_its_iso_3166_3_name():
    country = country_for_code("DDDE")

    assert str(country) == "German Democratic Republic (DDDE)"
    assert country.history.count() == 1


@pytest.mark.django_db
def test_a_country_already_there_is_returned_as_it_is():
    japan = Country.objects.create(code="JP", name="Nippon")

    assert country_for_code("JP") == japan
    assert Country.objects.get(code="JP").name == "Nippon"


@pytest.mark.django_db
def test_a_code_no_country_has_creates_nothing():
    with pytest.raises(LookupError, match="'XX'"):
        country_for_code("XX")
    with pytest.raises(ValueError, match="'jp'"):
        country_for_code("jp")
    assert not Country.objects.exists()


@pytest.mark.django_db
def test_a_former_country_s_code_is_valid_and_a_malformed_one_is_not():
    Country(code="SUHH", name="Soviet Union").full_clean()
    for code in ("jp", "ABC"):
        with pytest.raises(ValidationError) as error:
            Country(code=code, name="Nowhere").full_clean()
        assert list(error.value.message_dict) == ["code"]


@pytest.mark.django_db
def test_a_fresh_tracker_knows_every_iso_country_and_keeps_the_fixtures_names():
    out = io.StringIO()

    call_command("load_initial_data", stdout=out)

    assert "Added the 242 ISO 3166-1 countries the fixtures lack." in out.getvalue()
    assert Country.objects.count() == ISO_3166_1_COUNTRIES
    assert Country.objects.get(code="US").name == "United States"
