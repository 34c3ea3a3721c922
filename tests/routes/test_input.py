"""Input read as people write it: vocabularies and codes in any case, countries by alpha-3
code or English name, ids in any case (a border either way round), one value a parameter,
and an unknown id's 404 that says what was meant."""

import pytest
from fastapi.testclient import TestClient

from tests.routes.checks import assert_problem, get_ok, ids
from tests.writes import FINLAND_CLOSED, auth, cite, new_crossing, patch


@pytest.mark.parametrize(
    ("url", "asked", "written"),
    [
        ("/v1/crossings", {"status": "closed"}, {"status": "Closed"}),
        ("/v1/crossings", {"traffic": "car"}, {"traffic": "CAR"}),
        ("/v1/restrictions", {"kind": "vehicle"}, {"kind": "Vehicle"}),
        ("/v1/restrictions", {"status": "in_force"}, {"status": "IN_FORCE"}),
        ("/v1/fortifications", {"status": "rejected"}, {"status": "Rejected"}),
        ("/v1/events", {"kind": "closure"}, {"kind": "Closure"}),
        ("/v1/crossings", {"country": "LV"}, {"country": "lv"}),
        ("/v1/crossings", {"country": "LV"}, {"country": "LVA"}),
        ("/v1/crossings", {"country": "LV"}, {"country": "latvia"}),
        ("/v1/restrictions", {"country": "CZ"}, {"country": "Czechia"}),
        ("/v1/crossings", {"neighbour": "RU"}, {"neighbour": "Russian Federation"}),
        ("/v1/restrictions", {"country": "NO"}, {"country": "nor"}),
        ("/v1/borders", {"country": "EE"}, {"country": "Estonia"}),
    ],
)
def test_a_value_in_any_case_or_a_country_by_name_answers_as_its_code(
    client: TestClient, url: str, asked: dict[str, str], written: dict[str, str]
) -> None:
    expected = get_ok(client, url, **asked)
    assert expected["data"], "the example lists something"
    assert get_ok(client, url, **written) == expected


def test_an_unknown_country_is_refused_with_the_codes_and_their_names(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/crossings?country=Latvija"), 422, "country")
    assert "LV (Latvia)" in body["detail"] and "RU (Russia)" in body["detail"]
    (error,) = body["errors"]
    assert error["names"]["NO"] == "Norway" and "NO" in error["accepted"]
    neighbour = assert_problem(client.get("/v1/crossings?neighbour=LV"), 422, "neighbour")
    assert "RU (Russia), BY (Belarus)" in neighbour["detail"]


@pytest.mark.parametrize(
    "query", ["country=LV&country=EE", "status=open&status=open", "limit=1&limit=2"]
)
def test_a_parameter_given_twice_is_a_422_naming_it(client: TestClient, query: str) -> None:
    name = query.partition("=")[0]
    body = assert_problem(client.get(f"/v1/crossings?{query}"), 422, name)
    assert "more than once" in body["detail"]


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("/v1/crossings/NARVA", "/v1/crossings/narva"),
        (
            "/v1/restrictions/NO-Russian-Plated-Cars-Ban",
            "/v1/restrictions/no-russian-plated-cars-ban",
        ),
        ("/v1/borders/RU-NO", "/v1/borders/NO-RU"),
        ("/v1/borders/by-pl", "/v1/borders/PL-BY"),
        ("/v1/countries/latvia", "/v1/countries/LV"),
        ("/v1/countries/LVA", "/v1/countries/LV"),
    ],
)
def test_an_id_is_found_in_any_case_and_a_border_either_way_round(
    client: TestClient, url: str, canonical: str
) -> None:
    assert get_ok(client, url) == get_ok(client, canonical)


def test_an_unknown_id_suggests_the_nearest_ids_and_the_search(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/crossings/narv"), 404)
    (error,) = body["errors"]
    assert error["nearest"] == ["narva"]
    assert error["search"] == "/v1/crossings?q=narv"
    assert "'narva'" in body["detail"] and "/v1/crossings?q=narv" in body["detail"]
    assert client.get(error["search"]).json()["data"][0]["id"] == "narva"
    border = assert_problem(client.get("/v1/borders/NO-BY"), 404)
    assert "NO-RU" in border["errors"][0]["nearest"]
    nothing = assert_problem(client.get("/v1/fortifications/zzzz"), 404)
    assert nothing["errors"][0]["nearest"] == []


def test_the_export_takes_a_type_as_its_lines_name_it(client: TestClient) -> None:
    lines = client.get("/v1/export.ndjson?type=Crossing").text.splitlines()
    assert lines and all('"type":"crossing"' in line for line in lines)
    assert lines == client.get("/v1/export.ndjson?type=crossings").text.splitlines()


def test_bodies_take_vocabularies_and_countries_in_any_case(writer: TestClient) -> None:
    made = writer.post(
        "/v1/crossings",
        headers=auth(),
        json=new_crossing(country="Finland", neighbour="rus", status="Closed", traffic=["CAR"]),
    )
    assert made.status_code == 201, made.text
    crossing = made.json()
    assert (crossing["country"], crossing["neighbour"]) == ("FI", "RU")
    assert (crossing["status"], crossing["traffic"]) == ("closed", ["car"])
    changed = patch(
        writer,
        "/v1/crossings/VAALIMAA",
        {"traffic": ["Car", "truck"], "citations": cite(FINLAND_CLOSED)},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["traffic"] == ["car", "truck"]
    assert "vaalimaa" in ids(
        get_ok(writer, "/v1/crossings", country="fin", status="CLOSED")["data"]
    )
