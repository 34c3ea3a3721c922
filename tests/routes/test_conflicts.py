from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.routes.checks import assert_cited, assert_problem, ids, statements, walk

DISPUTED = {
    "baltic-defence-line-status",
    "crimea-suspension-year",
    "no-ru-length",
    "storskog-name",
}


def test_every_disagreement_is_listed(client: TestClient) -> None:
    conflicts = walk(client, "/v1/conflicts")
    assert set(ids(conflicts)) == DISPUTED


def test_each_claim_has_provenance_and_exactly_one_is_preferred_with_a_reason(
    client: TestClient,
) -> None:
    for conflict in walk(client, "/v1/conflicts"):
        assert conflict["disputed"] is True
        assert len({c["value"] for c in conflict["claims"]}) >= 2
        (preferred,) = [c for c in conflict["claims"] if c["preferred"]]
        assert conflict["preferred_value"] == preferred["value"]
        assert conflict["preferred_reason"]
        assert conflict["subject"]["type"] and conflict["subject"]["id"]
        for claim in conflict["claims"]:
            assert_cited(claim["provenance"])


def test_the_crimea_typo_loses_to_the_right_year(client: TestClient) -> None:
    crimea = next(c for c in walk(client, "/v1/conflicts") if c["id"] == "crimea-suspension-year")
    assert crimea["subject"] == {"type": "event", "id": "no-military-cooperation-suspended-2014"}
    claims = {c["value"]: c for c in crimea["claims"]}
    assert claims["2014"]["preferred"] is True
    assert claims["2024"]["preferred"] is False
    (typo,) = claims["2024"]["provenance"]
    assert "Crimea in 2024" in typo["sentence"]


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_paging_walks_every_conflict_once(client: TestClient, limit: int) -> None:
    assert set(ids(walk(client, "/v1/conflicts", limit=limit))) == DISPUTED


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("limit=0", "limit"), ("limit=501", "limit"), ("cursor=!", "cursor")],
)
def test_bad_input_is_a_422_problem_naming_the_parameter(
    client: TestClient, query: str, parameter: str
) -> None:
    assert_problem(client.get(f"/v1/conflicts?{query}"), 422, parameter)


def test_statement_count_does_not_grow_with_the_page(
    uncached_client: TestClient, count_queries: Callable[[], int]
) -> None:
    one = statements(uncached_client, count_queries, "/v1/conflicts?limit=1")
    many = statements(uncached_client, count_queries, "/v1/conflicts?limit=100")
    assert one == many
