"""The iCalendar feed (RFC 5545): summits as all-day events, at the precision their dates are known.

Decisions, in the order a calendar client meets them:

- **UID** is `summit-<slug>@summit-tracker`: the slug is the summit's natural key, so an event
  keeps its identity across requests, databases and fixture reloads.
- **DTSTAMP** must not be "now", or every poll would look like a change and the same data would
  not give the same bytes. RFC 5545 lets it be the time the information was last revised when
  the calendar has no METHOD, so it is the time of the summit's latest edit in its history
  (django-simple-history), annotated on the queryset by `summit_last_edited()` so that it costs no
  query per summit; LAST-MODIFIED carries the same time. A row with no history (loaded with
  `loaddata`, which saves raw and records none) gets the fixed `UNKNOWN_EDIT_TIME`, the Unix epoch,
  and no LAST-MODIFIED. Edits to the host country's or the organization's own row do not move it.
- **Dates** are all-day (VALUE=DATE) with an exclusive DTEND, as RFC 5545 defines it: July 9-11
  is DTSTART 20240709, DTEND 20240712. A summit known only to a month or a year never gets an
  invented day: its event spans the whole period it is known to fall in (June 2022 is 20220601 to
  20220701; 2023 is 20230101 to 20240101), SUMMARY and DESCRIPTION say that the days are not
  known, and the non-standard X-SUMMIT-DATE-PRECISION (day, month or year, on every event) lets a
  program tell a month-long summit from a summit known only to its month.
- **STATUS**: held and scheduled are CONFIRMED; announced is TENTATIVE (it will take place, but
  its dates or venue may still move); postponed is TENTATIVE, since the dates shown no longer hold
  but the summit has not been called off, and its SUMMARY says "postponed"; cancelled is
  CANCELLED, and its SUMMARY says so too, for clients that ignore STATUS.
- **TRANSP:TRANSPARENT**: a summit is something to know about, not time the subscriber is busy
  (which matters most for an event spanning a whole year).

The same summits in the same order give the same bytes: nothing here reads the clock.
"""

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator

from django.db.models import OuterRef, Subquery
from icalendar import Calendar, Event

from summits.dates import DatePrecision, last_day
from summits.models import Summit, SummitStatus

PRODID = "-//Summit Tracker//Summits//EN"
CALENDAR_NAME = "Summits"
UID_DOMAIN = "summit-tracker"
UNKNOWN_EDIT_TIME = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LAST_EDITED = "last_edited"

EVENT_STATUS: dict[str, str] = {
    SummitStatus.ANNOUNCED: "TENTATIVE",
    SummitStatus.SCHEDULED: "CONFIRMED",
    SummitStatus.HELD: "CONFIRMED",
    SummitStatus.POSTPONED: "TENTATIVE",
    SummitStatus.CANCELLED: "CANCELLED",
}

UNKNOWN_PARTS: dict[str, str] = {DatePrecision.MONTH: "days", DatePrecision.YEAR: "month and days"}
# What RFC 5545 TEXT may not hold (CONTROL: all but tab; line breaks are escaped as \n), even
# in rows stored before names were validated.
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def summit_last_edited() -> Subquery:
    """The time of a summit's latest recorded edit; annotate it as `LAST_EDITED`."""
    history = (
        Summit.history.model.objects.filter(id=OuterRef("pk"))
        .order_by("-history_date")
        .values("history_date")[:1]
    )
    return Subquery(history)


def summit_uid(*, summit: Summit) -> str:
    return f"summit-{summit.slug}@{UID_DOMAIN}"


def summits_calendar(
    *, summits: Iterable[Summit], detail_url: Callable[[Summit], str] | None = None
) -> bytes:
    """A VCALENDAR with one all-day VEVENT per summit, in the order given.

    Each summit's `LAST_EDITED` annotation, when present, is its DTSTAMP; `detail_url`, when
    given, is each event's URL.
    """
    return b"".join(summits_calendar_stream(summits=summits, detail_url=detail_url))


def summits_calendar_stream(
    *, summits: Iterable[Summit], detail_url: Callable[[Summit], str] | None = None
) -> Iterator[bytes]:
    """`summits_calendar()` in pieces, one event at a time, for a feed of any length: it holds
    one summit's event at a time, whatever `summits` yields (a queryset's `.iterator()`), and
    its pieces join to the bytes `Calendar.to_ical()` gives for the whole calendar."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", CALENDAR_NAME)
    envelope = calendar.to_ical()
    end = b"END:VCALENDAR\r\n"
    yield envelope.removesuffix(end)
    for summit in summits:
        yield _event(summit, detail_url).to_ical()
    yield end


def _event(summit: Summit, detail_url: Callable[[Summit], str] | None) -> Event:
    event = Event()
    event.add("uid", summit_uid(summit=summit))
    last_edited: dt.datetime | None = getattr(summit, LAST_EDITED, None)
    event.add("dtstamp", _utc(last_edited or UNKNOWN_EDIT_TIME))
    if last_edited is not None:
        event.add("last-modified", _utc(last_edited))
    event.add("dtstart", summit.start_date)
    last = last_day(summit.end_date or summit.start_date, summit.date_precision)
    if last < dt.date.max:
        event.add("dtend", last + dt.timedelta(days=1))
    else:
        # December 31, 9999 has no day after it; a duration says the same thing.
        event.add("duration", last - summit.start_date + dt.timedelta(days=1))
    event.add("summary", _text(_summary(summit)))
    event.add("description", _text(_description(summit)))
    location = ", ".join(
        part for part in [summit.city, summit.host_country and summit.host_country.name] if part
    )
    if location:
        event.add("location", _text(location))
    event.add("status", EVENT_STATUS.get(summit.status, "TENTATIVE"))
    event.add("transp", "TRANSPARENT")
    if detail_url is not None:
        event.add("url", detail_url(summit))
    event.add("x-summit-date-precision", summit.date_precision)
    return event


def _text(value: str) -> str:
    return _NOT_TEXT.sub("", value)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def _summary(summit: Summit) -> str:
    """The name, and what a reader of a calendar must not miss: unknown days, a changed plan."""
    notes = []
    if summit.date_precision in UNKNOWN_PARTS:
        notes.append(f"{summit.dates}; {UNKNOWN_PARTS[summit.date_precision]} not known")
    if summit.status in (SummitStatus.POSTPONED, SummitStatus.CANCELLED):
        notes.append(summit.get_status_display().lower())
    return f"{summit.name} ({'; '.join(notes)})" if notes else summit.name


def _description(summit: Summit) -> str:
    dates = f"Dates: {summit.dates}."
    if summit.date_precision in UNKNOWN_PARTS:
        period = "month" if summit.date_precision == DatePrecision.MONTH else "year"
        dates = (
            f"Dates: {summit.dates}; the {UNKNOWN_PARTS[summit.date_precision]} are not known, "
            f"so this event spans the whole {period}."
        )
    lines = [dates, f"Status: {summit.get_status_display()}."]
    if summit.organization is not None:
        lines.append(f"Organization: {summit.organization.name}.")
    return "\n".join(lines)
