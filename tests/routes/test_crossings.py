import datetime as dt
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from app.routes.cursors import encode_cursor, list_key
from tests.routes.checks import (
    assert_all_cited,
    assert_cited,
    assert_problem,
    get_ok,
    ids,
    statements,
    walk,
)

ALL_CROSSINGS = {
    "bezledy",
    "grebneva",
    "grzechotki",
    "koidula",
    "kybartai",
    "luhamaa",
    "narva",
    "panemune",
    "pededze",
    "storskog",
    "terehova",
    "vientuli",
}


def crossing_ids(client: TestClient, **params: object) -> set[str]:
    return set(ids(get_ok(client, "/v1/crossings", **params)["data"]))


def test_latvia_crossings_have_provenance(client: TestClient) -> None:
    body = get_ok(client, "/v1/crossings", country="LV")
    assert {c["name"] for c in body["data"]} == {"Grebņeva", "Pededze", "Terehova", "Vientuļi"}
    for crossing in body["data"]:
        assert crossing["country"] == "LV"
        assert crossing["neighbour"] == "RU"
        assert_cited(crossing["provenance"])


def test_the_list_has_every_crossing_with_the_contract_fields(client: TestClient) -> None:
    body = get_ok(client, "/v1/crossings")
    assert set(ids(body["data"])) == ALL_CROSSINGS
    assert body["meta"]["total"] == len(ALL_CROSSINGS)
    assert body["meta"]["limit"] == 100
    assert body["meta"]["next"] is None
    storskog = next(c for c in body["data"] if c["id"] == "storskog")
    assert storskog["name"] == "Storskog"
    assert "Sturskug" in storskog["aliases"]
    assert (storskog["country"], storskog["neighbour"], storskog["status"]) == (
        "NO",
        "RU",
        "restricted",
    )
    for field in ("traffic", "status_since", "provenance"):
        assert field in storskog


def test_every_crossing_cites_its_sentences_verbatim(client: TestClient) -> None:
    crossings = walk(client, "/v1/crossings", limit=500)
    assert len(crossings) == len(ALL_CROSSINGS)
    for crossing in crossings:
        assert_cited(crossing["provenance"])


@pytest.mark.parametrize("code", ["LV", "lv", "Lv", " lv "])
def test_country_is_case_insensitive(client: TestClient, code: str) -> None:
    assert crossing_ids(client, country=code) == {"grebneva", "pededze", "terehova", "vientuli"}


def test_russia_lists_every_crossing_with_russia(client: TestClient) -> None:
    crossings = get_ok(client, "/v1/crossings", country="RU")["data"]
    assert set(ids(crossings)) == ALL_CROSSINGS
    assert {c["neighbour"] for c in crossings} == {"RU"}


def test_country_matches_the_nato_side(client: TestClient) -> None:
    assert crossing_ids(client, country="NO") == {"storskog"}
    assert crossing_ids(client, country="PL") == {"bezledy", "grzechotki"}


def test_neighbour_filter(client: TestClient) -> None:
    assert crossing_ids(client, neighbour="ru") == ALL_CROSSINGS
    assert crossing_ids(client, neighbour="BY") == set()
    assert crossing_ids(client, country="EE", neighbour="RU") == {"narva", "luhamaa", "koidula"}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("closed", {"pededze", "vientuli"}),
        ("restricted", {"grebneva", "panemune", "storskog", "terehova"}),
        ("unknown", set()),
    ],
)
def test_status_filter(client: TestClient, status: str, expected: set[str]) -> None:
    crossings = get_ok(client, "/v1/crossings", status=status)["data"]
    assert set(ids(crossings)) == expected
    assert all(c["status"] == status for c in crossings)


def test_open_is_everything_neither_closed_nor_restricted(client: TestClient) -> None:
    assert crossing_ids(client, status="open") == ALL_CROSSINGS - {
        "pededze",
        "vientuli",
        "grebneva",
        "panemune",
        "storskog",
        "terehova",
    }


@pytest.mark.parametrize(
    ("traffic", "expected"),
    [
        ("pedestrian", {"panemune"}),
        # Only what a quote names: an "automobile" checkpoint takes cars; "vehicles" and a bus
        # route across a border with two checkpoints name no mode of one checkpoint.
        ("car", {"bezledy", "grebneva", "grzechotki", "kybartai", "terehova"}),
        ("truck", {"kybartai"}),
        ("bus", set()),
        ("rail", set()),
    ],
)
def test_traffic_filter(client: TestClient, traffic: str, expected: set[str]) -> None:
    crossings = get_ok(client, "/v1/crossings", traffic=traffic)["data"]
    assert set(ids(crossings)) == expected
    assert all(traffic in c["traffic"] for c in crossings)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("Sturskug", "storskog"),
        ("storskog", "storskog"),
        ("Storskog", "storskog"),
        ("STORSKOG", "storskog"),
        ("Borisoglebsk", "storskog"),
        ("Grebneva", "grebneva"),
        ("Grebņeva", "grebneva"),
        ("grebnevo", "grebneva"),
        ("Terekhovo-Burachki", "terehova"),
        ("Terekhovo – Burachki", "terehova"),
        ("terekhovo burachki", "terehova"),
        ("Vientuli", "vientuli"),
        ("Panemune", "panemune"),
        ("Kibartai", "kybartai"),
        ("Grzekhotki", "grzechotki"),
    ],
)
def test_q_matches_name_and_aliases_ignoring_case_diacritics_and_dashes(
    client: TestClient, q: str, expected: str
) -> None:
    body = get_ok(client, "/v1/crossings", q=q)
    assert ids(body["data"]) == [expected]
    assert body["meta"]["total"] == 1


def test_q_with_no_match_is_an_empty_list(client: TestClient) -> None:
    body = get_ok(client, "/v1/crossings", q="Kirkenes")
    assert body["data"] == []
    assert body["meta"]["total"] == 0


def test_filters_combine(client: TestClient) -> None:
    assert crossing_ids(client, country="LV", status="restricted", traffic="car") == {
        "grebneva",
        "terehova",
    }
    assert crossing_ids(client, country="LT", q="Sovetsk") == {"panemune"}
    assert crossing_ids(client, country="NO", q="Grebneva") == set()


def statuses_as_of(client: TestClient, as_of: str) -> dict[str, str]:
    body = get_ok(client, "/v1/crossings", country="LV", as_of=as_of)
    return {c["id"]: c["status"] for c in body["data"]}


def bases_as_of(client: TestClient, as_of: str) -> dict[str, tuple[str, str]]:
    body = get_ok(client, "/v1/crossings", country="LV", as_of=as_of)
    return {c["id"]: (c["status"], c["status_basis"]) for c in body["data"]}


# Closed "from the end of 2023", stored as 2023-12: on some day of December 2023.
@pytest.mark.parametrize(
    ("as_of", "answer"),
    [
        ("0001", ("unknown", "none")),
        ("2022", ("unknown", "none")),
        ("2023-10-31", ("unknown", "none")),
        ("2023-11-01", ("open", "implied")),
        ("2023-11", ("open", "implied")),
        ("2023-11-30", ("open", "implied")),
        ("2023-12-01", ("unknown", "none")),
        ("2023-12-30", ("unknown", "none")),
        ("2023-12", ("closed", "reported")),
        ("2023", ("closed", "reported")),
        ("2024", ("closed", "reported")),
        ("2025-06-15", ("closed", "reported")),
    ],
)
def test_as_of_answers_from_the_dated_closure_of_vientuli_and_pededze(
    client: TestClient, as_of: str, answer: tuple[str, str]
) -> None:
    found = bases_as_of(client, as_of)
    assert found["vientuli"] == answer
    assert found["pededze"] == answer


def test_as_of_before_the_pedestrian_ban_gives_open_then_restricted(client: TestClient) -> None:
    assert statuses_as_of(client, "2024-12")["terehova"] == "open"
    assert statuses_as_of(client, "2025")["terehova"] == "restricted"


def test_status_since_as_of_is_when_that_status_began(client: TestClient) -> None:
    def vientuli(as_of: str) -> dict[str, object]:
        body = get_ok(client, "/v1/crossings", q="Vientuli", as_of=as_of)
        (crossing,) = body["data"]
        return dict(crossing)

    before = vientuli("2023-11")
    assert (before["status"], before["status_since"]) == ("open", None)
    after = vientuli("2024")
    assert (after["status"], after["status_since"], after["status_since_inferred"]) == (
        "closed",
        "2023-12",
        True,
    )


def test_as_of_is_echoed_in_meta_as_the_last_day_of_the_period(client: TestClient) -> None:
    assert get_ok(client, "/v1/crossings", as_of="2023-11")["meta"]["as_of"] == "2023-11-30"
    assert get_ok(client, "/v1/crossings", as_of="2024")["meta"]["as_of"] == "2024-12-31"
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert get_ok(client, "/v1/crossings")["meta"]["as_of"] == today


def test_status_filter_applies_to_the_status_as_of(client: TestClient) -> None:
    assert crossing_ids(client, status="closed", as_of="2023-11") == set()
    assert crossing_ids(client, status="closed", as_of="2024") == {"pededze", "vientuli"}
    # Open is implied just before a dated change, and nothing is known earlier.
    body = get_ok(client, "/v1/crossings", country="LV", status="open", as_of="2023-11")
    assert set(ids(body["data"])) == {"pededze", "vientuli"}
    assert body["meta"]["total"] == 2
    body = get_ok(client, "/v1/crossings", country="LV", status="unknown", as_of="2023-11")
    assert set(ids(body["data"])) == {"grebneva", "terehova"}


def test_records_as_of_keep_their_provenance(client: TestClient) -> None:
    for crossing in walk(client, "/v1/crossings", as_of="2023-11", limit=500):
        assert_cited(crossing["provenance"])


@pytest.mark.parametrize("limit", [1, 5, 11, 12, 500])
def test_paging_walks_every_crossing_once(client: TestClient, limit: int) -> None:
    crossings = walk(client, "/v1/crossings", limit=limit)
    assert sorted(ids(crossings)) == sorted(ALL_CROSSINGS)
    assert ids(crossings) == sorted(ids(crossings))


def test_paging_with_filters_and_as_of(client: TestClient) -> None:
    assert set(ids(walk(client, "/v1/crossings", country="RU", limit=5))) == ALL_CROSSINGS
    walked = walk(client, "/v1/crossings", as_of="2024", status="closed", limit=1)
    assert ids(walked) == ["pededze", "vientuli"]
    assert len(walk(client, "/v1/crossings", as_of="2024", limit=5)) == len(ALL_CROSSINGS)


def test_first_page_points_to_the_second(client: TestClient) -> None:
    first = get_ok(client, "/v1/crossings", limit=5)
    assert len(first["data"]) == 5
    assert (first["meta"]["total"], first["meta"]["limit"]) == (12, 5)
    second = get_ok(client, "/v1/crossings", limit=5, cursor=first["meta"]["next"])
    assert not set(ids(first["data"])) & set(ids(second["data"]))


def test_finland_closed_everything_and_the_answer_says_so(client: TestClient) -> None:
    body = get_ok(client, "/v1/crossings", country="fi")
    assert body["data"] == []
    assert body["meta"]["total"] == 0
    assert body["meta"]["note"]
    (border,) = body["meta"]["border_statuses"]
    assert border["border_id"] == "FI-RU"
    assert border["status"] == "closed"
    assert border["status_since"] == "2023"
    assert_cited(border["provenance"])
    assert any("closed all checkpoints" in p["sentence"] for p in border["provenance"])


@pytest.mark.parametrize(
    ("as_of", "status"), [("2022", "open"), ("2023", "closed"), ("2025", "closed")]
)
def test_finlands_border_status_follows_as_of(client: TestClient, as_of: str, status: str) -> None:
    body = get_ok(client, "/v1/crossings", country="FI", as_of=as_of)
    assert body["data"] == []
    (border,) = body["meta"]["border_statuses"]
    assert (border["border_id"], border["status"]) == ("FI-RU", status)
    assert_cited(border["provenance"])


def test_asking_finland_for_closed_crossings_still_says_the_border_is_closed(
    client: TestClient,
) -> None:
    closed = get_ok(client, "/v1/crossings", country="FI", status="closed")
    assert closed["data"] == []
    assert [b["border_id"] for b in closed["meta"]["border_statuses"]] == ["FI-RU"]
    assert closed["meta"]["note"]
    opened = get_ok(client, "/v1/crossings", country="FI", status="open")
    assert opened["meta"]["border_statuses"] == []
    before = get_ok(client, "/v1/crossings", country="FI", status="open", as_of="2022")
    assert [b["border_id"] for b in before["meta"]["border_statuses"]] == ["FI-RU"]


def test_border_statuses_cover_unnamed_borders_only(client: TestClient) -> None:
    russia = get_ok(client, "/v1/crossings", country="RU")["meta"]
    assert [b["border_id"] for b in russia["border_statuses"]] == ["FI-RU"]
    latvia = get_ok(client, "/v1/crossings", country="LV")["meta"]
    assert latvia["border_statuses"] == []
    assert latvia["note"] is None


def test_detail_has_history_with_provenance(client: TestClient) -> None:
    crossing = get_ok(client, "/v1/crossings/vientuli")
    assert crossing["name"] == "Vientuļi"
    assert crossing["status"] == "closed"
    assert crossing["status_since"] == "2023-12"
    (closure,) = crossing["history"]
    assert closure["id"] == "lv-vientuli-closed-2023"
    assert closure["date"] == "2023-12"
    assert (closure["status_before"], closure["status_after"]) == ("open", "closed")
    assert closure["subject"] == {"type": "crossing", "id": "vientuli"}
    assert_cited(closure["provenance"])
    assert_all_cited(crossing)


def test_detail_has_the_facts_about_the_crossing(client: TestClient) -> None:
    crossing = get_ok(client, "/v1/crossings/storskog")
    facts = {f["id"]: f for f in crossing["facts"]}
    assert facts["storskog-name"]["disputed"] is True
    assert facts["storskog-name"]["preferred_value"] == "Storskog"
    assert facts["storskog-travellers-2025"]["preferred_value"] == "51000"
    assert [e["id"] for e in crossing["history"]] == [
        "no-storskog-kept-open-2023",
        "no-storskog-restricted-2023-10",
    ]
    assert_all_cited(crossing)


def test_detail_matches_the_list_record(client: TestClient) -> None:
    listed = get_ok(client, "/v1/crossings", q="Grebneva")["data"][0]
    detail = get_ok(client, "/v1/crossings/grebneva")
    assert {k: detail[k] for k in listed} == listed


def test_unknown_crossing_is_a_404_problem(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/crossings/atlantis"), 404)
    assert "atlantis" in body["detail"]


def test_unknown_country_names_the_parameter_and_lists_accepted_codes(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/crossings?country=XX"), 422, "country")
    (error,) = body["errors"]
    assert error["accepted"] == [
        "BE",
        "BY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "LT",
        "LV",
        "NL",
        "NO",
        "PL",
        "RU",
    ]
    assert "LV (Latvia)" in body["detail"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("neighbour=XX", "neighbour"),
        ("country=", "country"),
        ("country=Latvija", "country"),
        ("status=ajar", "status"),
        ("traffic=plane", "traffic"),
        ("as_of=2023-13", "as_of"),
        ("as_of=2023-02-30", "as_of"),
        ("as_of=yesterday", "as_of"),
        ("as_of=23-11", "as_of"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=-1", "limit"),
        ("limit=ten", "limit"),
        ("cursor=not%20a%20cursor", "cursor"),
        ("cursor=e30=", "cursor"),
        ("cursor=%7B%7D", "cursor"),
        ("q=" + "x" * 201, "q"),
        ("q=--", "q"),
        ("q=%20", "q"),
    ],
)
def test_bad_input_is_a_422_problem_naming_the_parameter(
    client: TestClient, query: str, parameter: str
) -> None:
    assert_problem(client.get(f"/v1/crossings?{query}"), 422, parameter)


@pytest.mark.parametrize(
    "query", ["", "country=RU", "as_of=2023-11", "as_of=2024&status=closed", "q=Grebneva"]
)
def test_statement_count_does_not_grow_with_the_page(
    uncached_client: TestClient, count_queries: Callable[[], int], query: str
) -> None:
    one = statements(uncached_client, count_queries, f"/v1/crossings?limit=1&{query}")
    many = statements(uncached_client, count_queries, f"/v1/crossings?limit=100&{query}")
    # A first page that holds every match needs no count: never more for the larger page.
    assert many <= one


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"country": "LV"},
        {"country": "RU"},
        {"country": "LV", "status": "closed"},
        {"country": "RU", "status": "open"},
        {"neighbour": "RU", "status": "restricted"},
        {"traffic": "car"},
        {"country": "PL", "traffic": "car"},
        {"status": "open", "traffic": "car"},
        {"country": "EE", "neighbour": "RU", "status": "open", "traffic": "car"},
        {"q": "grebn"},
        {"country": "LV", "q": "e"},
    ],
)
def test_total_is_the_number_of_matches_when_it_is_counted(
    client: TestClient, params: dict[str, str]
) -> None:
    """limit=1 leaves matches off the first page, so meta.total comes from the tallies (or, for
    `q`, a count), not from the page itself."""
    matching = walk(client, "/v1/crossings", **params, limit=500)
    first = get_ok(client, "/v1/crossings", **params, limit=1)
    assert first["meta"]["total"] == len(matching)
    if len(matching) > 1:
        assert first["meta"]["next"] is not None


def test_an_unknown_parameter_is_a_422_naming_it(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/crossings?contry=LV"), 422, "contry")
    assert "contry" in body["detail"]


@pytest.mark.parametrize("as_of", ["2019", "2023-11", "2024"])
@pytest.mark.parametrize("status", ["open", "closed", "restricted", "unknown"])
def test_as_of_pages_walk_the_list_once_whatever_their_size(
    uncached_client: TestClient, as_of: str, status: str
) -> None:
    whole = walk(uncached_client, "/v1/crossings", as_of=as_of, status=status, limit=500)
    walked = walk(uncached_client, "/v1/crossings", as_of=as_of, status=status, limit=1)
    assert walked == whole
    assert all(c["status"] == status for c in walked)


def test_a_country_on_one_side_and_another_neighbour_match_nothing_on_every_page(
    client: TestClient,
) -> None:
    first = get_ok(client, "/v1/crossings", limit=1)["data"][0]["id"]
    # No page of this list has a next, so its cursor is made as the API would make it.
    filters = {"country": "BY", "neighbour": "RU"}
    cursor = encode_cursor(first, list_key=list_key("/v1/crossings", filters))
    body = get_ok(client, "/v1/crossings", **filters, cursor=cursor)
    assert (body["data"], body["meta"]["total"]) == ([], 0)
