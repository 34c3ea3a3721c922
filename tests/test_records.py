import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from app.config import PROJECT_ROOT
from app.seed.dataset import Dataset, RecordsError, load_dataset
from tests.records_file import Records, edit_records, read_records, record

SEED_DIR = PROJECT_ROOT / "seed_data"
SHARED_ARTICLES = PROJECT_ROOT.parent / "shared" / "articles"

ARTICLE_TEXT_KINDS = {"title", "heading", "body", "bullet", "caption"}
CHROME_STRINGS = [
    "Skip to main content",
    "Advertisement",
    "Live broadcast",
    "Переведено сервисом",
    "Avatar of",
    "Twei",
    "Comment-to-Earn",
    "(Photo:",
    "(Foto:",
]


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return load_dataset(SEED_DIR)


def problems_of(seed_dir: Path) -> str:
    with pytest.raises(RecordsError) as excinfo:
        load_dataset(seed_dir)
    return str(excinfo.value)


def test_seed_articles_are_the_shared_articles_byte_for_byte() -> None:
    if not SHARED_ARTICLES.is_dir():
        pytest.skip(f"no shared articles at {SHARED_ARTICLES}")
    seeded = sorted(p.name for p in (SEED_DIR / "articles").iterdir())
    shared = sorted(p.name for p in SHARED_ARTICLES.iterdir())

    assert seeded == shared
    for name in seeded:
        assert (SEED_DIR / "articles" / name).read_bytes() == (SHARED_ARTICLES / name).read_bytes()


def test_every_article_has_its_sha256_in_the_records_file() -> None:
    sources = read_records(SEED_DIR)["sources"]
    on_disk = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (SEED_DIR / "articles").glob("*.txt")
    }

    assert on_disk == {name: meta["sha256"] for name, meta in sources.items()}


def test_every_quote_resolves_inside_one_sentence_of_its_article(dataset: Dataset) -> None:
    for citation in dataset.citations:
        article = dataset.articles[citation.source_file]
        sentence = article.sentences[citation.sentence_index]
        assert article.text[citation.quote_start : citation.quote_end] == citation.quote
        assert sentence.char_start <= citation.quote_start
        assert citation.quote_end <= sentence.char_end


def test_every_quote_in_the_records_file_becomes_a_citation(dataset: Dataset) -> None:
    records = read_records(SEED_DIR)
    quoted = [
        r
        for section in ("borders", "crossings", "restrictions", "fortifications", "events")
        for r in records[section]
    ] + [claim for fact in records["facts"] for claim in fact["claims"]]
    # The quotes of a record's earlier states are citations too.
    quoted += [
        state
        for section in ("crossings", "restrictions", "fortifications")
        for r in records[section]
        for state in r.get("history", [])
    ]
    expected = sorted((q["file"], q["text"]) for r in quoted for q in r.get("quotes", []))

    assert sorted((c.source_file, c.quote) for c in dataset.citations) == expected


def test_no_cited_sentence_is_page_chrome(dataset: Dataset) -> None:
    for citation in dataset.citations:
        sentence = dataset.articles[citation.source_file].sentences[citation.sentence_index]
        assert sentence.kind in ARTICLE_TEXT_KINDS
        assert not [c for c in CHROME_STRINGS if c in sentence.text], sentence.text


def test_a_broken_quote_is_reported_with_its_record_and_quote(seed_copy: Path) -> None:
    typo = "Queues began to appear in Narva, waiting took several hours"

    def break_quotes(records: Records) -> None:
        record(records, "crossings", "narva")["quotes"][1]["text"] = typo
        record(records, "restrictions", "lv-electronic-queue")["quotes"][0]["text"] = "no such"

    edit_records(seed_copy, break_quotes)

    message = problems_of(seed_copy)

    assert f"crossing 'narva': quote {typo!r}" in message
    assert "not found verbatim" in message
    assert "restriction 'lv-electronic-queue': quote 'no such'" in message


@pytest.mark.parametrize(
    ("file", "quote", "reason"),
    [
        (
            "002_6d3e1f3cc5a138b6.txt",
            "Chief of the Norwegian Joint Headquarters, Vice Admiral Rune Andersen",
            "occurs more than once",
        ),
        (
            "001_2d175952eb0183b5.txt",
            "23.3 km by sea). The only functioning border crossing",
            "spans sentences",
        ),
        ("000_82da986fc3907c30.txt", "Skip to main content", "page chrome"),
        ("003_377aa8b1fa1c8230.txt", "Dangerous complacency", "page chrome"),
        ("003_377aa8b1fa1c8230.txt", "(Photo: Torgeir Haugaard", "not found verbatim"),
        ("004_missing.txt", "Storskog", "no such source"),
    ],
    ids=["ambiguous", "two-sentences", "chrome", "comment", "elsewhere", "no-source"],
)
def test_a_quote_that_does_not_resolve_is_rejected_with_the_reason(
    seed_copy: Path, file: str, quote: str, reason: str
) -> None:
    def requote(records: Records) -> None:
        record(records, "crossings", "storskog")["quotes"][0] = {"file": file, "text": quote}

    edit_records(seed_copy, requote)

    message = problems_of(seed_copy)

    assert f"crossing 'storskog': quote {quote!r} in {file}: " in message
    assert reason in message


def add_unknown_country(records: Records) -> None:
    record(records, "restrictions", "tourist-visa-stop-2022")["countries"].append("SE")


def add_unknown_subject(records: Records) -> None:
    record(records, "events", "lv-vientuli-closed-2023")["subject"] = "crossing:silene"


def point_fact_at_missing_border(records: Records) -> None:
    record(records, "facts", "fi-ru-length")["subject"] = "border:FI-BY"


def swap_sides_of_a_crossing(records: Records) -> None:
    narva = record(records, "crossings", "narva")
    narva["country"], narva["neighbour"] = narva["neighbour"], narva["country"]


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (
            swap_sides_of_a_crossing,
            "crossing 'narva': country must be a nato country and neighbour a neighbour",
        ),
        (
            add_unknown_country,
            "restriction tourist-visa-stop-2022: country 'SE' is not under `countries`",
        ),
        (
            add_unknown_subject,
            "event lv-vientuli-closed-2023: subject 'crossing:silene' does not exist",
        ),
        (point_fact_at_missing_border, "fact fi-ru-length: subject 'border:FI-BY' does not exist"),
    ],
    ids=["crossing-sides", "country", "event-subject", "fact-subject"],
)
def test_a_reference_to_something_missing_is_rejected(
    seed_copy: Path, edit: Callable[[Records], None], problem: str
) -> None:
    edit_records(seed_copy, edit)

    assert problem in problems_of(seed_copy)


@pytest.mark.parametrize(
    ("country", "problem"),
    [
        ({"code": "SE", "name": "Sweden", "role": "other"}, "SE 'Sweden' is not a country"),
        ({"code": "LV", "name": "Latvija", "role": "nato"}, "LV 'Latvija' is not a country"),
    ],
    ids=["uncovered", "renamed"],
)
def test_a_country_the_service_does_not_cover_is_refused(
    seed_copy: Path, country: dict[str, str], problem: str
) -> None:
    """The API's schema lists the countries of app.countries: the seed can't add another."""

    def add(records: Records) -> None:
        records["countries"] = [c for c in records["countries"] if c["code"] != country["code"]] + [
            country
        ]

    edit_records(seed_copy, add)

    assert problem in problems_of(seed_copy)


def test_an_edited_article_is_reported_by_its_sha256(seed_copy: Path) -> None:
    article = seed_copy / "articles" / "001_2d175952eb0183b5.txt"
    article.write_bytes(article.read_bytes().replace(b"Sturskug", b"Storskog", 1))
    expected = read_records(seed_copy)["sources"][article.name]["sha256"]

    message = problems_of(seed_copy)

    actual = hashlib.sha256(article.read_bytes()).hexdigest()
    assert f"source {article.name}: sha256 is {actual}, the records file says {expected}" in message


def test_a_wrong_sha256_in_the_records_file_is_reported(seed_copy: Path) -> None:
    wrong = "0" * 64

    def set_wrong_sha(records: Records) -> None:
        records["sources"]["003_377aa8b1fa1c8230.txt"]["sha256"] = wrong

    edit_records(seed_copy, set_wrong_sha)

    assert f"the records file says {wrong}" in problems_of(seed_copy)
