"""Countries by their ISO 3166 code: their names, and the rows a tracker needs for them."""

import re

import pycountry
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from summits.models import ISO_COUNTRY_CODE, Country

# ISO 3166 leaves XA-XZ to its users; XK is the one the EU, the IMF and Unicode's CLDR give
# Kosovo, which the United States has recognised since 2008 and ISO has not coded.
USER_ASSIGNED_NAMES = {"XK": "Kosovo"}


def iso_country_name(code: str) -> str | None:
    """The display name for a country code, or None when no country has it.

    A current country's short name where ISO gives one ("South Korea", not "Korea, Republic
    of"); a former country's name from ISO 3166-3 ("German Democratic Republic" for DDDE).
    Codes are matched as the model stores them, capitals only.
    """
    if not re.fullmatch(ISO_COUNTRY_CODE, code):
        return None
    if code in USER_ASSIGNED_NAMES:
        return USER_ASSIGNED_NAMES[code]
    if len(code) == 2:
        country = pycountry.countries.get(alpha_2=code)
        return None if country is None else getattr(country, "common_name", country.name)
    former = pycountry.historic_countries.get(alpha_4=code)
    return None if former is None else former.name


def iso_countries_add() -> int:
    """Create a row for every current ISO 3166-1 country the database lacks; return how many.

    An existing row is left as it is, whatever its name: editors may have chosen a better one.
    """
    with transaction.atomic():
        existing = set(Country.objects.values_list("code", flat=True))
        missing = [
            Country(code=country.alpha_2, name=iso_country_name(country.alpha_2) or country.name)
            for country in pycountry.countries
            if country.alpha_2 not in existing
        ]
        bulk_create_with_history(missing, Country, default_change_reason="Added from ISO 3166-1")
    return len(missing)


def country_for_code(code: str) -> Country:
    """The country with this code, created under its ISO name if the database lacks it.

    Raises ValueError for a code of the wrong shape ("jp", "ABC") and LookupError for one no
    country has ("XX").
    """
    if not re.fullmatch(ISO_COUNTRY_CODE, code):
        raise ValueError(f"{code!r} is not an ISO 3166 country code.")
    country = Country.objects.filter(code=code).first()
    if country is not None:
        return country
    name = iso_country_name(code)
    if name is None:
        raise LookupError(f"No country has the ISO 3166 code {code!r}.")
    country, _ = Country.objects.get_or_create(code=code, defaults={"name": name})
    return country
