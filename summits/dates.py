"""Dates known to a day, a month or a year: how they are stored, parsed and shown.

A month or a year is stored as its first day; the precision says how much of the date is known,
so nothing here ever prints a day (or a month) that the data does not hold.
"""

import calendar
import datetime as dt
import re

from django.db import models


class DatePrecision(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


# English month names, as the API shows them ("July 9, 2024"), whatever the process's locale;
# index 0 is empty, as in calendar.month_name (which formats each name anew on every lookup).
MONTH_NAMES = (
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_FINENESS = (DatePrecision.DAY, DatePrecision.MONTH, DatePrecision.YEAR)

# ASCII digits only, the whole text: `\d` would take full-width digits, `$` a trailing newline.
_PARTIAL_DATE = re.compile(r"(?P<year>[0-9]{4})(?:-(?P<month>[0-9]{2})(?:-(?P<day>[0-9]{2}))?)?")


def parse_partial_date(text: str, precision: str | None = None) -> tuple[dt.date, DatePrecision]:
    """Parse "2024", "2024-07" or "2024-07-09" into the stored date and its precision.

    The text carries its own precision. A `precision` given beside it (older files name one)
    must agree: the same precision, or the older form of a month or a year, its first day
    ("2024-07-01" with "month"). Anything else is an error, never a silent choice of one.
    """
    match = _PARTIAL_DATE.fullmatch(text)
    if not match:
        raise ValueError("Use YYYY, YYYY-MM or YYYY-MM-DD.")
    year, month, day = match["year"], match["month"], match["day"]
    own = DatePrecision.DAY if day else DatePrecision.MONTH if month else DatePrecision.YEAR
    try:
        date = dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise ValueError(f"{text!r} is not a date in the calendar.") from None
    if precision is None or precision == "" or precision == own:
        return date, own
    if precision not in DatePrecision.values:
        raise ValueError(f"Unknown precision {precision!r}: use day, month or year.")
    if own == DatePrecision.DAY and is_first_of_period(date, precision):
        return date, DatePrecision(precision)
    if _FINENESS.index(precision) < _FINENESS.index(own):
        # A finer precision than the text holds would invent a day or a month.
        fix = f"leave the precision out, or write the date to the {precision}"
    else:
        fix = f"write {iso_partial_date(date, precision)!r} and leave the precision out"
    raise ValueError(f"{text!r} is a date to the {own}, not to the {precision}: {fix}.")


def iso_partial_date(date: dt.date, precision: str) -> str:
    """The ISO 8601 form at its precision: "2024-07-09", "2022-06" or "2023"."""
    if precision == DatePrecision.YEAR:
        return f"{date.year:04d}"
    if precision == DatePrecision.MONTH:
        return f"{date.year:04d}-{date.month:02d}"
    return date.isoformat()


def is_first_of_period(date: dt.date, precision: str) -> bool:
    """A date at month precision is the 1st; at year precision, January 1st (as stored)."""
    if precision == DatePrecision.YEAR:
        return date.month == 1 and date.day == 1
    if precision == DatePrecision.MONTH:
        return date.day == 1
    return True


def last_day(date: dt.date, precision: str) -> dt.date:
    """The last day a date at this precision may stand for (the date itself at day precision)."""
    if precision == DatePrecision.YEAR:
        return dt.date(date.year, 12, 31)
    if precision == DatePrecision.MONTH:
        return dt.date(date.year, date.month, calendar.monthrange(date.year, date.month)[1])
    return date


def display_partial_date(date: dt.date, precision: str) -> str:
    """Human form at its precision: "July 9, 2024", "June 2022" or "2023"."""
    if precision == DatePrecision.YEAR:
        return str(date.year)
    if precision == DatePrecision.MONTH:
        return f"{MONTH_NAMES[date.month]} {date.year}"
    return f"{MONTH_NAMES[date.month]} {date.day}, {date.year}"


def display_date_range(start: dt.date, end: dt.date | None, precision: str) -> str:
    """Human form of a span: "July 9–11, 2024", "June 28 – July 1, 2024", "June 2022"."""
    if precision != DatePrecision.DAY or end is None or end == start:
        return display_partial_date(start, precision)
    if (start.year, start.month) == (end.year, end.month):
        return f"{MONTH_NAMES[start.month]} {start.day}\u2013{end.day}, {start.year}"
    if start.year == end.year:
        return (
            f"{MONTH_NAMES[start.month]} {start.day} \u2013 "
            f"{MONTH_NAMES[end.month]} {end.day}, {start.year}"
        )
    return f"{display_partial_date(start, precision)} \u2013 {display_partial_date(end, precision)}"


def anniversary_year(founded_on: dt.date | None, on: dt.date) -> int | None:
    """Which anniversary of a founding on `founded_on` the year of `on` is (NATO's, in 2024: 75).

    Counted in calendar years, which every precision of a date knows; None when the founding date
    is unknown or not in an earlier year.
    """
    if founded_on is None or on.year <= founded_on.year:
        return None
    return on.year - founded_on.year
