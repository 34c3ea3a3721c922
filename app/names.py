"""Names: the names a crossing is found by, their folded form for lookups, and the slugs
records get as ids."""

import re
from collections.abc import Iterable

from anyascii import anyascii

from app.models import CrossingAlias

NON_ALNUM = re.compile(r"[^a-z0-9]+")
# The longest id a record gets from its name or summary.
ID_LENGTH = 64


def fold(value: str) -> str:
    """Lower-case ASCII letters and digits only: 'Grebņeva – Ubylinka' -> 'grebnevaubylinka'."""
    return NON_ALNUM.sub("", anyascii(value).lower())


def alias_rows(
    crossing_id: str, *, name: str, counterpart: str | None, aliases: Iterable[str]
) -> list[CrossingAlias]:
    """Every name a crossing is found by: its name, its counterpart, then its other aliases."""
    names = [(name, "name")] + ([(counterpart, "counterpart")] if counterpart else [])
    rows: dict[str, CrossingAlias] = {}
    for alias, kind in names + [(a, "alias") for a in aliases]:
        if alias not in rows:
            rows[alias] = CrossingAlias(
                crossing_id=crossing_id, alias=alias, kind=kind, alias_key=fold(alias)
            )
    return list(rows.values())


def slug(text: str, *, length: int = ID_LENGTH) -> str:
    """Lower-case ASCII words joined by dashes, cut at a word to at most `length`."""
    words = NON_ALNUM.sub("-", anyascii(text).lower()).strip("-")
    if len(words) <= length:
        return words
    cut = words[: length + 1].rsplit("-", 1)[0]
    return cut if cut else words[:length]
