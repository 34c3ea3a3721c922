from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.routes import borders
from tests.routes.checks import (
    assert_all_cited,
    assert_cited,
    assert_problem,
    get_ok,
    ids,
    statements,
    walk_url,
)

ALL_BORDERS = [
    "EE-RU",
    "FI-RU",
    "LT-BY",
    "LT-RU",
    "LV-BY",
    "LV-RU",
    "NO-RU",
    "PL-BY",
    "PL-RU",
]
UNCOVERED = ["LT-BY", "LV-BY"]


def test_every_border_is_listed_with_status_counts_and_facts(client: TestClient) -> None:
    body = get_ok(client, "/v1/borders")
    assert ids(body["data"]) == ALL_BORDERS
    assert body["meta"] == {"total": 9, "limit": 9, "next": None}
    for border in body["data"]:
        assert set(border["crossing_counts"]) == {"open", "closed", "restricted", "unknown"}
        assert border["id"] == f"{border['country']}-{border['neighbour']}"


def test_a_border_no_article_covers_is_listed_as_unknown_resting_on_nothing(
    client: TestClient,
) -> None:
    for border_id in UNCOVERED:
        border = get_ok(client, f"/v1/borders/{border_id}")
        assert (border["status"], border["status_basis"]) == ("unknown", "none")
        assert (border["provenance"], border["summary"], border["last_reported"]) == (
            [],
            None,
            None,
        )
        assert border["status_since"] is None and border["stale"] is True
    listed = get_ok(client, "/v1/borders", country="BY")["data"]
    assert ids(listed) == ["LT-BY", "LV-BY", "PL-BY"]


def test_every_border_cites_its_sentences_verbatim(client: TestClient) -> None:
    for border in get_ok(client, "/v1/borders")["data"]:
        if border["id"] in UNCOVERED:
            continue
        assert_cited(border["provenance"])
        for fact in border["facts"]:
            for claim in fact["claims"]:
                assert_cited(claim["provenance"])


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("by", ["LT-BY", "LV-BY", "PL-BY"]),
        ("RU", ["EE-RU", "FI-RU", "LT-RU", "LV-RU", "NO-RU", "PL-RU"]),
        ("PL", ["PL-BY", "PL-RU"]),
        ("LV", ["LV-BY", "LV-RU"]),
        ("no", ["NO-RU"]),
        ("BE", []),
    ],
)
def test_country_filter_matches_either_side(
    client: TestClient, country: str, expected: list[str]
) -> None:
    assert ids(get_ok(client, "/v1/borders", country=country)["data"]) == expected


def fact(border: dict[str, Any], topic: str) -> dict[str, Any]:
    found: dict[str, Any]
    (found,) = [f for f in border["facts"] if f["topic"] == topic]
    return found


@pytest.mark.parametrize("border_id", ["NO-RU", "no-ru"])
def test_norway_russia(client: TestClient, border_id: str) -> None:
    border = get_ok(client, f"/v1/borders/{border_id}")
    assert border["id"] == "NO-RU"
    # Russian-plated passenger cars may not enter since October 2023: restricted, by the
    # same rule as LT-RU.
    assert (border["status"], border["status_since"]) == ("restricted", "2023-10")
    assert border["crossing_counts"] == {"open": 0, "closed": 0, "restricted": 1, "unknown": 0}
    assert ids(border["crossings"]) == ["storskog"]
    assert border["disputed"] is True

    length = fact(border, "length_km")
    assert length["disputed"] is True
    assert length["unit"] == "km"
    assert [c["value"] for c in length["claims"]] == ["195.7", "197.7", "219", "197"]
    assert length["preferred_value"] == "195.7"
    assert [c["preferred"] for c in length["claims"]] == [True, False, False, False]
    assert length["preferred_reason"]
    sources = {p["source_file"] for c in length["claims"] for p in c["provenance"]}
    assert len(sources) == 4, "each of the four articles gives its own length"
    assert fact(border, "length_land_km")["preferred_value"] == "43"
    assert fact(border, "length_river_km")["preferred_value"] == "152.8"
    assert fact(border, "length_sea_km")["preferred_value"] == "23.3"
    assert_all_cited(border)


def test_a_border_is_disputed_only_where_claims_disagree(client: TestClient) -> None:
    disputed = {b["id"] for b in get_ok(client, "/v1/borders")["data"] if b["disputed"]}
    assert disputed == {"NO-RU"}


def test_finland_russia_is_closed_with_its_history(client: TestClient) -> None:
    border = get_ok(client, "/v1/borders/FI-RU")
    assert (border["status"], border["status_since"]) == ("closed", "2023")
    assert border["crossings"] == []
    assert border["crossing_counts"] == {"open": 0, "closed": 0, "restricted": 0, "unknown": 0}
    (closure,) = border["history"]
    assert closure["id"] == "fi-ru-checkpoints-closed-2023"
    assert closure["status_after"] == "closed"
    assert fact(border, "length_km")["preferred_value"] == "1300"
    assert_all_cited(border)


def test_latvia_russia_counts_crossings_by_status(client: TestClient) -> None:
    border = get_ok(client, "/v1/borders/LV-RU")
    assert border["status"] == "restricted"
    assert border["crossing_counts"] == {"open": 0, "closed": 2, "restricted": 2, "unknown": 0}
    assert ids(border["crossings"]) == ["grebneva", "pededze", "terehova", "vientuli"]
    assert border["disputed"] is False


def test_unknown_border_is_a_404_problem(client: TestClient) -> None:
    assert_problem(client.get("/v1/borders/SE-RU"), 404)
    assert_problem(client.get("/v1/borders/RU-BY"), 404)
    assert_problem(client.get("/v1/borders/NO-BY"), 404)


def test_unknown_country_is_a_422_problem(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/borders?country=SE"), 422, "country")
    assert "accepted" in body["errors"][0]


def test_statement_count_does_not_grow_with_the_number_of_borders(
    uncached_client: TestClient, count_queries: Callable[[], int]
) -> None:
    one = statements(uncached_client, count_queries, "/v1/borders?country=NO")
    six = statements(uncached_client, count_queries, "/v1/borders?country=RU")
    assert one == six


def test_the_crossings_of_a_border_say_how_many_and_where_to_page(
    uncached_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "/v1/crossings?country=EE&neighbour=RU"
    estonia = get_ok(uncached_client, "/v1/borders/EE-RU")
    assert estonia["lists"]["crossings"] == {"total": 3, "url": url}
    assert ids(estonia["crossings"]) == ids(walk_url(uncached_client, url))
    monkeypatch.setattr(borders, "EMBEDDED_LIMIT", 1)
    assert ids(get_ok(uncached_client, "/v1/borders/EE-RU")["crossings"]) == ["koidula"]
