"""The curated records file: its shape, and the resolution of its quotes to sentences."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from app.articles import SentenceSpan, read_article, sha256_of, split_sentences
from app.dates import parse_partial
from app.schemas import (
    CrossingStatus,
    EventKind,
    FortificationKind,
    FortificationStatus,
    RestrictionKind,
    RestrictionStatus,
    Traffic,
)

# libyaml's loader when PyYAML was built with it (it parses the records file ~10x faster).
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _partial_date(value: str | None) -> str | None:
    if value is not None:
        parse_partial(value)
    return value


# The pattern documents the shape; the validator also checks the calendar (no 2023-02-30).
PartialDate = Annotated[
    Annotated[str, StringConstraints(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")] | None,
    AfterValidator(_partial_date),
]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Quote(Strict):
    file: str
    text: str = Field(min_length=1)


Quotes = Annotated[list[Quote], Field(min_length=1)]


class CountryRecord(Strict):
    code: CountryCode
    name: str
    role: Literal["nato", "neighbour", "other"]


class SourceRecord(Strict):
    title: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    publisher: str | None = None
    published: PartialDate = None
    published_inferred: bool = False
    published_note: str | None = None
    # Lines of this article that are page chrome the general rules don't recognise.
    chrome: list[str] = []


class BorderRecord(Strict):
    id: str = Field(pattern=r"^[A-Z]{2}-[A-Z]{2}$")
    country: CountryCode
    neighbour: CountryCode
    status: CrossingStatus
    status_since: PartialDate = None
    status_since_inferred: bool = False
    status_since_note: str | None = None
    summary: str | None = None
    quotes: Quotes


class CrossingRecord(Strict):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    name: str
    counterpart: str | None = None
    aliases: list[str] = []
    country: CountryCode
    neighbour: CountryCode
    status: CrossingStatus
    traffic: list[Traffic] = []
    status_since: PartialDate = None
    status_since_inferred: bool = False
    status_since_note: str | None = None
    notes: str | None = None
    quotes: Quotes


class RestrictionRecord(Strict):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    kind: RestrictionKind
    summary: str
    countries: Annotated[list[CountryCode], Field(min_length=1)]
    status: RestrictionStatus
    since: PartialDate = None
    since_inferred: bool = False
    since_note: str | None = None
    until: PartialDate = None
    quotes: Quotes


class FortificationRecord(Strict):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    kind: FortificationKind
    summary: str
    countries: Annotated[list[CountryCode], Field(min_length=1)]
    neighbour: CountryCode | None = None
    status: FortificationStatus
    length_km: float | None = None
    budget_eur: float | None = None
    count: int | None = None
    completion: PartialDate = None
    completion_inferred: bool = False
    completion_note: str | None = None
    quotes: Quotes


class ClaimRecord(Strict):
    value: str
    preferred: bool = False
    note: str | None = None
    quotes: Quotes


class FactRecord(Strict):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    subject: str = Field(pattern=r"^(border|crossing|restriction|fortification|event):.+$")
    topic: str
    summary: str
    unit: str | None = None
    preferred_reason: str | None = None
    claims: Annotated[list[ClaimRecord], Field(min_length=1)]


class EventRecord(Strict):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    date: Annotated[str, AfterValidator(_partial_date)]
    date_inferred: bool = False
    date_note: str | None = None
    kind: EventKind
    summary: str
    countries: list[CountryCode] = []
    subject: str | None = Field(
        default=None, pattern=r"^(border|crossing|restriction|fortification):.+$"
    )
    status_before: str | None = None
    status_after: str | None = None
    quotes: Quotes


class RecordsFile(Strict):
    countries: list[CountryRecord]
    sources: dict[str, SourceRecord]
    borders: list[BorderRecord]
    crossings: list[CrossingRecord]
    restrictions: list[RestrictionRecord]
    fortifications: list[FortificationRecord]
    facts: list[FactRecord] = []
    events: list[EventRecord] = []


class RecordsError(Exception):
    """The records file is malformed, or a quote or reference in it doesn't resolve."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Article:
    file: str
    text: str
    sha256: str
    sentences: list[SentenceSpan]


@dataclass(frozen=True)
class ResolvedQuote:
    record_type: str
    record_id: str
    position: int
    source_file: str
    sentence_index: int
    quote: str
    quote_start: int
    quote_end: int


def load_records(path: Path) -> RecordsFile:
    """Parse and validate the records file; RecordsError lists every problem."""
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader)
    except (OSError, yaml.YAMLError) as exc:
        raise RecordsError([f"{path.name}: cannot read: {exc}"]) from exc
    try:
        return RecordsFile.model_validate(raw)
    except ValidationError as exc:
        raise RecordsError(
            [
                f"{path.name}: {'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
                for err in exc.errors()
            ]
        ) from exc


def load_articles(articles_dir: Path, records: RecordsFile) -> dict[str, Article]:
    """Read every article the records file lists, checking its sha256."""
    problems: list[str] = []
    articles: dict[str, Article] = {}
    for name, meta in records.sources.items():
        path = articles_dir / name
        if not path.is_file():
            problems.append(f"source {name}: file not found in {articles_dir.name}/")
            continue
        digest = sha256_of(path)
        if digest != meta.sha256:
            problems.append(
                f"source {name}: sha256 is {digest}, the records file says {meta.sha256}"
            )
            continue
        text = read_article(path)
        articles[name] = Article(name, text, digest, split_sentences(text, meta.chrome))
    on_disk = {p.name for p in articles_dir.glob("*.txt")}
    for extra in sorted(on_disk - set(records.sources)):
        problems.append(f"source {extra}: article has no entry under `sources` in the records file")
    if problems:
        raise RecordsError(problems)
    return articles


def _quoted_records(records: RecordsFile) -> Iterator[tuple[str, str, list[Quote]]]:
    for border in records.borders:
        yield "border", border.id, border.quotes
    for crossing in records.crossings:
        yield "crossing", crossing.id, crossing.quotes
    for restriction in records.restrictions:
        yield "restriction", restriction.id, restriction.quotes
    for fortification in records.fortifications:
        yield "fortification", fortification.id, fortification.quotes
    for event in records.events:
        yield "event", event.id, event.quotes
    for fact in records.facts:
        for n, claim in enumerate(fact.claims, start=1):
            yield "claim", claim_id(fact.id, n), claim.quotes


def claim_id(fact_id: str, n: int) -> str:
    return f"{fact_id}#{n}"


def resolve_quote(article: Article, text: str) -> tuple[SentenceSpan, int] | str:
    """The sentence holding `text` and the quote's offset, or why it can't be found."""
    first = article.text.find(text)
    if first < 0:
        return "not found verbatim"
    if article.text.find(text, first + 1) >= 0:
        return "occurs more than once; quote a longer span"
    for sentence in article.sentences:
        if sentence.char_start <= first and first + len(text) <= sentence.char_end:
            return sentence, first
    return "is not inside one sentence of article text (page chrome, or it spans sentences)"


def resolve_quotes(records: RecordsFile, articles: dict[str, Article]) -> list[ResolvedQuote]:
    """Resolve every quote; RecordsError names each record and quote that doesn't resolve."""
    problems: list[str] = []
    resolved: list[ResolvedQuote] = []
    for record_type, record_id, quotes in _quoted_records(records):
        for position, quote in enumerate(quotes):
            where = f"{record_type} {record_id!r}: quote {quote.text!r} in {quote.file}"
            article = articles.get(quote.file)
            if article is None:
                problems.append(f"{where}: no such source")
                continue
            found = resolve_quote(article, quote.text)
            if isinstance(found, str):
                problems.append(f"{where}: {found}")
                continue
            sentence, start = found
            resolved.append(
                ResolvedQuote(
                    record_type,
                    record_id,
                    position,
                    quote.file,
                    sentence.index,
                    quote.text,
                    start,
                    start + len(quote.text),
                )
            )
    if problems:
        raise RecordsError(problems)
    return resolved


def check_references(records: RecordsFile) -> None:
    """Every code and id a record refers to exists, and ids are unique."""
    problems: list[str] = []
    codes = {c.code for c in records.countries}
    ids: dict[str, set[str]] = {}

    def register(kind: str, record_id: str) -> None:
        seen = ids.setdefault(kind, set())
        if record_id in seen:
            problems.append(f"{kind} {record_id!r}: id used twice")
        seen.add(record_id)

    def need(where: str, code: str | None) -> None:
        if code is not None and code not in codes:
            problems.append(f"{where}: country {code!r} is not under `countries`")

    for b in records.borders:
        register("border", b.id)
        need(f"border {b.id}", b.country)
        need(f"border {b.id}", b.neighbour)
        if b.id != f"{b.country}-{b.neighbour}":
            problems.append(f"border {b.id!r}: id must be {b.country}-{b.neighbour}")
    roles = {c.code: c.role for c in records.countries}
    for c in records.crossings:
        register("crossing", c.id)
        need(f"crossing {c.id}", c.country)
        need(f"crossing {c.id}", c.neighbour)
        # The API finds a crossing by either side from the side's role.
        if roles.get(c.country, "nato") != "nato" or roles.get(c.neighbour, "neighbour") != (
            "neighbour"
        ):
            problems.append(
                f"crossing {c.id!r}: country must be a nato country and neighbour a neighbour"
            )
        if f"{c.country}-{c.neighbour}" not in ids.get("border", set()):
            problems.append(f"crossing {c.id!r}: no border {c.country}-{c.neighbour}")
    for r in records.restrictions:
        register("restriction", r.id)
        for code in r.countries:
            need(f"restriction {r.id}", code)
    for f in records.fortifications:
        register("fortification", f.id)
        for code in f.countries:
            need(f"fortification {f.id}", code)
        need(f"fortification {f.id}", f.neighbour)
    for e in records.events:
        register("event", e.id)
        for code in e.countries:
            need(f"event {e.id}", code)
    for fact in records.facts:
        register("fact", fact.id)
        preferred = [c for c in fact.claims if c.preferred]
        if len({c.value for c in fact.claims}) > 1 and (
            len(preferred) != 1 or not fact.preferred_reason
        ):
            problems.append(
                f"fact {fact.id!r}: claims disagree, so exactly one must be preferred, "
                "with a preferred_reason"
            )
    for where, subject in [(f"event {e.id}", e.subject) for e in records.events] + [
        (f"fact {f.id}", f.subject) for f in records.facts
    ]:
        if subject is None:
            continue
        kind, _, target = subject.partition(":")
        if target not in ids.get(kind, set()):
            problems.append(f"{where}: subject {subject!r} does not exist")
    if problems:
        raise RecordsError(problems)


@dataclass(frozen=True)
class Dataset:
    records: RecordsFile
    articles: dict[str, Article]
    citations: list[ResolvedQuote]


def load_dataset(seed_dir: Path) -> Dataset:
    """Load, validate and resolve the whole seed: records file, articles and every quote."""
    records = load_records(seed_dir / "records.yaml")
    articles = load_articles(seed_dir / "articles", records)
    check_references(records)
    return Dataset(records, articles, resolve_quotes(records, articles))
