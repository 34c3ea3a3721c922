"""A loaded seed as rows: what each table of the store should hold, and what /search reads."""

from dataclasses import asdict
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlmodel import SQLModel

from app.dates import parse_partial, period_start
from app.derived.search import record_search_document, search_document
from app.ingest import sentence_rows
from app.models import (
    Border,
    Citation,
    Claim,
    Country,
    Crossing,
    CrossingAlias,
    CrossingTraffic,
    Event,
    EventCountry,
    Fact,
    Fortification,
    FortificationCountry,
    Restriction,
    RestrictionCountry,
    SearchDocument,
    Sentence,
    Source,
)
from app.names import alias_rows
from app.seed.dataset import Dataset, claim_id, history_changes

M = TypeVar("M", bound=SQLModel)


def _row(model: type[M], entry: BaseModel, **derived: Any) -> M:
    """A row of `model`: the entry's fields of the same name, and the columns derived here."""
    shared = set(model.model_fields) & set(type(entry).model_fields)
    return model(**entry.model_dump(include=shared.difference(derived)), **derived)


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _subject(subject: str | None) -> dict[str, str | None]:
    """An entry's "kind:id" subject as the subject_type and subject_id columns."""
    kind, _, target = subject.partition(":") if subject else (None, None, None)
    return {"subject_type": kind, "subject_id": target}


def desired_rows(dataset: Dataset) -> list[tuple[type[SQLModel], list[SQLModel]]]:
    """Every row the store should hold, table by table, parents before children."""
    rec = dataset.records
    changes = history_changes(rec)
    sources: list[SQLModel] = [
        _row(
            Source,
            meta,
            file=name,
            sha256=dataset.articles[name].sha256,
            text=dataset.articles[name].text,
        )
        for name, meta in rec.sources.items()
    ]
    sentences: list[SQLModel] = [
        row
        for article in dataset.articles.values()
        for row in sentence_rows(article.file, article.sentences)
    ]
    aliases: list[SQLModel] = [
        alias
        for c in rec.crossings
        for alias in alias_rows(c.id, name=c.name, counterpart=c.counterpart, aliases=c.aliases)
    ]
    claims: list[SQLModel] = [
        _row(
            Claim,
            claim,
            id=claim_id(f.id, n),
            fact_id=f.id,
            position=n,
            value_num=_number(claim.value),
        )
        for f in rec.facts
        for n, claim in enumerate(f.claims, start=1)
    ]
    return [
        (Country, [_row(Country, c) for c in rec.countries]),
        (Source, sources),
        (Sentence, sentences),
        (
            Border,
            [_row(Border, b, status_since_start=period_start(b.status_since)) for b in rec.borders],
        ),
        (
            Crossing,
            [
                _row(
                    Crossing,
                    c,
                    border_id=f"{c.country}-{c.neighbour}",
                    status_since_start=period_start(c.status_since),
                )
                for c in rec.crossings
            ],
        ),
        (CrossingAlias, aliases),
        (
            CrossingTraffic,
            [
                CrossingTraffic(crossing_id=c.id, mode=mode)
                for c in rec.crossings
                for mode in dict.fromkeys(c.traffic)
            ],
        ),
        (
            Restriction,
            [
                _row(
                    Restriction,
                    r,
                    since_start=period_start(r.since),
                    until_start=period_start(r.until),
                )
                for r in rec.restrictions
            ],
        ),
        (
            RestrictionCountry,
            [
                RestrictionCountry(restriction_id=r.id, country=code)
                for r in rec.restrictions
                for code in dict.fromkeys(r.countries)
            ],
        ),
        (Fortification, [_row(Fortification, f) for f in rec.fortifications]),
        (
            FortificationCountry,
            [
                FortificationCountry(fortification_id=f.id, country=code)
                for f in rec.fortifications
                for code in dict.fromkeys(f.countries)
            ],
        ),
        (
            Fact,
            [
                _row(Fact, f, **_subject(f.subject), disputed=len({c.value for c in f.claims}) > 1)
                for f in rec.facts
            ],
        ),
        (Claim, claims),
        (
            Event,
            [
                _row(
                    Event,
                    e,
                    date_start=parse_partial(e.date)[0],
                    changes=changes.get(e.id),
                    **_subject(e.subject),
                )
                for e in rec.events
            ],
        ),
        (
            EventCountry,
            [
                EventCountry(event_id=e.id, country=code, date_start=parse_partial(e.date)[0])
                for e in rec.events
                for code in dict.fromkeys(e.countries)
            ],
        ),
        (Citation, [Citation(**asdict(q)) for q in dataset.citations]),
        (SearchDocument, search_documents(dataset)),
    ]


def search_documents(dataset: Dataset) -> list[SQLModel]:
    """What /search looks through: every sentence (its own words), and every record's words."""
    rec = dataset.records
    docs: list[SQLModel] = []

    def add(doc_type: str, doc_id: str, title: str, *words: str | None) -> None:
        docs.append(search_document(doc_type, doc_id, title, *words))

    for article in dataset.articles.values():
        for s in article.sentences:
            add("sentence", f"{article.file}#{s.index}", rec.sources[article.file].title, s.text)
    for c in rec.crossings:
        docs.append(record_search_document("crossing", c, c.aliases))
    for r in rec.restrictions:
        add("restriction", r.id, r.summary, r.summary)
    for f in rec.fortifications:
        add("fortification", f.id, f.summary, f.summary)
    for e in rec.events:
        add("event", e.id, e.summary, e.summary)
    for b in rec.borders:
        add("border", b.id, b.id, b.id, b.summary)
    for fact in rec.facts:
        add("fact", fact.id, fact.summary, fact.summary, *(c.value for c in fact.claims))
    return docs
