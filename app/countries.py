"""The countries the service covers, and the ways people name them.

The set is closed: the six NATO countries with land borders with Russia or Belarus, those two,
and the other countries a seeded measure names. The seed file holds the same codes and names
(a seed naming another is refused), so the API's schema can list them. A country is found by
its ISO 3166-1 alpha-2 or alpha-3 code or its English name (ISO's, its official one, or the
one the service shows), in any case, ignoring diacritics, spaces and dashes.
"""

import pycountry

from app.names import fold

# Code -> the name the service shows (the seed file's).
COUNTRIES: dict[str, str] = {
    "NO": "Norway",
    "FI": "Finland",
    "EE": "Estonia",
    "LV": "Latvia",
    "LT": "Lithuania",
    "PL": "Poland",
    "RU": "Russia",
    "BY": "Belarus",
    "BE": "Belgium",
    "DK": "Denmark",
    "NL": "Netherlands",
    "CZ": "Czech Republic",
}
NATO = ("NO", "FI", "EE", "LV", "LT", "PL")
NEIGHBOURS = ("RU", "BY")


def names_of(code: str) -> list[str]:
    """Every way `code` is written: the code, its alpha-3 code, and its English names."""
    found = pycountry.countries.get(alpha_2=code)
    assert found is not None, code
    forms = [code, found.alpha_3, COUNTRIES[code]]
    for attribute in ("name", "official_name", "common_name"):
        forms.append(getattr(found, attribute, None) or "")
    return list(dict.fromkeys(form for form in forms if form))


# Every accepted form, in the order the schema lists them; and each form's fold -> its code.
FORMS: dict[str, list[str]] = {code: names_of(code) for code in COUNTRIES}
_BY_KEY = {fold(form): code for code, forms in FORMS.items() for form in forms}


def country_of(value: str) -> str | None:
    """The alpha-2 code `value` names, or None."""
    return _BY_KEY.get(fold(value))


def schema_forms(codes: tuple[str, ...] | list[str]) -> list[str]:
    """The forms of `codes`, for a schema's enum."""
    return [form for code in codes for form in FORMS[code]]


def listing(codes: tuple[str, ...] | list[str]) -> str:
    """'NO (Norway), FI (Finland), …' for an error message."""
    return ", ".join(f"{code} ({COUNTRIES[code]})" for code in codes)
