"""Cursors of every list: a cursor belongs to the list and the filters it was issued for
(with or without /v1, whatever the page size or format), and whatever a cursor holds, one the
API didn't issue for that list names no page of it: a 404 naming `cursor`, never a 500. A
value that isn't of a cursor's shape at all is a 422."""

import base64
import json
import re
from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient

from app.routes.cursors import encode_cursor, list_key
from tests.routes.checks import assert_problem, get_ok
from tests.writes import auth

NARVA = "Queues began to appear in Narva, waiting takes several hours"
FOREIGN = "belongs to another list or other filters; start again without cursor"

# Each list (with the filters it needs), and the shape of the key its cursors hold, with `{}`
# for the part a client can write anything into.
LISTS = {
    "/v1/crossings": "{}",
    "/v1/restrictions": "{}",
    "/v1/fortifications": "{}",
    "/v1/conflicts": "{}",
    "/v1/events": "2023-01-01|{}",
    "/v1/search?q=fence": "{}",
}


def with_params(url: str, **params: Any) -> str:
    path, _, query = url.partition("?")
    return f"{path}?{urlencode([*parse_qsl(query), *params.items()])}"


def made(url: str, after: str) -> str:
    """A cursor holding `after`, bound to the list and filters of `url` as the API binds them:
    what a client that has worked the format out could send."""
    parts = urlsplit(url)
    return encode_cursor(after, list_key=list_key(parts.path, dict(parse_qsl(parts.query))))


def next_cursor(client: TestClient, url: str, headers: Mapping[str, str] | None = None) -> str:
    """The cursor to the second page of `url`, one record a page."""
    response = client.get(with_params(url, limit=1), headers=headers)
    assert response.status_code == 200, response.text
    cursor: str = response.json()["meta"]["next"]
    assert cursor
    return cursor


def refused_as_foreign(response: Any) -> None:
    assert FOREIGN in assert_problem(response, 404, "cursor")["detail"]


# --- what a cursor holds ----------------------------------------------------------------------


def test_the_reported_lone_surrogate_cursor_names_no_page(client: TestClient) -> None:
    # base64 of {"after":"\ud800"}
    response = client.get("/v1/crossings?cursor=eyJhZnRlciI6Ilx1ZDgwMCJ9")
    assert_problem(response, 404, "cursor")


# Lone surrogates (no UTF-8 form, so no driver can send them), and NUL (PostgreSQL text
# can't hold it).
@pytest.mark.parametrize("text", ["\ud800", "a\udfff", "\udc00\ud800", "\x00", "a\x00"])
@pytest.mark.parametrize("url", LISTS)
def test_a_cursor_holding_text_no_database_takes_names_no_page(
    client: TestClient, url: str, text: str
) -> None:
    cursor = made(url, LISTS[url].format(text))
    response = client.get(with_params(url, cursor=cursor))
    assert FOREIGN not in assert_problem(response, 404, "cursor")["detail"]


@pytest.mark.parametrize(
    "after", ["99999999999999999999", "9223372036854775808", "2147483648", "²", "1e3", "-1"]
)
def test_an_audit_cursor_holding_no_id_the_log_can_have_names_no_page(
    writer: TestClient, after: str
) -> None:
    response = writer.get(f"/v1/audit?cursor={made('/v1/audit', after)}", headers=auth())
    assert FOREIGN not in assert_problem(response, 404, "cursor")["detail"]


@pytest.mark.parametrize(
    "cursor",
    [
        base64.urlsafe_b64encode(b"[" * 380).decode(),
        base64.urlsafe_b64encode(b'["after"]').decode(),
        base64.urlsafe_b64encode(b'"after"').decode(),
        base64.urlsafe_b64encode(b'{"after":"x","list":[]}').decode(),
    ],
)
def test_a_cursor_holding_something_else_names_no_page(client: TestClient, cursor: str) -> None:
    body = assert_problem(client.get(f"/v1/crossings?cursor={cursor.rstrip('=')}"), 404, "cursor")
    assert "start again without cursor" in body["detail"]


@pytest.mark.parametrize("cursor", ["!", "a=b", "not a cursor", "eyJ9%2F"])
def test_a_value_not_of_a_cursors_shape_is_a_422(client: TestClient, cursor: str) -> None:
    body = assert_problem(client.get(f"/v1/crossings?cursor={cursor}"), 422, "cursor")
    assert "URL-safe base64" in body["detail"]


# --- what a cursor belongs to -----------------------------------------------------------------


@pytest.mark.parametrize("other", [url for url in LISTS if url != "/v1/crossings"])
def test_a_crossings_cursor_is_refused_by_another_list(client: TestClient, other: str) -> None:
    cursor = next_cursor(client, "/v1/crossings")
    refused_as_foreign(client.get(with_params(other, cursor=cursor)))


@pytest.mark.parametrize(
    ("issued_for", "used_with"),
    [
        ("/v1/crossings?country=LV", "/v1/crossings?country=EE"),
        ("/v1/crossings?country=LV", "/v1/crossings"),
        ("/v1/crossings", "/v1/crossings?country=LV"),
        ("/v1/crossings?country=LV", "/v1/crossings?country=LV&status=open"),
        ("/v1/crossings?as_of=2023", "/v1/crossings?as_of=2022"),
        ("/v1/restrictions?country=LT", "/v1/restrictions?country=NO"),
        ("/v1/fortifications?country=LT", "/v1/fortifications?country=PL"),
        ("/v1/events?from=2022", "/v1/events?from=2023"),
        ("/v1/events?country=FI", "/v1/events"),
        ("/v1/search?q=fence", "/v1/search?q=border"),
        ("/v1/crossings", "/v1/restrictions"),
        ("/v1/restrictions", "/v1/conflicts"),
        ("/v1/events", "/v1/conflicts"),
    ],
)
def test_a_cursor_is_refused_with_other_filters_or_by_another_list(
    client: TestClient, issued_for: str, used_with: str
) -> None:
    cursor = next_cursor(client, issued_for)
    refused_as_foreign(client.get(with_params(used_with, cursor=cursor)))


def test_an_audit_cursor_is_refused_with_other_filters_and_by_another_list(
    writer: TestClient,
) -> None:
    for note in ("first", "second"):
        body = {"notes": note, "citations": [{"file": "001_2d175952eb0183b5.txt", "text": NARVA}]}
        patch = writer.patch("/v1/crossings/narva", json=body, headers=auth(**{"If-Match": "*"}))
        assert patch.is_success, patch.text
    cursor = next_cursor(writer, "/v1/audit", auth())
    assert writer.get(f"/audit?cursor={cursor}", headers=auth()).status_code == 200
    narva = f"/v1/audit?record_type=crossing&record_id=narva&cursor={cursor}"
    refused_as_foreign(writer.get(narva, headers=auth()))
    refused_as_foreign(writer.get(f"/v1/crossings?cursor={cursor}"))
    crossings_cursor = next_cursor(writer, "/v1/crossings")
    refused_as_foreign(writer.get(f"/v1/audit?cursor={crossings_cursor}", headers=auth()))


@pytest.mark.parametrize(
    "same_list",
    [
        "/v1/crossings?country=LV&limit=1",
        "/crossings?country=LV&limit=1",
        "/v1/crossings?limit=1&country=LV",
        "/v1/crossings?country=LV&limit=1&format=json",
    ],
)
def test_a_cursor_follows_its_list_with_or_without_v1_in_any_order(
    client: TestClient, same_list: str
) -> None:
    cursor = next_cursor(client, "/v1/crossings?country=LV")
    second = get_ok(client, "/v1/crossings", country="LV", limit=1, cursor=cursor)
    response = client.get(with_params(same_list, cursor=cursor))
    assert response.status_code == 200, response.text
    assert response.json() == second
    assert second["data"]


def test_the_page_size_may_change_between_pages(client: TestClient) -> None:
    cursor = next_cursor(client, "/v1/restrictions?country=LT")
    every = get_ok(client, "/v1/restrictions", country="LT", limit=500)["data"]
    rest = get_ok(client, "/v1/restrictions", country="LT", limit=500, cursor=cursor)["data"]
    assert rest == every[1:]


def test_a_page_always_has_the_same_cursor_and_etag(uncached_client: TestClient) -> None:
    answers = [uncached_client.get("/v1/events?country=FI&limit=2") for _ in range(2)]
    assert answers[0].json()["meta"]["next"] == answers[1].json()["meta"]["next"]
    assert answers[0].headers["etag"] == answers[1].headers["etag"]
    cursor = answers[0].json()["meta"]["next"]
    assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor), "URL-safe as it is"


def test_a_filtered_csv_list_follows_its_link_headers_page_by_page(client: TestClient) -> None:
    whole = client.get("/v1/crossings", params={"format": "csv", "country": "LV"}).text
    lines: list[str] = []
    url: str | None = "/crossings?country=LV&format=csv&limit=2"
    pages = 0
    while url is not None and pages < 50:
        page = client.get(url)
        assert page.status_code == 200, page.text
        lines += page.text.splitlines()[1:]
        link = page.headers.get("link")
        url = (
            cast(re.Match[str], re.fullmatch(r'<([^>]+)>; rel="next"', link)).group(1)
            if link
            else None
        )
        pages += 1
    assert pages > 1
    assert lines == whole.splitlines()[1:]


@pytest.mark.parametrize("url", [*LISTS, "/v1/audit"])
def test_a_cursor_from_before_cursors_were_bound_is_refused(writer: TestClient, url: str) -> None:
    """As the API issued them until now: base64 of {"after": key}, bound to nothing."""
    after = {"/v1/events": "2023-01-01|x", "/v1/search?q=fence": "1", "/v1/audit": "1"}
    old = json.dumps({"after": after.get(url, "narva")}).encode()
    cursor = base64.urlsafe_b64encode(old).decode().rstrip("=")
    refused_as_foreign(writer.get(with_params(url, cursor=cursor), headers=auth()))
