"""Behaviour every endpoint shares: unversioned paths, caching, CORS, encoding, errors, OpenAPI."""

import base64
import json
import re
from functools import cache
from typing import Any, cast

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from app.main import RESOURCE_ROUTERS, create_app
from tests.routes.checks import PROBLEM_JSON, assert_problem
from tests.writes import auth

# One GET per endpoint, with the kind of arguments a user sends.
ENDPOINTS = [
    "/v1/crossings?country=LV",
    "/v1/crossings/storskog",
    "/v1/restrictions?country=BE",
    "/v1/restrictions/tourist-visa-stop-2022",
    "/v1/fortifications?status=rejected",
    "/v1/fortifications/no-border-fence",
    "/v1/borders?country=RU",
    "/v1/borders/NO-RU",
    "/v1/countries",
    "/v1/countries/LV",
    "/v1/conflicts",
    "/v1/events?country=LV&from=2023",
    "/v1/sources",
    "/v1/sources/001_2d175952eb0183b5.txt",
    "/v1/sources/001_2d175952eb0183b5.txt/sentences/18",
    "/v1/search?q=Storskog",
    "/v1/crossings/storskog/revisions",
    "/v1/restrictions/tourist-visa-stop-2022/revisions",
    "/v1/fortifications/no-border-fence/revisions",
]
# GET paths only a curator may read (tests/test_auth.py, tests/routes/test_audit.py).
PRIVATE_PATHS = {"/v1/audit"}
# Streamed answers, with no ETag (tests/routes/test_export.py).
STREAMED_PATHS = {"/v1/export.ndjson"}
OTHER_GETS = ["/healthz", "/readyz", "/openapi.json", "/docs"]


def cursor(after: str) -> str:
    raw = json.dumps({"after": after}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def v1_routes() -> dict[str, APIRoute]:
    """The resource routes that answer GET, by their /v1 path."""
    return {
        "/v1" + route.path: route
        for router in RESOURCE_ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute) and "GET" in cast(set[str], route.methods)
    }


@cache
def openapi_schema() -> dict[str, Any]:
    """The generated schema; read-only in the tests, so built once."""
    schema: dict[str, Any] = create_app().openapi()
    return schema


def v1_operations() -> dict[str, dict[str, Any]]:
    schema = openapi_schema()
    return {path: ops["get"] for path, ops in schema["paths"].items() if path.startswith("/v1/")}


def test_endpoints_cover_every_documented_v1_path() -> None:
    patterns = [
        re.sub(r"\{[^}]+\}", "[^/?]+", path) + r"(\?.*)?"
        for path in v1_operations()
        if path not in PRIVATE_PATHS | STREAMED_PATHS
    ]
    for pattern in patterns:
        assert any(re.fullmatch(pattern, url) for url in ENDPOINTS), pattern


@pytest.mark.parametrize("url", ENDPOINTS)
def test_every_v1_path_answers_without_the_prefix_with_the_same_body(
    client: TestClient, url: str
) -> None:
    versioned = client.get(url)
    bare = client.get(url.removeprefix("/v1"))
    assert versioned.status_code == bare.status_code == 200
    assert bare.content == versioned.content
    assert bare.headers["etag"] == versioned.headers["etag"]


def test_curl_users_get_latvia_without_the_prefix(client: TestClient) -> None:
    body = client.get("/crossings?country=LV").json()
    assert len(body["data"]) == 4
    assert all(c["provenance"] for c in body["data"])


# --- caching --------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ENDPOINTS + OTHER_GETS)
def test_every_get_carries_an_etag_and_a_short_max_age(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert re.fullmatch(r'(W/)?"[^"]+"', response.headers["etag"])
    max_age = re.search(r"max-age=(\d+)", response.headers["cache-control"])
    assert max_age is not None
    assert 0 < int(max_age.group(1)) <= 3600


@pytest.mark.parametrize("url", ENDPOINTS + OTHER_GETS)
def test_if_none_match_with_the_etag_is_a_304_without_a_body(client: TestClient, url: str) -> None:
    etag = client.get(url).headers["etag"]
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag


def test_if_none_match_accepts_a_list_and_weak_tags(client: TestClient) -> None:
    etag = client.get("/v1/borders").headers["etag"]
    listed = client.get("/v1/borders", headers={"If-None-Match": f'"stale", {etag}'})
    assert listed.status_code == 304
    weak = client.get("/v1/borders", headers={"If-None-Match": f"W/{etag}"})
    assert weak.status_code == 304


def test_a_stale_etag_gets_the_full_answer(client: TestClient) -> None:
    response = client.get("/v1/borders", headers={"If-None-Match": '"stale"'})
    assert response.status_code == 200
    assert response.json()["data"]


def test_the_etag_is_stable_for_the_same_answer(client: TestClient) -> None:
    assert (
        client.get("/v1/conflicts").headers["etag"] == client.get("/v1/conflicts").headers["etag"]
    )


def test_a_different_query_gets_a_different_etag_and_body(client: TestClient) -> None:
    latvia = client.get("/v1/crossings?country=LV")
    estonia = client.get("/v1/crossings?country=EE")
    assert latvia.headers["etag"] != estonia.headers["etag"]
    assert latvia.content != estonia.content
    estonia_etag = estonia.headers["etag"]
    assert client.get("/v1/crossings?country=LV", headers={"If-None-Match": estonia_etag}).json()


def test_head_answers_the_get_headers_without_a_body(client: TestClient) -> None:
    get = client.get("/v1/borders")
    head = client.head("/v1/borders")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-type"] == get.headers["content-type"]
    assert (
        client.head("/v1/borders", headers={"If-None-Match": get.headers["etag"]}).status_code
        == 304
    )


def test_errors_are_not_cached(client: TestClient) -> None:
    response = client.get("/v1/crossings/atlantis")
    assert response.headers["cache-control"] == "no-store"
    assert "etag" not in response.headers


# --- CORS -----------------------------------------------------------------------------------


def test_cors_preflight_allows_any_origin_without_credentials(client: TestClient) -> None:
    response = client.options(
        "/v1/crossings",
        headers={
            "Origin": "https://map.example.org",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "If-None-Match",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    methods = {m.strip() for m in response.headers["access-control-allow-methods"].split(",")}
    assert {"GET", "HEAD", "OPTIONS"} <= methods
    assert "if-none-match" in response.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in response.headers


def test_cors_preflight_refuses_writes(client: TestClient) -> None:
    response = client.options(
        "/v1/crossings",
        headers={"Origin": "https://map.example.org", "Access-Control-Request-Method": "DELETE"},
    )
    assert response.status_code == 400


def test_a_cross_origin_get_is_allowed_and_can_read_the_etag(client: TestClient) -> None:
    response = client.get("/v1/crossings", headers={"Origin": "https://dashboard.example.com"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "etag" in response.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-credentials" not in response.headers


# --- encoding -------------------------------------------------------------------------------


def test_json_is_utf8_and_names_keep_their_diacritics(client: TestClient) -> None:
    response = client.get("/v1/crossings?country=LV")
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert "Grebņeva".encode() in response.content
    assert "Vientuļi".encode() in response.content
    assert b"\\u" not in response.content


def test_problems_are_utf8_too(client: TestClient) -> None:
    response = client.get("/v1/crossings/Grebņeva")
    assert_problem(response, 404)
    assert "Grebņeva".encode() in response.content


# --- bad input never gives a 500 ------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/v1/crossings/%00",
        "/v1/restrictions/%00",
        "/v1/fortifications/%00",
        "/v1/borders/%00",
        "/v1/countries/%00",
        "/v1/sources/%00",
        "/v1/sources/%00/sentences/0",
        "/v1/crossings?country=%00",
        "/v1/crossings?q=%00",
        "/v1/crossings?as_of=%00",
        "/v1/restrictions?q=%00",
        "/v1/fortifications?q=a%00b",
        "/v1/events?from=%00",
        "/v1/search?q=%00",
        "/v1/crossings?cursor=%00",
        f"/v1/crossings?cursor={cursor(chr(0))}",
        f"/v1/restrictions?cursor={cursor('a' + chr(0))}",
        f"/v1/fortifications?cursor={cursor(chr(0))}",
        f"/v1/conflicts?cursor={cursor(chr(0))}",
        f"/v1/events?cursor={cursor('2023-01-01|' + chr(0))}",
        f"/v1/events?cursor={cursor('9999-12-31|x')}",
        f"/v1/search?q=fence&cursor={cursor(chr(0))}",
        "/v1/crossings/" + "x" * 5000,
        "/v1/crossings?q=%F0%9F%92%A9",
        "/v1/crossings?q=%ED%A0%80",
        "/v1/crossings?country=%C3%9F",
        "/v1/search?q=" + "+".join(["fence"] * 50),
        "/v1/search?q=%22%22%22",
        "/v1/search?q=NEAR(a+b)",
        "/v1/restrictions?q=%25",
        "/v1/restrictions?q=_",
        "/v1/sources/001_2d175952eb0183b5.txt/sentences/1e3",
        "/v1/crossings?limit=99999999999999999999999",
    ],
)
def test_odd_input_is_never_a_500(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code < 500, response.text
    if response.status_code != 200:
        assert response.headers["content-type"].startswith(PROBLEM_JSON)


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/v1/crossings/%00", "crossing_id"),
        ("/v1/sources/a%00/sentences/0", "file"),
        ("/v1/restrictions?q=%00", "q"),
        ("/v1/fortifications?kind=fence&q=a%00b", "q"),
    ],
)
def test_nul_characters_are_a_422_naming_the_parameter(
    client: TestClient, url: str, parameter: str
) -> None:
    assert_problem(client.get(url), 422, parameter)


@pytest.mark.parametrize(
    "url",
    [
        f"/v1/crossings?cursor={cursor(chr(0))}",
        f"/v1/events?cursor={cursor('2023-01-01|' + chr(0))}",
    ],
)
def test_a_cursor_holding_nul_names_no_page(client: TestClient, url: str) -> None:
    assert_problem(client.get(url), 404, "cursor")


def test_like_wildcards_in_q_are_literal(client: TestClient) -> None:
    assert client.get("/v1/restrictions?q=%25").json()["data"] == []
    assert client.get("/v1/fortifications?q=_").json()["data"] == []


def test_unknown_path_is_a_404_problem(client: TestClient) -> None:
    assert_problem(client.get("/v1/checkpoints"), 404)
    assert_problem(client.get("/v2/crossings"), 404)


def test_a_method_no_route_takes_is_a_405_problem(writer: TestClient) -> None:
    response = writer.delete("/v1/crossings/narva", headers=auth())
    assert_problem(response, 405)
    assert "GET" in response.headers["allow"]


# --- OpenAPI --------------------------------------------------------------------------------


def test_openapi_documents_every_v1_route() -> None:
    routes = set(v1_routes())
    assert set(v1_operations()) == routes
    assert len(routes) == 21


def test_openapi_describes_every_parameter() -> None:
    for path, operation in v1_operations().items():
        assert operation.get("description") or operation.get("summary"), path
        for parameter in operation.get("parameters", []):
            assert parameter.get("description"), (path, parameter["name"])


def test_openapi_documents_problem_responses_as_problem_json() -> None:
    schema = openapi_schema()
    assert "Problem" in schema["components"]["schemas"]
    for path, operation in v1_operations().items():
        responses = operation["responses"]
        if any(p["in"] == "query" for p in operation.get("parameters", [])):
            assert list(responses["422"]["content"]) == [PROBLEM_JSON], path
        if "{" in path:
            assert list(responses["404"]["content"]) == [PROBLEM_JSON], path
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                assert list(response["content"]) == [PROBLEM_JSON], (path, status)


def test_openapi_gives_an_example_answer_for_each_endpoint_that_fits_its_model() -> None:
    operations = v1_operations()
    for path, route in v1_routes().items():
        if path in STREAMED_PATHS:
            continue
        ok = operations[path]["responses"]["200"]["content"]["application/json"]
        assert "example" in ok, path
        TypeAdapter(route.response_model).validate_python(ok["example"])


def test_openapi_and_docs_are_served(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["info"]["title"]
    assert "/v1/crossings" in schema["paths"]
    assert "/crossings" not in schema["paths"]
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "text/html" in docs.headers["content-type"]
    assert "/openapi.json" in docs.text


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/v1/events?contry=LV", "contry"),
        ("/v1/search?q=fence&page=2", "page"),
        ("/v1/borders?neighbor=RU", "neighbor"),
        ("/v1/conflicts?offset=1", "offset"),
        ("/v1/countries/LV?full=1", "full"),
        ("/v1/restrictions?kinds=visa", "kinds"),
    ],
)
def test_a_query_parameter_the_endpoint_does_not_take_is_a_422_naming_it(
    client: TestClient, url: str, name: str
) -> None:
    body = assert_problem(client.get(url), 422, name)
    assert name in body["detail"]
