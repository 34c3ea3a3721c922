"""What a record's fields were on a date: the changes its dated events carry, undone back to
that date.

The rule (docs/decisions.md, "A history for every field"):
- A dated change (an event about the record) carries the fields it set, each with its value
  before and after, as a JSON object `{"<field>": {"before": ..., "after": ...}}`. Its status
  is dated apart (`app.history`); these are the record's other fields.
- The change holds from the day its new status is reported: the last day of its window
  (`app.history.window`). On an earlier date the record has the value from before it.
- So a record on a date is its state now with each change that holds only after the date
  undone, newest first: each field takes the `before` of the earliest such change that set it.
- A change that replaced the record's citations keeps the ones it replaced; on a date before
  it, the record is served with those.
"""

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.history import window

# The record type of the citations a change replaced, filed under the change's event id.
SUPERSEDED = "superseded"


@dataclass(frozen=True)
class FieldChanges:
    """One dated change of a record's fields: its event, when it holds from, what it set."""

    event: str
    holds_from: dt.date
    fields: dict[str, dict[str, Any]]
    # Whether it replaced the record's citations (and keeps those, as SUPERSEDED citations).
    replaced_citations: bool = False


def changed_fields(
    names: Iterable[str], before: Mapping[str, Any], after: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """The fields among `names` whose value differs between two states of a record."""
    return {
        name: {"before": before.get(name), "after": after.get(name)}
        for name in names
        if before.get(name) != after.get(name)
    }


def encode(fields: Mapping[str, Mapping[str, Any]]) -> str | None:
    """An event's `changes` column: null when no field changed."""
    return json.dumps(fields, ensure_ascii=False, sort_keys=True) if fields else None


def field_changes(
    event: str,
    date: str,
    changes: str | None,
    published: Sequence[str],
    replaced_citations: bool = False,
) -> FieldChanges:
    """A stored event's changes, placed on the day they hold from."""
    fields = json.loads(changes) if changes else {}
    return FieldChanges(event, window(date, published)[1], fields, replaced_citations)


@dataclass(frozen=True)
class FieldsOnDate:
    """A record's fields on a date, and the change whose replaced citations it has then (None:
    its citations now)."""

    values: dict[str, Any]
    cited_before: str | None


def fields_on(
    values: Mapping[str, Any], changes: Sequence[FieldChanges], on: dt.date
) -> FieldsOnDate:
    """`values` (a record's fields now) as they were on `on`, with the changes that hold only
    after it undone (see the module's rule)."""
    later = sorted((c for c in changes if c.holds_from > on), key=lambda c: c.holds_from)
    result = dict(values)
    for change in reversed(later):
        for name, values_of in change.fields.items():
            if name in result:
                result[name] = values_of["before"]
    replaced = next((c.event for c in later if c.replaced_citations), None)
    return FieldsOnDate(result, replaced)
