"""Cursors of every list: whatever a cursor holds, a cursor the API didn't issue for that list
is a 422 naming `cursor`, never a 500."""

import pytest
from fastapi.testclient import TestClient

from app.routes.params import encode_cursor
from tests.routes.checks import assert_problem
from tests.writes import auth

# Each list, and a key of the shape its cursors hold with `{}` for the part a client can forge.
LISTS = {
    "/v1/crossings": "{}",
    "/v1/restrictions": "{}",
    "/v1/fortifications": "{}",
    "/v1/conflicts": "{}",
    "/v1/events": "2023-01-01|{}",
    "/v1/search?q=fence": "{}",
}


def with_cursor(url: str, cursor: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}cursor={cursor}"


def test_the_reported_lone_surrogate_cursor_is_a_422(client: TestClient) -> None:
    # base64 of {"after":"\ud800"}
    response = client.get("/v1/crossings?cursor=eyJhZnRlciI6Ilx1ZDgwMCJ9")
    assert_problem(response, 422, "cursor")


@pytest.mark.parametrize("text", ["\ud800", "a\udfff", "\udc00\ud800"])
@pytest.mark.parametrize("url", LISTS)
def test_a_cursor_holding_a_lone_surrogate_is_a_422(
    client: TestClient, url: str, text: str
) -> None:
    cursor = encode_cursor(LISTS[url].format(text))
    assert_problem(client.get(with_cursor(url, cursor)), 422, "cursor")


@pytest.mark.parametrize(
    "after", ["99999999999999999999", "9223372036854775808", "2147483648", "²", "1e3", "-1"]
)
def test_an_audit_cursor_holding_no_id_the_log_can_have_is_a_422(
    writer: TestClient, after: str
) -> None:
    response = writer.get(with_cursor("/v1/audit", encode_cursor(after)), headers=auth())
    assert_problem(response, 422, "cursor")
