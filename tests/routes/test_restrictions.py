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

TOURIST_VISA_COUNTRIES = ["BE", "CZ", "DK", "EE", "FI", "LT", "LV", "NL", "NO", "PL"]


def restriction_ids(client: TestClient, **params: object) -> set[str]:
    return set(ids(get_ok(client, "/v1/restrictions", **params)["data"]))


def test_every_restriction_cites_its_sentences_verbatim(client: TestClient) -> None:
    restrictions = walk(client, "/v1/restrictions", limit=500)
    assert len(restrictions) == 11
    for restriction in restrictions:
        assert_cited(restriction["provenance"])
        for field in ("kind", "summary", "countries", "status", "since", "until"):
            assert field in restriction


def test_tourist_visa_stop_names_ten_countries(client: TestClient) -> None:
    restriction = get_ok(client, "/v1/restrictions/tourist-visa-stop-2022")
    assert restriction["countries"] == TOURIST_VISA_COUNTRIES
    assert (restriction["kind"], restriction["status"], restriction["since"]) == (
        "visa",
        "in_force",
        "2022",
    )
    assert [e["id"] for e in restriction["history"]] == ["tourist-visas-stopped-2022"]
    assert_all_cited(restriction)


@pytest.mark.parametrize("code", ["BE", "be", "CZ", "NL"])
def test_a_country_named_only_by_the_visa_stop_finds_it(client: TestClient, code: str) -> None:
    assert restriction_ids(client, country=code) == {"tourist-visa-stop-2022"}


def test_country_filter(client: TestClient) -> None:
    assert restriction_ids(client, country="NO") == {
        "tourist-visa-stop-2022",
        "no-russian-plated-cars-ban",
        "no-low-priority-entry-ban",
        "no-sanctions",
    }
    assert restriction_ids(client, country="RU") == set()


def test_kind_filter(client: TestClient) -> None:
    assert restriction_ids(client, kind="transit") == {
        "lt-kaliningrad-rail-goods-transit-ban",
        "lt-kaliningrad-transit-restriction",
    }
    assert restriction_ids(client, kind="vehicle", country="LT") == {"lt-russian-plated-cars-ban"}


def test_status_filter(client: TestClient) -> None:
    assert restriction_ids(client, status="planned") == {"lt-kaliningrad-transit-restriction"}
    assert restriction_ids(client, status="lifted") == set()
    in_force = get_ok(client, "/v1/restrictions", status="in_force")
    assert in_force["meta"]["total"] == 10
    assert {r["status"] for r in in_force["data"]} == {"in_force"}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("number plates", {"no-russian-plated-cars-ban", "lt-russian-plated-cars-ban"}),
        ("NUMBER Plates", {"no-russian-plated-cars-ban", "lt-russian-plated-cars-ban"}),
        ("electronic queue", {"lv-electronic-queue"}),
        ("license plates", set()),
    ],
)
def test_q_matches_words_of_the_summary_in_any_case(
    client: TestClient, q: str, expected: set[str]
) -> None:
    assert restriction_ids(client, q=q) == expected


def test_q_combines_with_country(client: TestClient) -> None:
    assert restriction_ids(client, q="Kaliningrad", country="LT") == {
        "lt-kaliningrad-rail-goods-transit-ban",
        "lt-kaliningrad-transit-restriction",
    }


def test_as_of_lists_only_what_existed_then(client: TestClient) -> None:
    assert restriction_ids(client, as_of="2021") == set()
    # Stopped "in 2022": on some day of that year, so listed once the year is over.
    assert restriction_ids(client, as_of="2022-05") == set()
    assert restriction_ids(client, as_of="2022-06") == {"lt-kaliningrad-rail-goods-transit-ban"}
    assert restriction_ids(client, as_of="2022") == {
        "tourist-visa-stop-2022",
        "lt-kaliningrad-rail-goods-transit-ban",
    }
    before = restriction_ids(client, as_of="2023-09", country="NO")
    after = restriction_ids(client, as_of="2023-10", country="NO")
    assert "no-russian-plated-cars-ban" not in before
    assert after - before == {"no-russian-plated-cars-ban"}


def test_as_of_meta_and_status(client: TestClient) -> None:
    body = get_ok(client, "/v1/restrictions", as_of="2024-08", status="in_force")
    assert body["meta"]["as_of"] == "2024-08-31"
    assert "ee-full-inspection" in ids(body["data"])
    assert body["meta"]["total"] == len(body["data"])
    assert restriction_ids(client, as_of="2024-07", kind="inspection") == set()


@pytest.mark.parametrize("limit", [1, 3, 11])
def test_paging_walks_every_restriction_once(client: TestClient, limit: int) -> None:
    restrictions = walk(client, "/v1/restrictions", limit=limit)
    assert len(set(ids(restrictions))) == 11


def test_paging_as_of(client: TestClient) -> None:
    assert len(walk(client, "/v1/restrictions", as_of="2024", limit=2)) == 5


def test_detail_history_has_provenance(client: TestClient) -> None:
    restriction = get_ok(client, "/v1/restrictions/no-russian-plated-cars-ban")
    (event,) = restriction["history"]
    assert event["id"] == "no-russian-plated-cars-banned-2023-10"
    assert event["date"] == "2023-10"
    assert_all_cited(restriction)


def test_unknown_restriction_is_a_404_problem(client: TestClient) -> None:
    assert_problem(client.get("/v1/restrictions/no-such-ban"), 404)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("country=ZZ", "country"),
        ("kind=curfew", "kind"),
        ("status=ajar", "status"),
        ("as_of=2023-00", "as_of"),
        ("as_of=last-year", "as_of"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("cursor=%%%", "cursor"),
    ],
)
def test_bad_input_is_a_422_problem_naming_the_parameter(
    client: TestClient, query: str, parameter: str
) -> None:
    assert_problem(client.get(f"/v1/restrictions?{query}"), 422, parameter)


@pytest.mark.parametrize("query", ["", "country=NO", "as_of=2024", "kind=vehicle"])
def test_statement_count_does_not_grow_with_the_page(
    uncached_client: TestClient, count_queries: Callable[[], int], query: str
) -> None:
    one = statements(uncached_client, count_queries, f"/v1/restrictions?limit=1&{query}")
    many = statements(uncached_client, count_queries, f"/v1/restrictions?limit=100&{query}")
    # A first page that holds every match needs no count: never more for the larger page.
    assert many <= one


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"country": "LT"},
        {"country": "NO", "status": "in_force"},
        {"kind": "vehicle"},
        {"country": "LV", "kind": "vehicle", "status": "in_force"},
        {"q": "russian"},
        {"country": "LT", "q": "kaliningrad"},
    ],
)
def test_total_is_the_number_of_matches_when_it_is_counted(
    client: TestClient, params: dict[str, str]
) -> None:
    matching = walk(client, "/v1/restrictions", **params, limit=500)
    assert get_ok(client, "/v1/restrictions", **params, limit=1)["meta"]["total"] == len(matching)


def test_q_takes_like_wildcards_literally(client: TestClient) -> None:
    assert restriction_ids(client, q="%") == set()
    assert restriction_ids(client, q="_") == set()


@pytest.mark.parametrize("as_of", ["2022-05", "2023-10", "2025"])
def test_as_of_pages_walk_the_list_once_whatever_their_size(
    uncached_client: TestClient, as_of: str
) -> None:
    whole = walk(uncached_client, "/v1/restrictions", as_of=as_of, limit=500)
    assert walk(uncached_client, "/v1/restrictions", as_of=as_of, limit=2) == whole
