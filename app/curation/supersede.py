"""What a status change makes untrue: the record's text and citations were written for the
status it had, so a PATCH that changes the status revises them or says they still hold."""

from typing import Any

from app.kinds import Kind
from app.payloads import StatusChange
from app.problems import invalid_body

# How much of a stale text a problem quotes.
QUOTED = 120


def _quoted(text: str) -> str:
    return repr(text if len(text) <= QUOTED else f"{text[: QUOTED - 1]}…")


def replaces_citations(
    kind: Kind, row: Any, payload: StatusChange, given: dict[str, Any], status_changed: bool
) -> bool:
    """Whether the write's citations take the place of the record's: a status change's do,
    unless it keeps them. A 422 where the change leaves the record's text as it was, written
    for the old status, without keeping it; or where `keep` comes without a status change,
    or names what the kind has not."""
    keep = set(payload.keep)
    if not status_changed:
        if keep:
            raise invalid_body(("keep", "only a status change takes it"))
        return False
    foreign = keep - {kind.prose, "citations"}
    if foreign:
        names = ", ".join(sorted(foreign))
        raise invalid_body(("keep", f"a {kind.name} has no {names}; its text is its {kind.prose}"))
    text = getattr(row, kind.prose)
    if text and kind.prose not in given and kind.prose not in keep:
        clear = "" if kind.prose in type(payload).not_null else ", null to clear them"
        raise invalid_body(
            (
                kind.prose,
                f"still says {_quoted(text)}, written while the {kind.name} was {row.status}; "
                f'send the new {kind.prose}{clear}, or keep: ["{kind.prose}"] if it holds '
                f"for {given['status']} too",
            )
        )
    return "citations" not in keep
