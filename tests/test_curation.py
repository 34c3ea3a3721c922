"""Curators record changes: every write is cited, nothing of the past is lost, and `as_of`
still answers it."""

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.routes.checks import assert_all_cited, assert_cited, assert_problem, get_ok, ids
from tests.writes import (
    ARTICLE_000,
    FINLAND_CLOSED,
    FINNS_BUILDING,
    NARVA_CLOSURE,
    NARVA_QUEUES,
    auth,
    cite,
    close_narva,
    new_crossing,
    patch,
)


def audit_of(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/audit", params=params, headers=auth())
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["data"]
    return entries


def statuses(client: TestClient, **params: Any) -> dict[str, str]:
    return {c["id"]: c["status"] for c in get_ok(client, "/v1/crossings", **params)["data"]}


# --- status changes become dated events -----------------------------------------------------


def test_a_closure_is_served_at_once_with_its_dated_event_and_citation(writer: TestClient) -> None:
    response = patch(writer, "/v1/crossings/narva", close_narva(effective="2025-06-02"))

    assert response.status_code == 200, response.text
    narva = get_ok(writer, "/v1/crossings/narva")
    assert narva == response.json()
    assert (narva["status"], narva["status_since"]) == ("closed", "2025-06-02")
    (event,) = [e for e in narva["history"] if e["date"] == "2025-06-02"]
    assert (event["status_before"], event["status_after"]) == ("open", "closed")
    assert event["kind"] == "closure"
    assert event["subject"] == {"type": "crossing", "id": "narva"}
    assert event["countries"] == ["EE"]
    assert [p["quote"] for p in event["provenance"]] == [NARVA_CLOSURE]
    assert_all_cited(narva)
    assert NARVA_CLOSURE in [p["quote"] for p in narva["provenance"]]
    assert statuses(writer, country="EE")["narva"] == "closed"
    timeline = get_ok(writer, "/v1/events", country="EE", **{"from": "2025-06"})["data"]
    assert event["id"] in ids(timeline)


def test_as_of_still_answers_the_past_after_a_change(writer: TestClient) -> None:
    # Terehova: open, then restricted from some day of 2025 (the pedestrian ban).
    dates = ["2024-06", "2025-03", "2025-12"]
    before = {d: statuses(writer, country="LV", as_of=d)["terehova"] for d in dates}

    response = patch(
        writer,
        "/v1/crossings/terehova",
        {
            "status": "closed",
            "effective": "2026-01-10",
            "notes": "Closed.",
            "citations": cite(NARVA_QUEUES),
        },
    )

    assert response.status_code == 200, response.text
    assert before == {"2024-06": "open", "2025-03": "unknown", "2025-12": "restricted"}
    assert {d: statuses(writer, country="LV", as_of=d)["terehova"] for d in dates} == before
    assert statuses(writer, country="LV", as_of="2026-01-09")["terehova"] == "restricted"
    assert statuses(writer, country="LV", as_of="2026-01-10")["terehova"] == "closed"
    closed = get_ok(writer, "/v1/crossings", country="LV", status="closed", as_of="2026-02")
    assert ("terehova", "2026-01-10") in [(c["id"], c["status_since"]) for c in closed["data"]]


def test_before_a_first_change_its_status_before_holds(writer: TestClient) -> None:
    # As for the seed's events: a closure implies the crossing was open before it.
    response = patch(writer, "/v1/crossings/narva", close_narva(effective="2025-06-02"))

    assert response.status_code == 200, response.text
    assert statuses(writer, country="EE", as_of="2025-06-01")["narva"] == "open"
    assert statuses(writer, country="EE", as_of="2025-06-02")["narva"] == "closed"


def test_a_reopening_after_a_closure_keeps_both_in_the_history(writer: TestClient) -> None:
    patch(writer, "/v1/crossings/narva", close_narva(effective="2025-06-02"))

    response = patch(
        writer,
        "/v1/crossings/narva",
        {
            "status": "open",
            "effective": "2025-09",
            "event_summary": "Narva reopens",
            "notes": "Open again.",
            "citations": cite(NARVA_QUEUES),
        },
        "bob",
    )

    assert response.status_code == 200, response.text
    history = [(e["date"], e["status_after"], e["summary"]) for e in response.json()["history"]]
    assert history[-2:] == [
        ("2025-06-02", "closed", "Narva: open → closed"),
        ("2025-09", "open", "Narva reopens"),
    ]
    assert statuses(writer, country="EE", as_of="2025-07")["narva"] == "closed"
    assert statuses(writer, country="EE", as_of="2025-09")["narva"] == "open"


def test_the_effective_date_defaults_to_today(writer: TestClient) -> None:
    response = patch(writer, "/v1/crossings/narva", close_narva())

    assert response.status_code == 200, response.text
    today = dt.datetime.now(dt.UTC).date()
    assert response.json()["status_since"] in {
        today.isoformat(),
        (today - dt.timedelta(days=1)).isoformat(),
    }


@pytest.mark.parametrize(
    ("record", "body"),
    [
        # Vientuļi closed in 2023-12: a change can't be dated before it.
        ("vientuli", {"status": "open", "effective": "2023-06"}),
        ("narva", {"status": "closed", "effective": "2999-01-01"}),
        ("narva", {"status": "closed", "effective": "2025-13"}),
        # A date for a write that changes nothing it dates.
        ("narva", {"effective": "2025-06"}),
        # A field change can't be dated before the latest dated change either.
        ("vientuli", {"traffic": ["car"], "effective": "2023-06"}),
    ],
)
def test_an_effective_date_out_of_order_is_a_422(
    writer: TestClient, record: str, body: dict[str, Any]
) -> None:
    before = get_ok(writer, f"/v1/crossings/{record}")

    response = patch(writer, f"/v1/crossings/{record}", {**body, "citations": cite(NARVA_QUEUES)})

    assert_problem(response, 422, "effective")
    assert get_ok(writer, f"/v1/crossings/{record}") == before


def test_restriction_lifted_keeps_its_past(writer: TestClient) -> None:
    url = "/v1/restrictions/ee-full-inspection"

    response = patch(
        writer,
        url,
        {
            "status": "lifted",
            "effective": "2025-10-01",
            "summary": "Estonia no longer inspects all cargo and all passengers.",
            "citations": cite(NARVA_QUEUES),
        },
    )

    assert response.status_code == 200, response.text
    lifted = response.json()
    assert (lifted["status"], lifted["until"]) == ("lifted", "2025-10-01")
    assert lifted["history"][-1]["kind"] == "withdrawal"

    def status_on(as_of: str) -> str | None:
        found = get_ok(writer, "/v1/restrictions", country="EE", as_of=as_of)["data"]
        return next((r["status"] for r in found if r["id"] == "ee-full-inspection"), None)

    assert status_on("2025-09") == "in_force"
    assert status_on("2025-10") == "lifted"
    assert status_on("2024-07") is None  # it did not exist yet


def test_fortification_figures_and_completion(writer: TestClient) -> None:
    response = patch(
        writer,
        "/v1/fortifications/fi-border-fence",
        {
            "status": "completed",
            "effective": "2026-01",
            "length_km": 200.5,
            "keep": ["summary"],
            "citations": cite(FINNS_BUILDING, ARTICLE_000),
        },
    )

    assert response.status_code == 200, response.text
    fence = get_ok(writer, "/v1/fortifications/fi-border-fence")
    assert (fence["status"], fence["completion"], fence["length_km"]) == (
        "completed",
        "2026-01",
        200.5,
    )
    assert fence["history"][-1]["kind"] == "completion"
    listed = get_ok(writer, "/v1/fortifications", status="completed")["data"]
    assert "fi-border-fence" in ids(listed)


# --- other changes keep the previous state --------------------------------------------------


def test_the_previous_state_is_kept_as_a_revision_with_its_provenance(writer: TestClient) -> None:
    (listed,) = [c for c in get_ok(writer, "/v1/crossings")["data"] if c["id"] == "narva"]

    first = patch(
        writer,
        "/v1/crossings/narva",
        {"notes": "Queues of several hours.", "citations": cite(NARVA_QUEUES)},
    )
    second = patch(writer, "/v1/crossings/narva", close_narva(), "bob")

    assert first.status_code == second.status_code == 200
    revisions = get_ok(writer, "/v1/crossings/narva/revisions")["data"]
    assert [r["revision"] for r in revisions] == [1, 2]
    assert revisions[0]["state"] == listed
    assert revisions[1]["state"]["notes"] == "Queues of several hours."
    assert revisions[1]["state"]["status"] == "open"
    for revision in revisions:
        assert_cited(revision["state"]["provenance"])
    audit = audit_of(writer, record_id="narva")
    assert [e["id"] for e in reversed(audit)] == [r["audit_id"] for r in revisions]
    assert [e["curator"] for e in reversed(audit)] == ["alice", "bob"]


def test_a_record_without_changes_has_no_revisions(writer: TestClient) -> None:
    assert get_ok(writer, "/v1/crossings/storskog/revisions")["data"] == []
    assert_problem(writer.get("/v1/crossings/atlantis/revisions"), 404)


def test_new_aliases_find_the_crossing_and_old_ones_no_longer_do(writer: TestClient) -> None:
    response = patch(
        writer, "/v1/crossings/narva", {"aliases": ["Narova"], "citations": cite(NARVA_QUEUES)}
    )

    assert response.status_code == 200, response.text
    assert response.json()["aliases"] == ["Narova"]
    assert ids(get_ok(writer, "/v1/crossings", q="narova")["data"]) == ["narva"]
    search = get_ok(writer, "/v1/search", q="Narova")["data"]
    assert ("crossing", "narva") in [(hit["type"], hit["id"]) for hit in search]


def test_a_write_that_changes_nothing_is_not_recorded(writer: TestClient) -> None:
    narva = get_ok(writer, "/v1/crossings/narva")
    cited = narva["provenance"][0]

    response = patch(
        writer,
        "/v1/crossings/narva",
        {
            "status": "open",
            "notes": narva["notes"],
            "citations": [{"file": cited["source_file"], "text": cited["quote"]}],
        },
    )

    assert response.status_code == 200
    assert response.json() == narva
    assert get_ok(writer, "/v1/crossings/narva/revisions")["data"] == []
    assert audit_of(writer) == []


# --- new records ----------------------------------------------------------------------------


def test_a_new_crossing_gets_its_id_from_its_name_and_is_served_everywhere(
    writer: TestClient,
) -> None:
    response = writer.post("/v1/crossings", headers=auth(), json=new_crossing())

    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/v1/crossings/vaalimaa"
    created = get_ok(writer, "/v1/crossings/vaalimaa")
    assert created == response.json()
    assert created["border_id"] == "FI-RU"
    assert created["traffic"] == ["car", "truck"]
    assert [p["quote"] for p in created["provenance"]] == [FINLAND_CLOSED]
    assert_all_cited(created)
    finland = get_ok(writer, "/v1/crossings", country="FI")
    assert ids(finland["data"]) == ["vaalimaa"]
    assert ids(get_ok(writer, "/v1/crossings", q="torfyanovka")["data"]) == ["vaalimaa"]
    border = get_ok(writer, "/v1/borders/FI-RU")
    assert border["crossing_counts"]["closed"] == 1
    hits = get_ok(writer, "/v1/search", q="Vaalimaa")["data"]
    assert ("crossing", "vaalimaa") in [(hit["type"], hit["id"]) for hit in hits]


def test_the_same_crossing_twice_is_a_409(writer: TestClient) -> None:
    assert writer.post("/v1/crossings", headers=auth(), json=new_crossing()).status_code == 201
    assert_problem(writer.post("/v1/crossings", headers=auth(), json=new_crossing()), 409)
    clash = writer.post("/v1/crossings", headers=auth(), json=new_crossing(name="Narva"))
    assert_problem(clash, 409)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"country": "RU", "neighbour": "FI"}, "country"),
        ({"neighbour": "BY"}, "neighbour"),  # there is no Finland–Belarus border
        ({"name": "–"}, "name"),
    ],
)
def test_a_new_crossing_must_be_on_a_stored_border(
    writer: TestClient, change: dict[str, Any], field: str
) -> None:
    response = writer.post("/v1/crossings", headers=auth(), json=new_crossing(**change))
    assert_problem(response, 422, field)


def test_a_new_restriction_and_a_new_fortification(writer: TestClient) -> None:
    restriction = writer.post(
        "/v1/restrictions",
        headers=auth(),
        json={
            "kind": "entry",
            "summary": "Finland closes every checkpoint on the Russian border",
            "countries": ["FI"],
            "status": "in_force",
            "since": "2023",
            "citations": cite(FINLAND_CLOSED),
        },
    )
    fortification = writer.post(
        "/v1/fortifications",
        headers=auth(),
        json={
            "kind": "line",
            "summary": "Finnish fortifications along the border",
            "countries": ["FI"],
            "neighbour": "RU",
            "status": "under_construction",
            "citations": cite(FINNS_BUILDING, ARTICLE_000),
        },
    )

    assert restriction.status_code == fortification.status_code == 201
    assert restriction.json()["id"] == "finland-closes-every-checkpoint-on-the-russian-border"
    assert fortification.json()["id"] == "finnish-fortifications-along-the-border"
    assert "finnish-fortifications-along-the-border" in ids(
        get_ok(writer, "/v1/fortifications", country="FI")["data"]
    )
    in_2023 = get_ok(writer, "/v1/restrictions", country="FI", as_of="2023")["data"]
    assert restriction.json()["id"] in ids(in_2023)
    unknown = writer.post(
        "/v1/restrictions",
        headers=auth(),
        json={**restriction.json(), "countries": ["FI", "ZZ"]} | {"citations": cite("x")},
    )
    assert_problem(unknown, 422)


# --- citations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("citations", "field", "reason"),
    [
        ([], "citations", "at least 1"),
        ([{"file": "999_missing.txt", "text": "Narva"}], "citations.0.file", "no stored source"),
        (cite("Queues began in Narva"), "citations.0.text", "not found verbatim"),
        (cite("Narva"), "citations.0.text", "more than once"),
        (
            cite("waiting takes several hours. Moreover, the Estonian"),
            "citations.0.text",
            "not inside one sentence",
        ),
        (
            cite(NARVA_QUEUES) + cite("queues grew"),
            "citations.1.text",
            "not found verbatim",
        ),
    ],
)
def test_a_write_whose_quote_does_not_resolve_is_a_422_naming_it(
    writer: TestClient, citations: list[dict[str, str]], field: str, reason: str
) -> None:
    before = get_ok(writer, "/v1/crossings/narva")

    response = patch(writer, "/v1/crossings/narva", {"status": "closed", "citations": citations})

    body = assert_problem(response, 422, field)
    assert reason in body["detail"]
    assert get_ok(writer, "/v1/crossings/narva") == before


def test_a_write_without_citations_is_a_422(writer: TestClient) -> None:
    response = patch(writer, "/v1/crossings/narva", {"status": "closed"})
    assert_problem(response, 422, "citations")
    assert_problem(writer.post("/v1/crossings", headers=auth(), json={}), 422, "citations")


def test_a_quote_the_record_cites_already_is_not_cited_twice(writer: TestClient) -> None:
    before = get_ok(writer, "/v1/crossings/narva")["provenance"]

    patch(writer, "/v1/crossings/narva", close_narva(keep=["citations"]))
    again = patch(
        writer, "/v1/crossings/narva", {"notes": "Closed.", "citations": cite(NARVA_CLOSURE)}
    )

    quotes = [p["quote"] for p in again.json()["provenance"]]
    assert quotes == [p["quote"] for p in before] + [NARVA_CLOSURE]


# --- the server's own fields ----------------------------------------------------------------


@pytest.mark.parametrize(
    "field",
    ["id", "doc", "provenance", "border_id", "status_since_start", "history", "created_at"],
)
def test_a_field_the_server_owns_is_a_422_naming_it(writer: TestClient, field: str) -> None:
    patched = patch(writer, "/v1/crossings/narva", close_narva(**{field: "x"}))
    post = writer.post("/v1/crossings", headers=auth(), json=new_crossing(**{field: "x"}))

    assert_problem(patched, 422, field)
    assert_problem(post, 422, field)
    assert get_ok(writer, "/v1/crossings/narva")["status"] == "open"


@pytest.mark.parametrize("field", ["name", "status", "aliases"])
def test_a_required_field_can_be_left_out_but_not_cleared(writer: TestClient, field: str) -> None:
    response = patch(writer, "/v1/crossings/narva", close_narva(**{field: None}))
    assert_problem(response, 422, field)


def test_an_optional_field_sent_as_null_is_cleared(writer: TestClient) -> None:
    response = patch(
        writer, "/v1/crossings/narva", {"notes": None, "citations": cite(NARVA_QUEUES)}
    )
    assert response.status_code == 200, response.text
    assert get_ok(writer, "/v1/crossings/narva")["notes"] is None


def test_q_matches_a_summary_in_any_case_beyond_ascii(writer: TestClient) -> None:
    summary = "ÄÖ probe: Straße closed at ÉTAPE Ņ"
    for path, body in [
        (
            "/v1/restrictions",
            {"kind": "entry", "countries": ["FI"], "status": "in_force"},
        ),
        (
            "/v1/fortifications",
            {"kind": "line", "countries": ["FI"], "neighbour": "RU", "status": "planned"},
        ),
    ]:
        created = writer.post(
            path,
            headers=auth(),
            json={**body, "summary": summary, "citations": cite(FINLAND_CLOSED)},
        )
        assert created.status_code == 201, created.text
        for q in ("äö probe", "ÄÖ PROBE", "étape ņ", "straße"):
            found = ids(get_ok(writer, path, q=q)["data"])
            assert found == [created.json()["id"]], (path, q)


def test_a_note_on_the_new_status_keeps_the_date_the_status_implies(writer: TestClient) -> None:
    note = "Closed at midnight, local time."
    body = close_narva(effective="2025-06-02", status_since_note=note)
    changed = patch(writer, "/v1/crossings/narva", body)

    assert changed.status_code == 200, changed.text
    narva = changed.json()
    assert (narva["status"], narva["status_since"], narva["status_since_note"]) == (
        "closed",
        "2025-06-02",
        note,
    )
    assert narva["status_since_inferred"] is False
    dated = patch(
        writer,
        "/v1/crossings/narva",
        {"status": "open", "effective": "2025-07", "status_since": "2025-07-04"}
        | {"notes": "Open again.", "citations": body["citations"]},
    )
    assert dated.status_code == 200, dated.text
    assert dated.json()["status_since"] == "2025-07-04", "a date given wins over the implied one"
    assert dated.json()["status_since_note"] is None


def test_aliases_are_served_sorted_each_once_without_the_name_or_counterpart(
    writer: TestClient,
) -> None:
    body = new_crossing(aliases=["Vaalimaa", "b", "Torfyanovka", "A", "b", "Vaalimaa raja"])
    created = writer.post("/v1/crossings", headers=auth(), json=body)

    assert created.status_code == 201, created.text
    assert created.json()["aliases"] == ["A", "Vaalimaa raja", "b"]
    assert get_ok(writer, f"/v1/crossings/{created.json()['id']}")["aliases"] == [
        "A",
        "Vaalimaa raja",
        "b",
    ]


# --- border counts --------------------------------------------------------------------------


def counts_by_list(client: TestClient, border: dict[str, Any], **params: Any) -> dict[str, int]:
    """A border's crossings per status as the crossing list gives them."""
    listed = get_ok(
        client,
        "/v1/crossings",
        country=border["country"],
        neighbour=border["neighbour"],
        limit=100,
        **params,
    )["data"]
    counts: dict[str, int] = {}
    for crossing in listed:
        counts[crossing["status"]] = counts.get(crossing["status"], 0) + 1
    return counts


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {status: n for status, n in counts.items() if n}


def test_a_borders_counts_on_any_date_follow_a_change(writer: TestClient) -> None:
    dates = ["2024-06-01", "2025-06-01", "2025-06-02", "2026-01-10"]
    before = {d: get_ok(writer, "/v1/borders/EE-RU", as_of=d)["crossing_counts"] for d in dates}

    response = patch(writer, "/v1/crossings/narva", close_narva(effective="2025-06-02"))

    assert response.status_code == 200, response.text
    for on in dates:
        border = get_ok(writer, "/v1/borders/EE-RU", as_of=on)
        assert nonzero(border["crossing_counts"]) == counts_by_list(writer, border, as_of=on)
        for status, n in border["crossing_counts"].items():
            listed = get_ok(writer, "/v1/crossings", country="EE", status=status, as_of=on)
            assert listed["meta"]["total"] == n == len(listed["data"])
    after = {d: get_ok(writer, "/v1/borders/EE-RU", as_of=d)["crossing_counts"] for d in dates}
    assert after["2024-06-01"] == before["2024-06-01"]
    assert after["2025-06-02"]["closed"] == before["2025-06-02"]["closed"] + 1
    today = get_ok(writer, "/v1/borders/EE-RU")
    assert nonzero(today["crossing_counts"]) == counts_by_list(writer, today)
    country = get_ok(writer, "/v1/countries/EE", as_of="2025-06-02")
    assert country["crossing_counts"] == after["2025-06-02"]


def test_a_crossing_that_moves_leaves_its_old_borders_count(writer: TestClient) -> None:
    writer.post("/v1/crossings", headers=auth(), json=new_crossing())
    assert sum(get_ok(writer, "/v1/borders/FI-RU")["crossing_counts"].values()) == 1

    moved = {"country": "NO", "citations": cite(FINLAND_CLOSED)}
    response = patch(writer, "/v1/crossings/vaalimaa", moved)

    assert response.status_code == 200, response.text
    assert sum(get_ok(writer, "/v1/borders/FI-RU")["crossing_counts"].values()) == 0
    norway = get_ok(writer, "/v1/borders/NO-RU")
    assert nonzero(norway["crossing_counts"]) == counts_by_list(writer, norway)
