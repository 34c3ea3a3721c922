"""A seed directory loaded: the records file validated, articles checked, quotes resolved."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from app.articles import Article, read_article, resolve_quote, sha256_of, split_sentences
from app.changes import SUPERSEDED, changed_fields, encode
from app.dates import parse_partial
from app.kinds import KINDS
from app.seed.schema import Quote, Recorded, RecordsFile

# libyaml's loader when PyYAML was built with it (it parses the records file ~10x faster).
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class RecordsError(Exception):
    """The records file is malformed, or a quote or reference in it doesn't resolve."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


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
    for _, record in _with_history(records):
        for state in record.history:
            if state.quotes:
                yield SUPERSEDED, state.until, state.quotes
    for fact in records.facts:
        for n, claim in enumerate(fact.claims, start=1):
            yield "claim", claim_id(fact.id, n), claim.quotes


def _with_history(records: RecordsFile) -> Iterator[tuple[str, Recorded]]:
    """The records that may state earlier states, with their record type."""
    for crossing in records.crossings:
        yield "crossing", crossing
    for restriction in records.restrictions:
        yield "restriction", restriction
    for fortification in records.fortifications:
        yield "fortification", fortification


def history_changes(records: RecordsFile) -> dict[str, str | None]:
    """The `changes` of each event that ends an earlier state of its record: the fields that
    differ between that state and the one after it (`app.changes`)."""
    found: dict[str, str | None] = {}
    for record_type, record in _with_history(records):
        names = KINDS[record_type].history_fields
        after = _served_values(record.model_dump(), names)
        for state in reversed(record.history):
            before = after | _served_values(state.given(), names)
            found[state.until] = encode(changed_fields(names, before, after))
            after = before
    return found


def _served_values(values: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    # Lists are served sorted, each value once.
    return {
        k: sorted(set(v)) if isinstance(v, list) else v for k, v in values.items() if k in names
    }


def _check_history(records: RecordsFile, problems: list[str]) -> None:
    """Each earlier state ends at a dated event about its record, the states in date order."""
    events = {e.id: e for e in records.events}
    ended: set[str] = set()
    for record_type, record in _with_history(records):
        dates = []
        for n, state in enumerate(record.history):
            where = f"{record_type} {record.id!r}: history.{n}"
            event = events.get(state.until)
            if event is None or event.subject != f"{record_type}:{record.id}":
                problems.append(f"{where}: until {state.until!r} is no event about the record")
                continue
            if state.until in ended:
                problems.append(f"{where}: event {state.until!r} ends two states")
            ended.add(state.until)
            dates.append(parse_partial(event.date)[0])
        if dates != sorted(dates):
            problems.append(f"{record_type} {record.id!r}: history is not in date order")


def claim_id(fact_id: str, n: int) -> str:
    return f"{fact_id}#{n}"


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
    known = {c.code for c in records.countries}
    ids: dict[str, set[str]] = {}

    def register(kind: str, record_id: str, *codes: str | None) -> None:
        """Note the id, once per kind, and that each country code it names is known."""
        seen = ids.setdefault(kind, set())
        if record_id in seen:
            problems.append(f"{kind} {record_id!r}: id used twice")
        seen.add(record_id)
        for code in codes:
            if code is not None and code not in known:
                problems.append(f"{kind} {record_id}: country {code!r} is not under `countries`")

    for b in records.borders:
        register("border", b.id, b.country, b.neighbour)
        if b.id != f"{b.country}-{b.neighbour}":
            problems.append(f"border {b.id!r}: id must be {b.country}-{b.neighbour}")
    roles = {c.code: c.role for c in records.countries}
    for c in records.crossings:
        register("crossing", c.id, c.country, c.neighbour)
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
        register("restriction", r.id, *r.countries)
    for f in records.fortifications:
        register("fortification", f.id, *f.countries, f.neighbour)
    for e in records.events:
        register("event", e.id, *e.countries)
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
    _check_history(records, problems)
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
