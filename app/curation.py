"""The write service: curators record changes to records and add sources, and nothing is lost.

Every function here runs inside the caller's write transaction (`Database.write` for the API,
`borderstatus ingest` for the CLI); the caller commits, once. Each write:
- checks its citations: every quote resolves to one sentence of a stored source, exactly as
  the seed's quotes do (`app.records.resolve_quote`);
- keeps the past: a status change becomes a dated event (so `as_of` answers the past as
  before), and the record's previous state, as it was served, becomes a revision;
- writes an audit entry (who, when, what, and the state before and after), and makes the
  record the curators' (the seeder leaves it alone from then on);
- refreshes the derived data of what it touched (`app.documents.refresh_derived`).
"""

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from anyascii import anyascii
from pydantic import BaseModel
from sqlmodel import Session, col, func, select

from app import presenters, queries
from app.articles import SentenceSpan
from app.cache import etag_of
from app.dates import parse_partial, period_start
from app.documents import Changes, refresh_derived, render, tally_groups
from app.ingest import ingest_article
from app.models import (
    AuditEntry,
    Citation,
    Crossing,
    CrossingAlias,
    CrossingTraffic,
    CuratedRecord,
    Event,
    EventCountry,
    Fortification,
    FortificationCountry,
    IdempotencyKey,
    RecordRevision,
    Restriction,
    RestrictionCountry,
)
from app.payloads import (
    CitationIn,
    CrossingCreate,
    RecordCreate,
    RecordPatch,
    SourceIn,
    StatusChange,
)
from app.problems import ProblemError
from app.records import Article, resolve_quote
from app.seed import alias_rows

ID_LENGTH = 64
NON_SLUG = re.compile(r"[^a-z0-9]+")
# Fields of a PATCH that say how to record it rather than what the record becomes.
WRITE_FIELDS = frozenset(StatusChange.model_fields)


@dataclass(frozen=True)
class Write:
    """Who sends a write, and where to: what the audit log records of it."""

    curator: str
    method: str
    path: str


@dataclass(frozen=True)
class Answer:
    """A write's answer, as sent (and as replayed to a retry with the same Idempotency-Key)."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Kind:
    """A kind of record the curators write."""

    name: str
    path: str
    model: Any
    detail: Callable[[Session, Any], BaseModel]
    present: Callable[[Session, Sequence[Any]], Sequence[BaseModel]]
    title: Callable[[Any], str]
    # The kind of the event a change to each status becomes, unless the curator says.
    event_kinds: dict[str, str]
    # Columns set from the body as they are; `<column>_start` follows each partial date.
    columns: tuple[str, ...]
    dated: tuple[str, ...]


KINDS: dict[str, Kind] = {
    "crossing": Kind(
        name="crossing",
        path="crossings",
        model=Crossing,
        detail=presenters.crossing_detail,
        present=presenters.crossings,
        title=lambda row: str(row.name),
        event_kinds={
            "closed": "closure",
            "open": "opening",
            "restricted": "suspension",
            "unknown": "statement",
        },
        columns=(
            "name",
            "counterpart",
            "country",
            "neighbour",
            "status",
            "status_since",
            "status_since_inferred",
            "status_since_note",
            "notes",
        ),
        dated=("status_since",),
    ),
    "restriction": Kind(
        name="restriction",
        path="restrictions",
        model=Restriction,
        detail=presenters.restriction_detail,
        present=presenters.restrictions,
        title=lambda row: str(row.summary),
        event_kinds={
            "in_force": "ban",
            "lifted": "withdrawal",
            "proposed": "proposal",
            "planned": "decision",
        },
        columns=("kind", "summary", "status", "since", "since_inferred", "since_note", "until"),
        dated=("since", "until"),
    ),
    "fortification": Kind(
        name="fortification",
        path="fortifications",
        model=Fortification,
        detail=presenters.fortification_detail,
        present=presenters.fortifications,
        title=lambda row: str(row.summary),
        event_kinds={
            "completed": "completion",
            "under_construction": "decision",
            "planned": "decision",
            "proposed": "proposal",
            "rejected": "decision",
        },
        columns=(
            "kind",
            "summary",
            "status",
            "neighbour",
            "length_km",
            "budget_eur",
            "count",
            "completion",
            "completion_inferred",
            "completion_note",
        ),
        dated=(),
    ),
}


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def etag(body: bytes) -> str:
    return etag_of(body).decode()


def if_match_holds(if_match: str, current: str) -> bool:
    """RFC 9110 If-Match: `*`, or a list holding the current tag (strong comparison)."""
    if if_match.strip() == "*":
        return True
    return any(tag.strip() == current for tag in if_match.split(","))


def request_hash(method: str, route: str, path_params: Mapping[str, str], body: bytes) -> str:
    """What identifies a request for its Idempotency-Key: the method, the route it reached
    (its template, `/crossings/{crossing_id}`, the same with /v1 or without), the values of
    the route's parameters, and the body as parsed JSON (so other whitespace or another key
    order is the same request)."""
    try:
        content: Any = json.loads(body)
    except ValueError:
        content = body.decode("utf-8", "replace")
    request = {
        "method": method,
        "route": route,
        "params": dict(path_params),
        "body": content,
    }
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def raw_request_hash(method: str, path: str, body: bytes) -> str:
    """How keys stored before `request_hash` identify their request: method, path and body
    as sent, byte for byte. A retry of such a request is still answered from its key."""
    return hashlib.sha256(method.encode() + b"\n" + path.encode() + b"\n" + body).hexdigest()


def slug(text: str, *, length: int = ID_LENGTH) -> str:
    """Lower-case ASCII words joined by dashes, cut at a word to at most `length`."""
    words = NON_SLUG.sub("-", anyascii(text).lower()).strip("-")
    if len(words) <= length:
        return words
    cut = words[: length + 1].rsplit("-", 1)[0]
    return cut if cut else words[:length]


def invalid(*problems: tuple[str, str]) -> ProblemError:
    """A 422 naming each field at fault: (field, message) pairs."""
    return ProblemError(
        422,
        "Invalid parameter",
        "; ".join(f"{name}: {message}" for name, message in problems),
        errors=[
            {"parameter": name, "in": "body", "message": message} for name, message in problems
        ],
    )


# --- idempotency ----------------------------------------------------------------------------


def idempotent(
    session: Session,
    write: Write,
    *,
    key: str | None,
    fingerprints: Sequence[str],
    work: Callable[[], Answer],
) -> Answer:
    """`work()`, or, for a key this curator sent before with the same request, its answer.

    `fingerprints` identify the request: the first is stored with a new key, and a stored
    key holding any of them is the same request. The key is stored in the write's own
    transaction, so a write and its key commit together. The same key with another request
    is a 422.
    """
    if key is None:
        return work()
    stored = session.get(IdempotencyKey, (write.curator, key))
    if stored is not None:
        if stored.request_hash not in fingerprints:
            raise ProblemError(
                422,
                "Idempotency key reused",
                "This Idempotency-Key was sent before with another request; use a new key "
                "for a new request.",
                errors=[{"parameter": "Idempotency-Key", "in": "header", "message": "reused"}],
            )
        headers = {**json.loads(stored.headers), "Idempotent-Replayed": "true"}
        return Answer(stored.status, stored.body.encode(), headers)
    answer = work()
    session.add(
        IdempotencyKey(
            curator=write.curator,
            key=key,
            request_hash=fingerprints[0],
            status=answer.status,
            body=answer.body.decode(),
            headers=json.dumps(answer.headers),
            created_at=now(),
        )
    )
    session.flush()
    return answer


# --- citations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cited:
    source_file: str
    sentence_index: int
    quote: str
    quote_start: int


def resolve_citations(session: Session, citations: Sequence[CitationIn]) -> list[Cited]:
    """Each quote's sentence, found as the seed finds it; a 422 names every quote that isn't."""
    articles: dict[str, Article | None] = {}
    problems: list[tuple[str, str]] = []
    cited: list[Cited] = []
    for n, citation in enumerate(citations):
        if citation.file not in articles:
            articles[citation.file] = _article(session, citation.file)
        article = articles[citation.file]
        if article is None:
            problems.append((f"citations.{n}.file", f"no stored source {citation.file!r}"))
            continue
        found = resolve_quote(article, citation.text)
        if isinstance(found, str):
            problems.append(
                (f"citations.{n}.text", f"quote {citation.text!r} in {citation.file}: {found}")
            )
            continue
        sentence, start = found
        cited.append(Cited(citation.file, sentence.index, citation.text, start))
    if problems:
        raise invalid(*problems)
    return cited


def _article(session: Session, file: str) -> Article | None:
    source = queries.source(session, file=file)
    if source is None:
        return None
    spans = [
        SentenceSpan(s.sentence_index, s.char_start, s.char_end, s.kind, s.text)
        for s in queries.sentences_of(session, file=file)
    ]
    return Article(source.file, source.text, source.sha256, spans)


def _add_citations(session: Session, record_type: str, record_id: str, cited: list[Cited]) -> int:
    """Cite these quotes too (a quote the record cites already is not added twice)."""
    existing = list(
        session.exec(
            select(Citation).where(
                Citation.record_type == record_type, Citation.record_id == record_id
            )
        )
    )
    spans = {(c.source_file, c.quote_start, c.quote_end) for c in existing}
    position = max((c.position for c in existing), default=-1) + 1
    added = 0
    for c in cited:
        span = (c.source_file, c.quote_start, c.quote_start + len(c.quote))
        if span in spans:
            continue
        spans.add(span)
        session.add(
            Citation(
                record_type=record_type,
                record_id=record_id,
                position=position,
                source_file=c.source_file,
                sentence_index=c.sentence_index,
                quote=c.quote,
                quote_start=c.quote_start,
                quote_end=span[2],
            )
        )
        position += 1
        added += 1
    return added


# --- records --------------------------------------------------------------------------------


def detail_body(session: Session, kind: Kind, row: Any) -> bytes:
    """The record as GET /v1/{kind}/{id} answers it, byte for byte."""
    return kind.detail(session, row).model_dump_json().encode()


def _state(session: Session, kind: Kind, row: Any) -> str:
    """The record as it is served in lists (provenance included): a revision's state."""
    (out,) = kind.present(session, [row])
    return render(out)


def _check_references(session: Session, kind: Kind, values: dict[str, Any]) -> None:
    """Every country a record names is stored; a crossing's sides make a stored border."""
    roles = queries.country_roles(session)
    problems: list[tuple[str, str]] = []
    if kind.name == "crossing":
        country, neighbour = values["country"], values["neighbour"]
        if roles.get(country) != "nato":
            problems.append(("country", f"{country!r} is not one of the NATO countries stored"))
        if roles.get(neighbour) != "neighbour":
            problems.append(("neighbour", f"{neighbour!r} is not RU or BY"))
        if not problems and queries.border(session, border_id=f"{country}-{neighbour}") is None:
            problems.append(("neighbour", f"no border {country}-{neighbour} is stored"))
    else:
        unknown = [code for code in values["countries"] if code not in roles]
        if unknown:
            problems.append(("countries", f"unknown country codes: {', '.join(unknown)}"))
        neighbour = values.get("neighbour")
        if neighbour is not None and neighbour not in roles:
            problems.append(("neighbour", f"unknown country code {neighbour!r}"))
    if problems:
        raise invalid(*problems)


def _set_columns(kind: Kind, row: Any, values: dict[str, Any]) -> None:
    for column in kind.columns:
        if column in values:
            setattr(row, column, values[column])
    for column in kind.dated:
        if column in values:
            setattr(row, f"{column}_start", period_start(values[column]))
    if kind.name == "crossing":
        row.border_id = f"{row.country}-{row.neighbour}"


def _set_children(session: Session, kind: Kind, row: Any, values: dict[str, Any]) -> None:
    """Aliases and traffic of a crossing, countries of the others: made to match `values`."""
    if kind.name == "crossing":
        if {"name", "counterpart", "aliases"} & set(values):
            aliases = values.get("aliases")
            if aliases is None:
                aliases = queries.load_aliases(session, crossing_ids=[row.id]).get(row.id, [])
            wanted = alias_rows(row.id, name=row.name, counterpart=row.counterpart, aliases=aliases)
            _replace(session, CrossingAlias, CrossingAlias.crossing_id, row.id, wanted, ("alias",))
        if "traffic" in values:
            wanted_traffic = [
                CrossingTraffic(crossing_id=row.id, mode=mode)
                for mode in dict.fromkeys(values["traffic"])
            ]
            _replace(
                session,
                CrossingTraffic,
                CrossingTraffic.crossing_id,
                row.id,
                wanted_traffic,
                ("mode",),
            )
    elif "countries" in values:
        link: Any = RestrictionCountry if kind.name == "restriction" else FortificationCountry
        key = f"{kind.name}_id"
        wanted_countries = [
            link(**{key: row.id, "country": code}) for code in dict.fromkeys(values["countries"])
        ]
        _replace(session, link, getattr(link, key), row.id, wanted_countries, ("country",))


def _replace(
    session: Session,
    model: Any,
    parent: Any,
    parent_id: str,
    wanted: Sequence[Any],
    keys: tuple[str, ...],
) -> None:
    """Make a record's child rows exactly `wanted`: delete, update and insert what differs."""
    columns = [c for c in model.model_fields if c not in keys]
    stored = {
        tuple(getattr(r, k) for k in keys): r
        for r in session.exec(select(model).where(col(parent) == parent_id))
    }
    for row in wanted:
        current = stored.pop(tuple(getattr(row, k) for k in keys), None)
        if current is None:
            session.add(row)
            continue
        for column in columns:
            if getattr(current, column) != getattr(row, column):
                setattr(current, column, getattr(row, column))
    for row in stored.values():
        session.delete(row)
    session.flush()


def _audit(
    session: Session,
    write: Write,
    *,
    action: str,
    record_type: str,
    record_id: str,
    before: str | None,
    after: str | None,
) -> AuditEntry:
    entry = AuditEntry(
        at=now(),
        curator=write.curator,
        method=write.method,
        path=write.path,
        action=action,
        record_type=record_type,
        record_id=record_id,
        before=before,
        after=after,
    )
    session.add(entry)
    session.flush()
    return entry


def _adopt(session: Session, record_type: str, record_id: str, audit: AuditEntry) -> None:
    """The record is the curators' from now on: the seeder leaves it alone."""
    if session.get(CuratedRecord, (record_type, record_id)) is None:
        assert audit.id is not None
        session.add(
            CuratedRecord(
                record_type=record_type, record_id=record_id, since=audit.at, audit_id=audit.id
            )
        )
        session.flush()


def _new_id(kind: Kind, payload: RecordCreate) -> str:
    source = payload.name if isinstance(payload, CrossingCreate) else payload.summary
    field_name = "name" if isinstance(payload, CrossingCreate) else "summary"
    record_id = slug(source)
    if not record_id:
        raise invalid((field_name, "has no letter or digit to make the record's id from"))
    return record_id


def create_record(
    session: Session, write: Write, *, kind_name: str, payload: RecordCreate
) -> Answer:
    """A new record, cited; its id is derived from its name (crossings) or summary."""
    kind = KINDS[kind_name]
    record_id = _new_id(kind, payload)
    if session.get(kind.model, record_id) is not None:
        raise ProblemError(
            409,
            "Record exists",
            f"A {kind.name} with id {record_id!r} exists; PATCH /v1/{kind.path}/{record_id} "
            "to change it.",
            errors=[{"parameter": "id", "message": f"{record_id!r} exists"}],
        )
    cited = resolve_citations(session, payload.citations)
    values = payload.model_dump(exclude={"citations"})
    _check_references(session, kind, values)
    row = kind.model(id=record_id)
    _set_columns(kind, row, values)
    session.add(row)
    session.flush()
    _set_children(session, kind, row, values)
    _add_citations(session, kind.name, record_id, cited)
    session.flush()
    refresh_derived(session, Changes(records=frozenset({(kind.name, record_id)})))
    audit = _audit(
        session,
        write,
        action="create",
        record_type=kind.name,
        record_id=record_id,
        before=None,
        after=_state(session, kind, row),
    )
    _adopt(session, kind.name, record_id, audit)
    body = detail_body(session, kind, row)
    return Answer(201, body, {"ETag": etag(body), "Location": f"/v1/{kind.path}/{record_id}"})


def update_record(
    session: Session,
    write: Write,
    *,
    kind_name: str,
    record_id: str,
    payload: RecordPatch,
    if_match: str | None,
) -> Answer:
    """Change a record's fields, cited; the previous state becomes a revision and a status
    change a dated event. A stale If-Match is a 412."""
    kind = KINDS[kind_name]
    row = session.exec(
        select(kind.model).where(col(kind.model.id) == record_id).with_for_update()
    ).first()
    if row is None:
        raise ProblemError(404, "Not found", f"No {kind.name} with id {record_id!r}.")
    before_body = detail_body(session, kind, row)
    current = etag(before_body)
    if if_match is not None and not if_match_holds(if_match, current):
        raise ProblemError(
            412,
            "Precondition failed",
            f"The {kind.name} changed since that ETag was served; GET it again (ETag {current}).",
            headers={"ETag": current},
        )
    before = _state(session, kind, row)
    counted_before = tally_groups(session, [(kind.name, record_id)])
    cited = resolve_citations(session, payload.citations)
    given = payload.model_dump(include=set(payload.model_fields_set) - WRITE_FIELDS)
    values = _current_values(session, kind, row) | given
    _check_references(session, kind, values)
    old_status = row.status
    status_changed = values["status"] != old_status
    effective = _effective(session, kind, row, payload, status_changed)
    # Read before the change overwrites the record's `since`.
    baseline = _baseline(session, kind, row, effective) if effective is not None else None
    if effective is not None:
        given = _dates_follow_status(kind, values["status"], effective, given)
    _set_columns(kind, row, given)
    session.flush()
    _set_children(session, kind, row, given)
    added = _add_citations(session, kind.name, record_id, cited)
    session.flush()
    events: list[Event] = []
    if baseline is not None:
        events.append(_add_event(session, kind, row, **baseline))
    if effective is not None:
        events.append(
            _add_event(
                session,
                kind,
                row,
                date=effective,
                kind_of_event=payload.event_kind or kind.event_kinds[row.status],
                summary=payload.event_summary or f"{kind.title(row)}: {old_status} → {row.status}",
                before=old_status,
                cited=cited,
            )
        )
    after = _state(session, kind, row)
    if after == before and not events and not added:
        # Nothing changed: nothing to record, and nothing for the other workers to reload.
        return Answer(200, before_body, {"ETag": current})
    changes = Changes(
        records=frozenset({(kind.name, record_id)}),
        events=frozenset(e.id for e in events),
        counted_before=counted_before,
    )
    refresh_derived(session, changes)
    after = _state(session, kind, row)
    audit = _audit(
        session,
        write,
        action="update",
        record_type=kind.name,
        record_id=record_id,
        before=before,
        after=after,
    )
    assert audit.id is not None
    session.add(
        RecordRevision(
            record_type=kind.name,
            record_id=record_id,
            revision=_last_revision(session, kind.name, record_id) + 1,
            state=before,
            until=audit.at,
            audit_id=audit.id,
        )
    )
    _adopt(session, kind.name, record_id, audit)
    for event in events:
        _adopt(session, "event", event.id, audit)
    body = detail_body(session, kind, row)
    return Answer(200, body, {"ETag": etag(body)})


def _current_values(session: Session, kind: Kind, row: Any) -> dict[str, Any]:
    values = {column: getattr(row, column) for column in kind.columns}
    if kind.name != "crossing":
        link: Any = RestrictionCountry if kind.name == "restriction" else FortificationCountry
        values["countries"] = queries.load_countries(
            session, link=link, key=f"{kind.name}_id", ids=[row.id]
        ).get(row.id, [])
    return values


def _effective(
    session: Session, kind: Kind, row: Any, payload: StatusChange, status_changed: bool
) -> str | None:
    """The date a status change took effect: given or today, not in the future, and not
    before the latest status change on record (the history stays in order)."""
    if not status_changed:
        extra = [
            (name, "only a status change takes it")
            for name in ("effective", "event_kind", "event_summary")
            if getattr(payload, name) is not None
        ]
        if extra:
            raise invalid(*extra)
        return None
    today = now().date()
    effective = payload.effective or today.isoformat()
    start, _ = parse_partial(effective)
    # A day's grace: "today" where the curator is may be tomorrow in UTC.
    if start > today + dt.timedelta(days=1):
        raise invalid(("effective", f"{effective} is in the future; record a change once it holds"))
    history = queries.subject_events(session, subject_type=kind.name, subject_ids=[row.id])
    dated = [e for e in history.get(row.id, []) if e.status_after]
    if dated and start < dated[-1].date_start:
        latest = dated[-1]
        raise invalid(
            (
                "effective",
                f"{effective} is before the latest status change on record "
                f"({latest.date}, event {latest.id!r})",
            )
        )
    return effective


def _dates_follow_status(
    kind: Kind, status: str, effective: str, given: dict[str, Any]
) -> dict[str, Any]:
    """The dates a new status implies, field by field, unless the curator gave that field in
    the same write (a note alone still gets the date it is about)."""
    implied: dict[str, Any] = {}
    if kind.name == "crossing":
        implied = {
            "status_since": effective,
            "status_since_inferred": False,
            "status_since_note": None,
        }
    elif kind.name == "restriction" and status == "lifted":
        implied = {"until": effective}
    elif kind.name == "restriction":
        implied = {"since": effective, "since_inferred": False, "since_note": None}
    elif status == "completed":
        implied = {"completion": effective, "completion_inferred": False, "completion_note": None}
    return {**implied, **given}


def _baseline(session: Session, kind: Kind, row: Any, effective: str) -> dict[str, Any] | None:
    """Before a record's first dated status change: when its status held from, as an event.

    `as_of` answers a date before the first change with that change's `status_before`, from
    no start at all. A record whose status was known only from a date (its `since`, else the
    earliest article citing it) keeps that start this way, with the citations that gave it:
    a measure does not seem in force before it began.
    """
    history = queries.subject_events(session, subject_type=kind.name, subject_ids=[row.id])
    if any(e.status_after for e in history.get(row.id, [])):
        return None
    since, inferred, note = None, False, None
    if kind.name in ("crossing", "restriction"):
        state = presenters.current_status(row)
        since, inferred, note = state.since, state.since_inferred, state.since_note
    cited = queries.load_provenance(session, record_type=kind.name, record_ids=[row.id])[row.id]
    if since is None:
        published = sorted(
            (period_start(c["published"]), c["published"]) for c in cited if c["published"]
        )
        if not published:
            return None
        since, inferred = published[0][1], True
        note = "the earliest publication date of an article citing the record"
    if period_start(since) > parse_partial(effective)[0]:  # type: ignore[operator]
        return None
    return {
        "date": since,
        "date_inferred": inferred,
        "date_note": note,
        "kind_of_event": "statement",
        "summary": f"{kind.title(row)}: {row.status}, as recorded before its first status change",
        "before": None,
        "after": row.status,
        "cited": [
            Cited(c["source_file"], c["sentence_index"], c["quote"], c["quote_start"])
            for c in cited
        ],
    }


def _add_event(
    session: Session,
    kind: Kind,
    row: Any,
    *,
    date: str,
    kind_of_event: str,
    summary: str,
    before: str | None,
    cited: list[Cited],
    after: str | None = None,
    date_inferred: bool = False,
    date_note: str | None = None,
) -> Event:
    """A dated status change of the record (to its status now, unless `after` says)."""
    after = after or row.status
    prefix = f"{slug(row.id, length=30)}-{date}-"
    taken = session.exec(
        select(func.count()).select_from(Event).where(col(Event.id).startswith(prefix))
    ).one()
    event = Event(
        # Numbered, so the changes a curator records on one day sort in the order made.
        id=f"{prefix}{taken + 1:02d}-{slug(after or '', length=18)}",
        date=date,
        date_start=parse_partial(date)[0],
        date_inferred=date_inferred,
        date_note=date_note,
        kind=kind_of_event,
        summary=summary,
        subject_type=kind.name,
        subject_id=row.id,
        status_before=before,
        status_after=after,
    )
    session.add(event)
    session.flush()
    countries = (
        [row.country]
        if kind.name == "crossing"
        else _current_values(session, kind, row)["countries"]
    )
    session.add_all(
        EventCountry(event_id=event.id, country=code, date_start=event.date_start)
        for code in countries
    )
    _add_citations(session, "event", event.id, cited)
    session.flush()
    return event


def _last_revision(session: Session, record_type: str, record_id: str) -> int:
    last = session.exec(
        select(func.max(RecordRevision.revision)).where(
            RecordRevision.record_type == record_type, RecordRevision.record_id == record_id
        )
    ).one()
    return int(last or 0)


# --- sources --------------------------------------------------------------------------------


def add_source(session: Session, write: Write, *, article: SourceIn) -> Answer:
    """Store an article (app.ingest), audited, as the curators' source."""
    source = ingest_article(session, article)
    body = presenters.source_detail(session, source).model_dump_json().encode()
    summary = presenters.source_out(source, len(queries.sentences_of(session, file=source.file)))
    audit = _audit(
        session,
        write,
        action="ingest",
        record_type="source",
        record_id=source.file,
        before=None,
        after=summary.model_dump_json(),
    )
    _adopt(session, "source", source.file, audit)
    return Answer(201, body, {"ETag": etag(body), "Location": f"/v1/sources/{source.file}"})
