"""A read, a paginated walk and a write through the client openapi-python-client generates.

Run by tests/test_contract.py against a live server, with the generated package `tracker_client`
on the path, and checked with `mypy --strict` beside it:

    python use_client.py BASE_URL TOKEN  ->  one JSON line of what it saw
"""

import json
import sys
from urllib.parse import parse_qs, urlsplit

from tracker_client import AuthenticatedClient
from tracker_client.api.attendances import attendances_list
from tracker_client.api.summits import summits_create, summits_list, summits_retrieve
from tracker_client.models import (
    PaginatedAttendanceList,
    PaginatedSummitList,
    SummitDetail,
    SummitDetailRequest,
)
from tracker_client.types import UNSET, Unset

NEW_SUMMIT = "nato-2026-ankara"


def anonymous(base_url: str) -> AuthenticatedClient:
    """A client that sends no credentials. The generator asks for an AuthenticatedClient wherever
    an operation lists any security, even beside `{}` (anonymous allowed; openapi-python-client
    issue 1372), so this one puts an empty token in a header the API does not read."""
    return AuthenticatedClient(
        base_url=base_url, token="", prefix="", auth_header_name="X-No-Credentials"
    )


def cursor_of(next_url: str | Unset | None) -> str | Unset:
    if not isinstance(next_url, str):
        return UNSET
    return parse_qs(urlsplit(next_url).query)["cursor"][0]


def read(client: AuthenticatedClient) -> list[str]:
    page = summits_list.sync(client=client, organization="nato")
    assert isinstance(page, PaginatedSummitList), page
    return [summit.slug for summit in page.results]


def walk(client: AuthenticatedClient) -> tuple[int, int]:
    """Every attendance, two to a page, following `next` to the end: (rows, pages)."""
    rows, pages = 0, 0
    cursor: str | Unset = UNSET
    while True:
        page = attendances_list.sync(client=client, page_size=2, cursor=cursor)
        assert isinstance(page, PaginatedAttendanceList), page
        assert len(page.results) <= 2
        rows += len(page.results)
        pages += 1
        cursor = cursor_of(page.next_)
        if isinstance(cursor, Unset):
            return rows, pages


def write(client: AuthenticatedClient, editor: AuthenticatedClient) -> dict[str, str | int | None]:
    body = SummitDetailRequest(
        slug=NEW_SUMMIT, name="NATO Summit 2026, Ankara", start_date="2026-07", organization="nato"
    )
    created = summits_create.sync(client=editor, body=body)
    assert isinstance(created, SummitDetail), created
    again = summits_retrieve.sync(NEW_SUMMIT, client=client)
    assert isinstance(again, SummitDetail), again
    return {
        "slug": again.slug,
        "name": again.name,
        "start_date": again.start_date,
        "date_precision": again.date_precision.value,
        "attendee_count": again.attendee_count,
    }


def main(base_url: str, token: str) -> None:
    client = anonymous(base_url)
    editor = AuthenticatedClient(base_url=base_url, token=token, prefix="Token")
    rows, pages = walk(client)
    seen = {
        "nato_summits": read(client),
        "attendances": rows,
        "pages": pages,
        "created": write(client, editor),
    }
    sys.stdout.write(json.dumps(seen) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
