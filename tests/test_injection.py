"""Injection strings in every query and path parameter of the schema: never a 5xx, echoed back
only inside JSON (with nosniff, never as HTML or a header), and no row of any table changes.
Through the write API, in every free-text field: read back byte-identical (record, list,
search, CSV, revisions), and only the rows the writes are meant to add are added."""

import csv
import io
import json
import re
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.asgi import call
from tests.conftest import row_counts
from tests.routes.checks import assert_problem, get_ok, ids, walk
from tests.test_main import openapi_schema
from tests.writes import NARVA_CLOSURE, auth, cite, new_crossing, patch

INJECTIONS = [
    # SQL
    "' OR '1'='1",
    "'; DROP TABLE crossing; --",
    "1; DELETE FROM country",
    '" OR ""="',
    "') UNION SELECT name, sql FROM sqlite_master --",
    "1' AND pg_sleep(5) IS NULL --",
    "%' AND 1=1 --",
    # FTS5 query syntax
    '"unterminated',
    "fence NEAR/2 wall",
    "title:fence*",
    "* OR -",
    "^fence AND NOT",
    "{body title}: fence",
    # tsquery syntax
    "fence & | wall",
    "!(fence",
    "fence:* <-> wall",
    "'fence' & 'wall':AB",
    "\\",
    # LIKE wildcards
    "%",
    "_",
    "%%_%",
    "\\%",
    # HTML and script
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    # path traversal
    "../../../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "....//....//etc/passwd",
    # CRLF and header injection
    "x\r\nSet-Cookie: injected=1",
    "x%0d%0aX-Injected:%201",
    "x\nX-Injected: 1",
]
INJECTED_HEADERS = ("set-cookie", "x-injected")


def parameters() -> list[tuple[str, str, str]]:
    """(path, location, name) for every query and path parameter of every GET operation."""
    found = []
    for path, operations in openapi_schema()["paths"].items():
        for parameter in operations.get("get", {}).get("parameters", []):
            found.append((path, parameter["in"], parameter["name"]))
    return found


PATH_EXAMPLES = {"file": "001_2d175952eb0183b5.txt", "index": "18", "code": "LV"}


def url_with(path: str, location: str, name: str, value: str) -> tuple[str, dict[str, str]]:
    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if location == "path" and key == name:
            return quote(value, safe="")
        return PATH_EXAMPLES.get(key, "storskog")

    url = re.sub(r"\{([^}]+)\}", fill, path)
    params = {name: value} if location == "query" else {}
    if path == "/v1/search" and name != "q":
        params["q"] = "fence"
    return url, params


def assert_safe(status: int, headers: dict[str, str], body: bytes) -> None:
    assert status < 500, body[:300]
    assert headers["x-content-type-options"] == "nosniff"
    content_type = headers["content-type"]
    assert content_type.startswith(("application/json", "application/problem+json")), content_type
    assert not any(h in headers for h in INJECTED_HEADERS)
    assert b"\r" not in body and b"\n" not in body, "control characters stay JSON-escaped"
    parsed = json.loads(body)
    assert parsed is not None
    assert b"root:x:0:0" not in body
    assert b"Traceback" not in body


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "location", "name"), parameters(), ids=[f"{p} {n}" for p, _, n in parameters()]
)
def test_injection_strings_are_answered_safely_and_change_nothing(
    uncached_client: TestClient, seeded_engine: Engine, path: str, location: str, name: str
) -> None:
    before = row_counts(seeded_engine)
    for value in INJECTIONS:
        url, params = url_with(path, location, name, value)
        response = uncached_client.get(url, params=params)
        assert_safe(response.status_code, dict(response.headers), response.content)
    assert row_counts(seeded_engine) == before


def test_every_parameter_is_covered() -> None:
    names = {(p, n) for p, _, n in parameters()}
    assert ("/v1/search", "q") in names
    assert ("/v1/sources/{file}/sentences/{index}", "file") in names
    assert ("/v1/crossings", "cursor") in names


@pytest.mark.parametrize(
    "path",
    [
        "/v1/sources/../../../../etc/passwd",
        "/v1/sources/..%2f..%2f..%2fetc%2fpasswd",
        "/v1/sources/%2e%2e/%2e%2e/app/main.py",
        "/v1/sources/001_2d175952eb0183b5.txt/../../../pyproject.toml",
        "/../../../../etc/passwd",
        "/v1/crossings/..",
    ],
)
def test_raw_traversal_paths_reach_no_file(uncached_client: TestClient, path: str) -> None:
    answer = call(uncached_client.app, "GET", path)
    assert answer.status in (404, 422), answer.body
    assert_safe(answer.status, answer.headers, answer.body)
    assert b"[project]" not in answer.body and b"import" not in answer.body


def test_an_injected_search_finds_what_its_words_find(uncached_client: TestClient) -> None:
    """Query syntax is taken as words, not as an FTS5 or tsquery expression."""
    plain = uncached_client.get("/v1/search", params={"q": "border fence"}).json()
    syntax = uncached_client.get("/v1/search", params={"q": "border NEAR/2 fence"}).json()
    operators = uncached_client.get("/v1/search", params={"q": "border & | fence"}).json()
    assert plain["meta"]["total"] > 0
    assert operators["data"] == plain["data"]
    assert syntax["meta"]["total"] <= plain["meta"]["total"]


def test_like_wildcards_match_themselves(uncached_client: TestClient) -> None:
    everything = uncached_client.get("/v1/restrictions").json()["meta"]["total"]
    percent = uncached_client.get("/v1/restrictions", params={"q": "%"}).json()["meta"]["total"]
    underscore = uncached_client.get("/v1/restrictions", params={"q": "_"}).json()
    assert everything > 0
    assert percent < everything
    assert underscore["meta"]["total"] < everything


# --- the write API ----------------------------------------------------------------------------

EXTRA_STRINGS = [
    "\U0001d54f\U0001f642",  # non-BMP: 𝕏🙂
    "\u202e",  # right-to-left override
    "\u0301",  # a lone combining mark
    "'\"" * 1000,  # 2000 characters of quotes: the longest note a field takes
    '=HYPERLINK("http://x","y")',  # a spreadsheet formula, for the CSV
]
ROUND_TRIP = INJECTIONS + EXTRA_STRINGS
NAME_MAX = 200  # app.payloads.Name
TEXT_MAX = 2000  # app.payloads.Summary and Note


def fit(prefix: str, value: str, limit: int) -> str:
    """`prefix + value`, the value cut so that the whole fits a field of `limit` characters."""
    return prefix + value[: limit - len(prefix)]


def marker(i: int) -> str:
    """A word of its own per string: the records' ids and search hits stay apart."""
    return f"Inj{i:02d}"


def source_body(i: int, value: str) -> dict[str, Any]:
    return {
        "file": f"inj_{i:02d}.txt",
        "title": fit(f"{marker(i)} ", value, NAME_MAX),
        "publisher": value[:NAME_MAX],
        "published": "2025-01-02",
        "published_note": value,
        "text": f"{marker(i)} border report\n\n"
        f"The border guard quoted {value} in a statement on Monday.\n"
        f"Queues at checkpoint number {i} grew to several hours on Tuesday.\n",
    }


def own_quote(i: int) -> list[dict[str, str]]:
    return cite(f"Queues at checkpoint number {i} grew to several hours", f"inj_{i:02d}.txt")


def crossing_body(i: int, value: str) -> dict[str, Any]:
    short = value[: NAME_MAX - 10]
    return new_crossing(
        name=f"{marker(i)} {short}",
        counterpart=short,
        aliases=[f"{short} ({i})"],
        status_since="2023-11",
        status_since_note=value,
        notes=value,
        citations=own_quote(i),
    )


def restriction_body(i: int, value: str) -> dict[str, Any]:
    return {
        "kind": "entry",
        "summary": fit(f"{marker(i)} ", value, TEXT_MAX),
        "countries": ["FI"],
        "status": "in_force",
        "since": "2023",
        "since_note": value,
        "citations": own_quote(i),
    }


def fortification_body(i: int, value: str) -> dict[str, Any]:
    return {
        "kind": "line",
        "summary": fit(f"{marker(i)} ", value, TEXT_MAX),
        "countries": ["FI"],
        "neighbour": "RU",
        "status": "under_construction",
        "completion": "2026",
        "completion_note": value,
        "citations": own_quote(i),
    }


def created(client: TestClient, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(url, headers=auth(), json=body)
    assert response.status_code == 201, response.text
    record: dict[str, Any] = response.json()
    return record


def csv_rows(client: TestClient, url: str, **params: Any) -> list[dict[str, str]]:
    response = client.get(url, params={**params, "format": "csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"), newline="")))


# SQLite's FTS5 keeps its index in b-tree segments that it merges as it goes: their row counts
# say nothing about the rows stored.
FTS_SEGMENTS = {"search_fts_data", "search_fts_idx"}


def grown(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """How many rows each table gained (or, negative, lost), for the tables that changed."""
    assert set(after) == set(before)
    changed = [t for t in after if after[t] != before[t] and t not in FTS_SEGMENTS]
    return {t: after[t] - before[t] for t in changed}


def with_fts(backend: str, expected: dict[str, int]) -> dict[str, int]:
    """`expected`, and on SQLite the FTS5 table and its docsize rows, one per search document."""
    if backend == "sqlite" and "search_document" in expected:
        n = expected["search_document"]
        return {**expected, "search_fts": n, "search_fts_docsize": n}
    return expected


def sentences_per_source(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT source_file, count(*) FROM sentence GROUP BY source_file"))
        return {str(file): int(n) for file, n in rows}


@pytest.mark.slow
def test_injection_strings_round_trip_byte_identical_through_the_write_api(
    writer: TestClient, seeded_fresh_engine: Engine, backend: str
) -> None:
    """Every string, as a source's title, publisher, note and text and as every free-text field
    of a crossing, a restriction and a fortification, reads back exactly as sent: from the
    record, its list, a search, and the CSV; and only the rows of those writes are added."""
    before = row_counts(seeded_fresh_engine)
    seed_sentences = sentences_per_source(seeded_fresh_engine)
    sent: dict[str, dict[str, dict[str, Any]]] = {
        "sources": {},
        "crossings": {},
        "restrictions": {},
        "fortifications": {},
    }
    sentence_counts: dict[str, int] = {}
    for i, value in enumerate(ROUND_TRIP):
        source = created(writer, "/v1/sources", source_body(i, value))
        sent["sources"][source["file"]] = source_body(i, value)
        sentence_counts[source["file"]] = source["sentence_count"]
        for path, body in (
            ("crossings", crossing_body(i, value)),
            ("restrictions", restriction_body(i, value)),
            ("fortifications", fortification_body(i, value)),
        ):
            record = created(writer, f"/v1/{path}", body)
            assert record["id"].split("-")[0] == marker(i).lower(), record["id"]
            sent[path][record["id"]] = body

    n = len(ROUND_TRIP)
    added_sentences = sum(sentence_counts.values())
    assert min(sentence_counts.values()) >= 3, "each text still has its sentences"
    assert grown(before, row_counts(seeded_fresh_engine)) == with_fts(
        backend,
        {
            "source": n,
            "sentence": added_sentences,
            "crossing": n,
            "crossing_alias": 3 * n,  # name, counterpart, alias
            "crossing_traffic": 2 * n,  # car, truck
            "restriction": n,
            "restriction_country": n,
            "fortification": n,
            "fortification_country": n,
            "citation": 3 * n,
            "search_document": 3 * n + added_sentences,
            "audit_entry": 4 * n,
            "curated_record": 4 * n,
            # The first closed crossings on FI-RU: a row for all of them, one per mode.
            "crossing_tally": 3,
            # The first restriction of its kind and status for FI.
            "restriction_tally": 1,
            # A crossing is `unknown` until its article attests it, then its status; a
            # restriction and a fortification are listed from then only.
            "status_period": 2 * n + n + n,
            # The first crossings on FI-RU: none known from the start, then all closed from
            # the day their article attests them (the count of unknown falls to 0 that day).
            "crossing_count": 3,
        },
    )
    assert sentences_per_source(seeded_fresh_engine) == seed_sentences | sentence_counts

    # Sources: the article, its sentences' offsets into it, the list, and the CSV.
    listed_sources = {s["file"]: s for s in writer.get("/v1/sources").json()["data"]}
    csv_sources = {row["file"]: row for row in csv_rows(writer, "/v1/sources")}
    for file, body in sent["sources"].items():
        source = writer.get(f"/v1/sources/{file}").json()
        for field in ("title", "publisher", "published_note", "text"):
            assert source[field] == body[field], (file, field)
        for sentence in source["sentences"]:
            assert source["text"][sentence["char_start"] : sentence["char_end"]] == sentence["text"]
        for field in ("title", "publisher", "published_note"):
            assert listed_sources[file][field] == body[field], (file, field)
            assert csv_sources[file][field] == body[field], (file, field)

    # Crossings: the record, the list, a search by name, and the CSV.
    text_fields = ("name", "counterpart", "aliases", "notes", "status_since_note")
    listed = {c["id"]: c for c in walk(writer, "/v1/crossings", country="FI", limit=10)}
    csv_crossings = {row["id"]: row for row in csv_rows(writer, "/v1/crossings", country="FI")}
    assert set(listed) == set(csv_crossings) == set(sent["crossings"])
    for record_id, body in sent["crossings"].items():
        detail = writer.get(f"/v1/crossings/{record_id}").json()
        for field in text_fields:
            assert detail[field] == body[field], (record_id, field)
            assert listed[record_id][field] == body[field], (record_id, field)
        for field in ("name", "counterpart", "notes", "status_since_note"):
            assert csv_crossings[record_id][field] == body[field], (record_id, field)
        assert csv_crossings[record_id]["aliases"] == body["aliases"][0]
        assert [p["source_file"] for p in detail["provenance"]] == [body["citations"][0]["file"]]
        found = get_ok(writer, "/v1/crossings", q=body["name"])
        assert record_id in ids(found["data"])
    border = get_ok(writer, "/v1/borders/FI-RU")
    assert border["crossing_counts"]["closed"] == n

    # Restrictions and fortifications: the record, the list, and a search of the summaries.
    notes = {"restrictions": "since_note", "fortifications": "completion_note"}
    for path, note in notes.items():
        listed = {r["id"]: r for r in walk(writer, f"/v1/{path}", country="FI", limit=10)}
        for record_id, body in sent[path].items():
            detail = writer.get(f"/v1/{path}/{record_id}").json()
            for field in ("summary", note):
                assert detail[field] == body[field], (record_id, field)
                assert listed[record_id][field] == body[field], (record_id, field)
            found = get_ok(writer, f"/v1/{path}", q=body["summary"][:NAME_MAX])
            assert ids(found["data"]) == [record_id]

    # Full-text search: each string's records titled as they were sent, and its sentences by
    # their own words, naming their article by the title sent.
    for i, value in enumerate(ROUND_TRIP):
        hits = get_ok(writer, "/v1/search", q=marker(i), limit=50)["data"]
        titles = {(hit["type"], hit["id"]): hit["title"] for hit in hits}
        file = source_body(i, value)["file"]
        sentences = [hit for hit in hits if hit["type"] == "sentence"]
        assert {hit["article_title"] for hit in sentences} == {sent["sources"][file]["title"]}
        assert all(hit["title"] == hit["text"] for hit in sentences if len(hit["text"]) <= 120)
        for path, record_type in (
            ("crossings", "crossing"),
            ("restrictions", "restriction"),
            ("fortifications", "fortification"),
        ):
            ((record_id, body),) = [
                (record_id, body)
                for record_id, body in sent[path].items()
                if record_id.split("-")[0] == marker(i).lower()
            ]
            title = body["name"] if path == "crossings" else body["summary"]
            assert titles[(record_type, record_id)] == title


@pytest.mark.slow
def test_a_patch_keeps_each_injected_value_exactly_in_the_revision_history(
    writer: TestClient, seeded_fresh_engine: Engine, backend: str
) -> None:
    """One crossing is patched once per string (its names, aliases and notes; every other
    write a status change whose event summary is the string): each earlier state, strings and
    all, is its revision and its audit entry's `before`, exactly as it was served."""
    created(writer, "/v1/sources", source_body(0, ROUND_TRIP[0]))
    record_id = created(writer, "/v1/crossings", crossing_body(0, ROUND_TRIP[0]))["id"]
    url = f"/v1/crossings/{record_id}"
    before = row_counts(seeded_fresh_engine)
    states: list[dict[str, Any]] = []
    summaries: list[str] = []
    status = "closed"
    for k, value in enumerate(ROUND_TRIP[1:], start=1):
        (state,) = get_ok(writer, "/v1/crossings", country="FI")["data"]
        states.append(state)
        short = value[: NAME_MAX - 10]
        body: dict[str, Any] = {
            "name": f"{marker(0)} {short}",
            "counterpart": short,
            "aliases": [f"{short} ({k})"],
            "notes": value,
            "status_since_note": value,
            "citations": own_quote(0),
        }
        if k % 2:
            status = "open" if status == "closed" else "closed"
            summaries.append(fit(f"{marker(k)} ", value, TEXT_MAX))
            body |= {"status": status, "effective": "2025-06-02", "event_summary": summaries[-1]}
        response = patch(writer, url, body)
        assert response.status_code == 200, response.text
        for field in ("name", "counterpart", "aliases", "notes", "status_since_note"):
            assert response.json()[field] == body[field], (k, field)

    patches, changes = len(ROUND_TRIP) - 1, len(summaries)
    revisions = get_ok(writer, f"{url}/revisions")["data"]
    assert [r["state"] for r in revisions] == states
    first = crossing_body(0, ROUND_TRIP[0])
    assert [r["state"]["notes"] for r in revisions] == [first["notes"], *ROUND_TRIP[1:-1]]
    assert revisions[0]["state"]["aliases"] == first["aliases"]
    audit = writer.get("/v1/audit", params={"record_id": record_id}, headers=auth()).json()
    updates = [e for e in reversed(audit["data"]) if e["action"] == "update"]
    assert [e["before"] for e in updates] == states
    assert [e["after"] for e in updates[:-1]] == states[1:]
    history = get_ok(writer, url)["history"]
    assert [e["summary"] for e in history if e["date"] == "2025-06-02"] == summaries
    events = walk(writer, "/v1/events", country="FI", limit=10, **{"from": "2025-06-02"})
    assert [e["summary"] for e in events if e["subject"]["id"] == record_id] == summaries
    assert grown(before, row_counts(seeded_fresh_engine)) == with_fts(
        backend,
        {
            "record_revision": patches,
            "audit_entry": patches,
            # Each status change, and the status the crossing had before the first one.
            "event": changes + 1,
            "event_country": changes + 1,
            # Each event's citation: the patch's quote (the crossing cites it already).
            "citation": changes + 1,
            "search_document": changes + 1,
            "curated_record": changes + 1,
            # A status period also ends where what the status rests on changes (its basis,
            # event, start or newest report), not only the status: the changes leave one
            # span more than the status alone would.
            "status_period": 1,
        },
    )


NUL = "before\x00after"


def nul_writes() -> list[tuple[str, str, str, dict[str, Any]]]:
    """(method, url, field, body): a write otherwise accepted, with NUL in one text field."""
    source, crossing = source_body(0, "x"), crossing_body(0, "x")
    restriction, fortification = restriction_body(0, "x"), fortification_body(0, "x")
    narva = {"status": "closed", "keep": ["notes"], "citations": cite(NARVA_CLOSURE)}
    writes = [
        *(("POST", "/v1/sources", f, source | {f: NUL}) for f in ("title", "publisher", "text")),
        ("POST", "/v1/sources", "published_note", source | {"published_note": NUL}),
        *(
            ("POST", "/v1/crossings", f, crossing | {f: NUL})
            for f in ("name", "counterpart", "notes", "status_since_note")
        ),
        ("POST", "/v1/crossings", "aliases", crossing | {"aliases": ["Vaalimaa", NUL]}),
        ("POST", "/v1/restrictions", "summary", restriction | {"summary": NUL}),
        ("POST", "/v1/restrictions", "since_note", restriction | {"since_note": NUL}),
        ("POST", "/v1/fortifications", "summary", fortification | {"summary": NUL}),
        ("POST", "/v1/fortifications", "completion_note", fortification | {"completion_note": NUL}),
        ("PATCH", "/v1/crossings/narva", "notes", narva | {"notes": NUL}),
        ("PATCH", "/v1/crossings/narva", "event_summary", narva | {"event_summary": NUL}),
        (
            "PATCH",
            "/v1/crossings/narva",
            "citations.0.text",
            {"status": "closed", "keep": ["notes"], "citations": cite(NARVA_CLOSURE + NUL)},
        ),
    ]
    return writes


SCHEMAS = {
    ("POST", "/v1/sources"): "SourceIn",
    ("POST", "/v1/crossings"): "CrossingCreate",
    ("POST", "/v1/restrictions"): "RestrictionCreate",
    ("POST", "/v1/fortifications"): "FortificationCreate",
    ("PATCH", "/v1/crossings/narva"): "CrossingPatch",
}


def documented_pattern(schema: str, field: str) -> str | None:
    """The pattern the OpenAPI schema documents for a field of a request body."""
    schemas = openapi_schema()["components"]["schemas"]
    name, _, rest = field.partition(".")
    prop = schemas[schema]["properties"][name]
    if name == "citations":
        return documented_pattern("CitationIn", rest.partition(".")[2])
    for choice in [prop, *prop.get("anyOf", [])]:
        target = choice.get("items", choice)
        if "pattern" in target:
            return str(target["pattern"])
    return None


def test_a_nul_byte_is_refused_as_documented_and_nothing_is_written(
    writer: TestClient, seeded_fresh_engine: Engine
) -> None:
    """PostgreSQL text can't hold NUL, so every text field refuses it, as the request schemas
    say (a pattern excluding U+0000): a 422 naming the field, on either backend, and no row of
    any table changes."""
    before = row_counts(seeded_fresh_engine)
    narva = get_ok(writer, "/v1/crossings/narva")
    for method, url, field, body in nul_writes():
        pattern = documented_pattern(SCHEMAS[(method, url)], field)
        assert pattern is not None and pattern.startswith("^[^\\u0000]*"), field
        assert re.search(pattern, "a\x00b") is None and re.search(pattern, "a b"), field
        if_match = {"If-Match": "*"} if method == "PATCH" else {}
        response = writer.request(method, url, headers=auth(**if_match), json=body)
        problem = assert_problem(response, 422, field)
        assert "NUL" in problem["detail"], problem
    assert grown(before, row_counts(seeded_fresh_engine)) == {}
    assert get_ok(writer, "/v1/crossings/narva") == narva
    assert writer.get("/v1/audit", headers=auth()).json()["data"] == []
