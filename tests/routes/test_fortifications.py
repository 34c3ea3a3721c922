from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.routes.checks import (
    assert_all_cited,
    assert_cited,
    assert_problem,
    get_ok,
    ids,
    statements,
    walk,
)


def fortification_ids(client: TestClient, **params: object) -> set[str]:
    return set(ids(get_ok(client, "/v1/fortifications", **params)["data"]))


def test_every_fortification_cites_its_sentences_verbatim(client: TestClient) -> None:
    fortifications = walk(client, "/v1/fortifications", limit=500)
    assert len(fortifications) == 12
    for fortification in fortifications:
        assert_cited(fortification["provenance"])
        for field in ("country", "kind", "summary", "status", "length_km", "budget_eur"):
            assert field in fortification
        assert "count" in fortification
        assert "completion" in fortification


def test_the_rejected_norwegian_fence_is_listed(client: TestClient) -> None:
    (fence,) = get_ok(client, "/v1/fortifications", status="rejected")["data"]
    assert fence["id"] == "no-border-fence"
    assert (fence["country"], fence["kind"], fence["status"]) == ("NO", "fence", "rejected")
    assert "no-border-fence" in fortification_ids(client, country="NO")


def test_figures(client: TestClient) -> None:
    by_id = {f["id"]: f for f in walk(client, "/v1/fortifications")}
    assert by_id["lv-border-fence"]["length_km"] == 280
    assert by_id["lv-border-fence"]["completion"] == "2025-12"
    assert by_id["lv-eastern-border-reinforcement"]["budget_eur"] == 45_000_000
    assert by_id["ee-concrete-bunkers"]["count"] == 600
    assert by_id["fi-border-fence"]["completion"] == "2026"


def test_a_joint_project_has_no_single_country(client: TestClient) -> None:
    line = get_ok(client, "/v1/fortifications/baltic-defence-line")
    assert line["country"] is None
    assert line["countries"] == ["EE", "LT", "LV"]
    for code in ("ee", "LV", "lt"):
        assert "baltic-defence-line" in fortification_ids(client, country=code)


def test_country_filter(client: TestClient) -> None:
    assert fortification_ids(client, country="LV") == {
        "baltic-defence-line",
        "lv-border-fence",
        "lv-eastern-border-reinforcement",
    }
    assert fortification_ids(client, country="BY") == {"pl-eastern-border-minefield"}
    assert len(fortification_ids(client, country="RU")) == 11
    assert fortification_ids(client, country="DK") == set()


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (
            "minefield",
            {"fi-border-minefield", "lt-border-minefields", "pl-eastern-border-minefield"},
        ),
        ("bunkers", {"ee-concrete-bunkers"}),
        ("wall", set()),
    ],
)
def test_kind_filter(client: TestClient, kind: str, expected: set[str]) -> None:
    assert fortification_ids(client, kind=kind) == expected


def test_status_filter(client: TestClient) -> None:
    assert fortification_ids(client, status="completed") == {"lv-border-fence"}
    assert fortification_ids(client, status="under_construction", country="NO") == {
        "no-border-surveillance-upgrade",
        "no-sectional-fence",
    }


def test_q_matches_the_summary_in_any_case(client: TestClient) -> None:
    assert fortification_ids(client, q="FENCE", country="NO") == {
        "no-border-fence",
        "no-sectional-fence",
    }
    assert fortification_ids(client, q="bunkers") == {"ee-concrete-bunkers"}
    assert fortification_ids(client, q="Suwalki") == {
        "lt-anti-tank-barriers",
        "lt-border-minefields",
    }
    assert fortification_ids(client, q="moat") == set()


@pytest.mark.parametrize("limit", [1, 4, 11])
def test_paging_walks_every_fortification_once(client: TestClient, limit: int) -> None:
    assert len(set(ids(walk(client, "/v1/fortifications", limit=limit)))) == 12


def test_detail_has_history_and_its_status_fact(client: TestClient) -> None:
    fence = get_ok(client, "/v1/fortifications/no-border-fence")
    assert [e["id"] for e in fence["history"]] == [
        "no-border-fence-proposed-2024",
        "no-border-fence-rejected-2024",
    ]
    status = next(f for f in fence["facts"] if f["id"] == "no-border-fence-status")
    # The fence local media reported on some sections is another object, not a claim about
    # this one.
    assert status["disputed"] is False
    assert [c["value"] for c in status["claims"]] == ["rejected"]
    assert_all_cited(fence)


def test_unknown_fortification_is_a_404_problem(client: TestClient) -> None:
    assert_problem(client.get("/v1/fortifications/great-wall"), 404)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("country=SE", "country"),
        ("kind=moat", "kind"),
        ("status=ajar", "status"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("cursor=bm9wZQ==", "cursor"),
    ],
)
def test_bad_input_is_a_422_problem_naming_the_parameter(
    client: TestClient, query: str, parameter: str
) -> None:
    assert_problem(client.get(f"/v1/fortifications?{query}"), 422, parameter)


@pytest.mark.parametrize("query", ["", "country=LV", "kind=minefield"])
def test_statement_count_does_not_grow_with_the_page(
    uncached_client: TestClient, count_queries: Callable[[], int], query: str
) -> None:
    one = statements(uncached_client, count_queries, f"/v1/fortifications?limit=1&{query}")
    many = statements(uncached_client, count_queries, f"/v1/fortifications?limit=100&{query}")
    # A first page that holds every match needs no count: never more for the larger page.
    assert many <= one
