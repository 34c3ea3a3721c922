from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from app.routes import countries
from tests.routes.checks import (
    assert_all_cited,
    assert_problem,
    get_ok,
    ids,
    statements,
    walk,
    walk_url,
)


def test_every_country_the_records_name_is_listed_with_its_role(client: TestClient) -> None:
    body = get_ok(client, "/v1/countries")
    roles = {c["code"]: c["role"] for c in body["data"]}
    assert roles == {
        "BE": "other",
        "BY": "neighbour",
        "CZ": "other",
        "DK": "other",
        "EE": "nato",
        "FI": "nato",
        "LT": "nato",
        "LV": "nato",
        "NL": "other",
        "NO": "nato",
        "PL": "nato",
        "RU": "neighbour",
    }
    assert [c["code"] for c in body["data"]] == sorted(roles)
    assert body["meta"]["total"] == 12
    assert {c["code"]: c["name"] for c in body["data"]}["CZ"] == "Czech Republic"


@pytest.mark.parametrize("code", ["LV", "lv"])
def test_one_call_gives_a_dashboard_everything_about_latvia(client: TestClient, code: str) -> None:
    latvia = get_ok(client, f"/v1/countries/{code}")
    assert (latvia["code"], latvia["name"], latvia["role"]) == ("LV", "Latvia", "nato")
    assert ids(latvia["borders"]) == ["LV-BY", "LV-RU"]
    assert latvia["crossing_counts"] == {"open": 0, "closed": 2, "restricted": 2, "unknown": 0}
    assert {c["name"] for c in latvia["crossings"]} == {
        "Grebņeva",
        "Pededze",
        "Terehova",
        "Vientuļi",
    }
    assert set(ids(latvia["restrictions"])) == {
        "baltic-pl-russian-citizens-restrictions",
        "lv-electronic-queue",
        "lv-pedestrian-ban",
        "tourist-visa-stop-2022",
    }
    assert set(ids(latvia["fortifications"])) == {
        "baltic-defence-line",
        "lv-border-fence",
        "lv-eastern-border-reinforcement",
    }
    assert "lv-vientuli-closed-2023" in ids(latvia["events"])
    assert all("LV" in e["countries"] for e in latvia["events"])


def test_the_dashboard_matches_the_list_endpoints(client: TestClient) -> None:
    norway = get_ok(client, "/v1/countries/NO")
    assert norway["crossings"] == get_ok(client, "/v1/crossings", country="NO")["data"]
    assert norway["restrictions"] == get_ok(client, "/v1/restrictions", country="NO")["data"]
    assert norway["fortifications"] == get_ok(client, "/v1/fortifications", country="NO")["data"]
    assert norway["borders"] == get_ok(client, "/v1/borders", country="NO")["data"]
    assert norway["events"] == get_ok(client, "/v1/events", country="NO")["data"]


def test_finland_has_a_closed_border_and_no_named_crossings(client: TestClient) -> None:
    finland = get_ok(client, "/v1/countries/FI")
    (border,) = finland["borders"]
    assert (border["id"], border["status"]) == ("FI-RU", "closed")
    assert finland["crossings"] == []
    assert "fi-border-fence" in ids(finland["fortifications"])


def test_a_country_named_only_by_a_restriction(client: TestClient) -> None:
    belgium = get_ok(client, "/v1/countries/be")
    assert belgium["role"] == "other"
    assert belgium["borders"] == []
    assert belgium["crossings"] == []
    assert ids(belgium["restrictions"]) == ["tourist-visa-stop-2022"]
    assert ids(belgium["events"]) == ["tourist-visas-stopped-2022"]


def test_russia_sees_every_crossing_with_it(client: TestClient) -> None:
    russia = get_ok(client, "/v1/countries/RU")
    assert len(russia["crossings"]) == 12
    assert russia["crossing_counts"] == {"open": 6, "closed": 2, "restricted": 4, "unknown": 0}
    assert len(russia["borders"]) == 6


@pytest.mark.parametrize("code", ["NO", "FI", "EE", "LV", "LT", "PL", "RU", "BY"])
def test_every_nested_record_cites_its_sentences_verbatim(client: TestClient, code: str) -> None:
    assert assert_all_cited(get_ok(client, f"/v1/countries/{code}")) > 0


@pytest.mark.parametrize("code", ["XX", "Norge", "N", "SE"])
def test_unknown_country_is_a_404_problem(client: TestClient, code: str) -> None:
    body = assert_problem(client.get(f"/v1/countries/{code}"), 404)
    assert code in body["detail"]


def test_statement_count_does_not_grow_with_the_country(
    uncached_client: TestClient, count_queries: Callable[[], int]
) -> None:
    assert statements(uncached_client, count_queries, "/v1/countries") == 1
    small = statements(uncached_client, count_queries, "/v1/countries/NO")
    large = statements(uncached_client, count_queries, "/v1/countries/LV")
    assert small == large


def test_each_embedded_list_says_how_many_there_are_and_where_to_page(
    client: TestClient,
) -> None:
    latvia = get_ok(client, "/v1/countries/LV")
    for name in ("crossings", "restrictions", "fortifications", "events"):
        listed = latvia["lists"][name]
        assert listed["url"] == f"/v1/{name}?country=LV"
        assert listed["total"] == len(latvia[name]) == len(walk_url(client, listed["url"]))


def test_a_large_country_embeds_only_the_first_records(
    uncached_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(countries, "EMBEDDED_LIMIT", 2)
    russia = get_ok(uncached_client, "/v1/countries/RU")
    assert ids(russia["crossings"]) == ids(walk(uncached_client, "/v1/crossings", country="RU"))[:2]
    assert russia["lists"]["crossings"]["total"] == 12
    assert len(russia["events"]) == 2
    assert russia["lists"]["events"]["total"] > 2
