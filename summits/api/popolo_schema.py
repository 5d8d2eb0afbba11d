"""The OpenAPI description of the Popolo export (summits.api.popolo): the document's four arrays,
the Popolo properties the export writes, and its extension properties."""

from typing import Any

Schema = dict[str, Any]

POPOLO_DESCRIPTION = (
    "The data set as one Popolo JSON document (https://www.popoloproject.com/specs/, whose "
    "JSON Schemas every object validates against): leaders as `persons`, countries and "
    "organizations as `organizations` (told apart by `classification`), leaders' offices as "
    "`memberships` of their country, summits as `events`. With no filter it holds every "
    "leader, country and organization; with the summit list's filters and `search`, the "
    "summits matched and only the leaders, countries and organizations they refer to. "
    "Streamed, with an ETag, and counted against the budget of whole-list exports.\n\n"
    "IDs are natural keys: `leader/<slug>`, `country/<ISO code>`, `organization/<slug>`, "
    "`summit/<slug>`, `membership/<leader slug>`. Dates are at their precision (`2024-07-09`, "
    "`2022-06`, `2023`). Every object's `sources` starts with its record in this API; an "
    "event's also lists every source cited for it. Other names carry their BCP 47 tag as "
    "`lang`.\n\n"
    "What Popolo has no property for is in extension properties, flagged with `+` as Popolo "
    "suggests: an event's `+summit_status` (the tracker's status; Popolo's `status` is "
    "tentative, confirmed, postponed or cancelled), `+host_country_id`, `+citations` (the "
    "evidence for the summit's own fields) and `+attendances`: each country's participation "
    "with its leader, role, current status, status `timeline` (each step dated at its "
    "precision, with its citations) and `citations`. Popolo's `attendees` lists the leaders "
    "who attended or are confirmed to attend."
)

_DATE = {"type": "string", "pattern": r"^[0-9]{4}(-[0-9]{2}){0,2}$"}
_NULLABLE_DATE = {**_DATE, "nullable": True}
_TEXT = {"type": "string"}
_NULLABLE_TEXT = {"type": "string", "nullable": True}


def _object(required: list[str], **properties: Any) -> Schema:
    return {"type": "object", "required": required, "properties": properties}


def _array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


_LINKS = _array(
    _object(["url"], url={"type": "string", "format": "uri"}, note=_NULLABLE_TEXT),
)
_OTHER_NAMES = _array(
    _object(
        ["name"],
        name=_TEXT,
        lang={**_TEXT, "description": "BCP 47 tag; absent for another spelling."},
        note=_TEXT,
    )
)
_CITATIONS = _array(
    _object(
        ["source", "url", "field", "quote", "start", "end", "basis"],
        source={**_TEXT, "description": "The source's key."},
        url={
            "type": "string",
            "format": "uri",
            "description": "The source's URL, or its text in this API.",
        },
        field=_TEXT,
        quote=_TEXT,
        start={"type": "integer", "nullable": True, "description": "Code points, from 0."},
        end={"type": "integer", "nullable": True, "description": "Exclusive."},
        basis={"type": "string", "enum": ["stated", "implied", "external"]},
    )
)
_TIMELINE = _array(
    _object(
        ["status", "as_of", "note", "citations"],
        status=_TEXT,
        as_of=_DATE,
        note=_TEXT,
        citations=_CITATIONS,
    )
)
_ATTENDANCES = _array(
    _object(
        ["country_id", "person_id", "role", "status", "note", "timeline", "citations", "url"],
        country_id=_TEXT,
        person_id=_NULLABLE_TEXT,
        role=_NULLABLE_TEXT,
        status=_NULLABLE_TEXT,
        note=_TEXT,
        timeline=_TIMELINE,
        citations=_CITATIONS,
        url={"type": "string", "format": "uri"},
    )
)

PERSON = _object(
    ["id", "name", "other_names", "sources"],
    id=_TEXT,
    name=_TEXT,
    other_names=_OTHER_NAMES,
    sources=_LINKS,
)
ORGANIZATION = _object(
    ["id", "name", "classification", "other_names", "sources"],
    id=_TEXT,
    name=_TEXT,
    classification={"type": "string", "enum": ["country", "intergovernmental organization"]},
    identifiers=_array(_object(["identifier"], identifier=_TEXT, scheme=_NULLABLE_TEXT)),
    founding_date=_NULLABLE_DATE,
    other_names=_OTHER_NAMES,
    sources=_LINKS,
)
MEMBERSHIP = _object(
    ["id", "label", "role", "person_id", "organization_id", "start_date", "end_date", "sources"],
    id=_TEXT,
    label=_TEXT,
    role=_TEXT,
    person_id=_TEXT,
    organization_id=_TEXT,
    start_date=_NULLABLE_DATE,
    end_date=_NULLABLE_DATE,
    sources=_LINKS,
)
EVENT = _object(
    [
        "id",
        "name",
        "start_date",
        "end_date",
        "location",
        "status",
        "classification",
        "organization_id",
        "attendees",
        "sources",
        "+summit_status",
        "+host_country_id",
        "+citations",
        "+attendances",
    ],
    id=_TEXT,
    name=_TEXT,
    start_date=_DATE,
    end_date=_NULLABLE_DATE,
    location=_NULLABLE_TEXT,
    status={"type": "string", "enum": ["tentative", "confirmed", "postponed", "cancelled"]},
    classification=_TEXT,
    organization_id=_NULLABLE_TEXT,
    attendees=_array(_object(["id", "name"], id=_TEXT, name=_TEXT)),
    sources=_LINKS,
    **{
        "+summit_status": _TEXT,
        "+host_country_id": _NULLABLE_TEXT,
        "+citations": _CITATIONS,
        "+attendances": _ATTENDANCES,
    },
)

POPOLO_DOCUMENT = _object(
    ["persons", "organizations", "memberships", "events"],
    persons=_array(PERSON),
    organizations=_array(ORGANIZATION),
    memberships=_array(MEMBERSHIP),
    events=_array(EVENT),
)
