"""The change feed, `GET /api/changes/`: every create, update and delete of a record, in commit
order, a page at a time from a position a client keeps (summits.models.changes)."""

import hmac
import re
from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.utils.urls import replace_query_param

from summits.api.csv_export import without_format
from summits.api.fields import identity_url
from summits.api.pagination import CursorPagination
from summits.api.strictness import StrictQueryParametersMixin
from summits.models import Change, ChangeKind, RecordType, feed_bounds
from summits.models.changes import CHECK_DIGITS, FeedBounds

AFTER = "after"
LATEST = "latest"
# A token: a position (a change's id, or the horizon) in 16 hex digits, then its check
# (summits.models.changes): a position in this database's history, not just a number.
POSITION_DIGITS = 16
TOKEN_DIGITS = POSITION_DIGITS + CHECK_DIGITS
TOKEN = re.compile(rf"[0-9a-f]{{{TOKEN_DIGITS}}}")
TOKEN_PATTERN = rf"^({LATEST}|[0-9a-f]{{{TOKEN_DIGITS}}})?$"

# Where each type of record is read: its detail route, and the route's keyword for its key.
ROUTES = {
    RecordType.COUNTRY: ("api:country-detail", "code"),
    RecordType.ORGANIZATION: ("api:organization-detail", "slug"),
    RecordType.LEADER: ("api:leader-detail", "slug"),
    RecordType.SUMMIT: ("api:summit-detail", "slug"),
    RecordType.ATTENDANCE: ("api:attendance-detail", "pk"),
    RecordType.SOURCE: ("api:source-detail", "key"),
    RecordType.CITATION: ("api:citation-detail", "pk"),
}

RESYNC = (
    "Mirror the data again: take the `next` of `?after=latest`, read every record, then follow "
    "the feed from that `next` (a change made while you read comes again; reading its record "
    "again is harmless)."
)
INVALID_TOKEN = "invalid_token"
EXPIRED_TOKEN = "expired_token"
UNKNOWN_TOKEN = "unknown_token"
# A token of 16 digits (a position without its check, as the feed gave before it had checks)
# cannot be verified: it is refused as not a token.
MESSAGES = {
    INVALID_TOKEN: "Not a token of this feed: pass the `next` link of a page as it is, or "
    f"`latest`. {RESYNC}",
    EXPIRED_TOKEN: "This token is older than the changes the feed keeps: changes since it are "
    f"gone. {RESYNC}",
    UNKNOWN_TOKEN: "This feed did not give this token, or not in the history it holds now: it "
    "comes from another server, from before the database was restored, or it was altered. "
    f"{RESYNC}",
}


def token(position: int, check: str) -> str:
    return f"{position:0{POSITION_DIGITS}x}{check}"


def _refused(code: str) -> ValidationError:
    return ValidationError({AFTER: [ErrorDetail(MESSAGES[code], code=code)]})


def token_position(after: str | None) -> int | None:
    """The position a token names (none for no token or `latest`); not a token is refused."""
    if after is None or after == LATEST:
        return None
    if not TOKEN.fullmatch(after):
        raise _refused(INVALID_TOKEN)
    return int(after[:POSITION_DIGITS], 16)


def start_position(after: str | None, *, bounds: FeedBounds) -> tuple[int, str]:
    """The position a page starts after, and its check: the oldest kept without a token, the
    newest with `latest`, else the token's, which must not be older than the oldest kept and
    must carry the check of this feed's change (or horizon) at its position."""
    given = None
    if after is None:
        position = bounds.horizon
    elif after == LATEST:
        position = bounds.latest
    else:
        position, given = int(after[:POSITION_DIGITS], 16), after[POSITION_DIGITS:]
        if position < bounds.horizon:
            raise _refused(EXPIRED_TOKEN)
    check = bounds.check_at(position)
    if check is None or (given is not None and not hmac.compare_digest(given, check)):
        raise _refused(UNKNOWN_TOKEN)
    return position, check


# What a page reads of each change (`horizon` as the same query saw it).
CHANGE_COLUMNS = ("id", "record_type", "record_key", "kind", "time", "horizon")


class ChangeSerializer(serializers.Serializer):
    """One record created, updated or deleted."""

    type = serializers.ChoiceField(
        source="record_type", choices=RecordType.choices, help_text="The kind of record."
    )
    key = serializers.CharField(
        source="record_key",
        help_text="The record's key, as its URL has it: a code, slug or key, or an id.",
    )
    kind = serializers.ChoiceField(choices=ChangeKind.choices)
    time = serializers.DateTimeField(help_text="When the write was made (the database's clock).")
    url = serializers.SerializerMethodField(
        help_text="The record's URL: 200 with its current state, or 404 once it is deleted."
    )

    def get_url(self, change: dict[str, Any]) -> str:
        request = self.context["request"]
        view_name, keyword = ROUTES[RecordType(change["record_type"])]
        key = change["record_key"]
        url = identity_url(request, view_name, keyword, key)
        return url or reverse(view_name, kwargs={keyword: key}, request=request)


class ChangePageSerializer(serializers.Serializer):
    next = serializers.URLField(
        help_text="This URL with the position after this page: always there; the same while "
        "nothing new has happened."
    )
    results = ChangeSerializer(many=True)


DESCRIPTION = """Every create, update and delete of a country, organization, leader, summit,
attendance, source or citation, in the order the writes committed, whoever made them (the
API, the admin, fixtures, imports, raw SQL).

Follow `next` from page to page and keep the last one: it holds your position, and polling it
answers what happened since (an empty page while nothing has). For each change, read its
`url`: 200 is the record as it is now, 404 means it is gone. So to mirror the data: take the
`next` of `?after=latest`, read every record, then follow the feed from that `next`.

A record is updated when its own fields change, and when something shown inside it does: an
attendance's timeline (a status change), a record's other names, a summit's attendee list, the
citations of a summit or an attendance. A key that changes (a slug edited) is the old key
deleted and the new one created, and the records that name it by that key are updated. Values
worked out from other records (an attendance's first labels, a summit's anniversary, a name
shown beside a code) are not changes of their own: follow the record they come from.

Changes are kept for a retention period: a token older than what is kept answers 400
`expired_token`; one that is not a token, `invalid_token`; one that names no position in the
history this feed holds now (another server's, one from before a backup was restored, or one
altered), `unknown_token`. Each says to mirror the data again."""


def _example(code: str) -> OpenApiExample:
    return OpenApiExample(
        code,
        value={
            "type": "validation_error",
            "errors": [{"code": code, "detail": MESSAGES[code], "attr": AFTER}],
        },
        response_only=True,
        status_codes=["400"],
    )


class ChangeFeedView(StrictQueryParametersMixin, GenericAPIView):
    """Every create, update and delete of a record, in commit order."""

    # Reads are public, as everywhere; the feed takes no writes (405).
    permission_classes = [AllowAny]
    serializer_class = ChangePageSerializer
    pagination_class = None
    filter_backends = []
    query_parameters = (AFTER, CursorPagination.page_size_query_param)

    def get_view_name(self) -> str:
        return "Changes"

    @extend_schema(
        operation_id="changes_list",
        summary="Changes",
        description=DESCRIPTION,
        parameters=[
            OpenApiParameter(
                AFTER,
                str,
                pattern=TOKEN_PATTERN,
                description="Where the page starts: the token in the `next` link of a page, "
                "or `latest` for the newest change (a page with no changes whose `next` is "
                "your position now). Left out, the oldest change kept.",
            ),
            OpenApiParameter(
                CursorPagination.page_size_query_param,
                {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": CursorPagination.max_page_size,
                    "default": CursorPagination.page_size,
                },
                description=CursorPagination.page_size_query_description,
            ),
        ],
        responses={200: ChangePageSerializer},
        examples=[_example(code) for code in (INVALID_TOKEN, EXPIRED_TOKEN, UNKNOWN_TOKEN)],
    )
    def get(self, request, *args, **kwargs):
        page_size = CursorPagination().get_page_size(request)
        after = request.query_params.get(AFTER) or None  # blank, as a form sends it: none
        # The bounds read the change at the token's position, whose check it must carry.
        bounds = feed_bounds(at=token_position(after))
        start, check = start_position(after, bounds=bounds)
        changes = list(Change.objects.after(start).values(*CHANGE_COLUMNS)[:page_size])
        # A prune that passed the position while the page was read: changes since are gone.
        if after is not None and changes and (changes[0]["horizon"] or 0) > start:
            raise _refused(EXPIRED_TOKEN)
        if changes:
            last = token(changes[-1]["id"], bounds.check_of(changes[-1]))
        else:
            last = token(start, check)
        page = {
            "next": replace_query_param(request.build_absolute_uri(), AFTER, last),
            # A change names the record itself, not the record in this page's format.
            "results": ChangeSerializer(
                changes, many=True, context={"request": without_format(request)}
            ).data,
        }
        return Response(page)
