"""The status page over plain HTTP: the files it is made of, and the examples it shows.
What it does in a browser is in test_status_page_browser.py."""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from fastapi.testclient import TestClient

from app.config import PROJECT_ROOT
from tests.routes.checks import assert_problem

STATIC_DIR = PROJECT_ROOT / "app" / "static"
CONTENT_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
}


class PageParser(HTMLParser):
    """What a browser would load from a page, and anything a strict CSP would refuse."""

    def __init__(self) -> None:
        super().__init__()
        self.assets: list[str] = []
        self.inline: list[str] = []
        self.examples: list[tuple[str, str]] = []
        self.ids: list[str] = []
        self._example_path: str | None = None
        self._example_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.append(str(attributes["id"]))
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.inline.append(f"<{tag} {name}={value!r}>")
            if value and value.strip().lower().startswith("javascript:"):
                self.inline.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            if attributes.get("src"):
                self.assets.append(str(attributes["src"]))
            else:
                self.inline.append("<script> without src")
        if tag == "style":
            self.inline.append("<style>")
        if tag == "link" and attributes.get("href"):
            self.assets.append(str(attributes["href"]))
        if tag == "code" and attributes.get("data-path"):
            self._example_path = attributes["data-path"]
            self._example_text = []

    def handle_data(self, data: str) -> None:
        if self._example_path is not None:
            self._example_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "code" and self._example_path is not None:
            self.examples.append((self._example_path, "".join(self._example_text)))
            self._example_path = None


def parsed_page(client: TestClient) -> PageParser:
    parser = PageParser()
    parser.feed(client.get("/").text)
    return parser


def module_imports(source: str) -> list[str]:
    return re.findall(r"""^import\s.*?from\s+["']([^"']+)["'];""", source, flags=re.M | re.S)


def test_the_root_is_the_status_page(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert page.startswith("<!doctype html>")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "<h1>Border status</h1>" in page
    ids = parsed_page(client).ids
    for section in ("borders", "crossings", "restrictions", "fortifications", "conflicts", "api"):
        assert section in ids


def test_head_of_the_root_answers_like_get_without_a_body(client: TestClient) -> None:
    get = client.get("/")
    head = client.head("/")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == get.headers["etag"]


def test_every_file_the_page_loads_is_served_with_its_type(client: TestClient) -> None:
    pending = [urljoin("/", asset) for asset in parsed_page(client).assets]
    seen: set[str] = set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        assert response.status_code == 200, path
        suffix = path[path.rindex(".") :]
        assert response.headers["content-type"].split(";")[0] == CONTENT_TYPES[suffix], path
        if suffix == ".js":
            pending += [urljoin(path, module) for module in module_imports(response.text)]
    # Every module the page is made of is reached from its entry point.
    assert {f"/static/{p.name}" for p in STATIC_DIR.glob("*.js")} <= seen


def test_the_page_has_nothing_a_strict_content_security_policy_refuses(
    client: TestClient,
) -> None:
    page = parsed_page(client)
    assert page.inline == []
    assert all(asset.startswith("/static/") for asset in page.assets)


def test_the_page_and_its_files_are_not_in_the_openapi_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/" not in paths
    assert not [path for path in paths if path.startswith("/static")]


def test_a_static_file_carries_one_etag_from_the_cache_and_revalidates(
    client: TestClient,
) -> None:
    response = client.get("/static/status.css")
    assert len(response.headers.get_list("etag")) == 1
    assert "last-modified" not in response.headers
    assert response.headers["cache-control"].startswith("public, max-age=")
    again = client.get("/static/status.css", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


@pytest.mark.parametrize(
    "path", ["/static/missing.js", "/static/%2e%2e/config.py", "/static/..%2f..%2fapp%2fconfig.py"]
)
def test_a_file_outside_the_static_files_is_a_404_problem(client: TestClient, path: str) -> None:
    assert_problem(client.get(path), 404)


def test_every_curl_example_calls_an_endpoint_that_answers(client: TestClient) -> None:
    examples = parsed_page(client).examples
    assert len(examples) >= 8
    for path, command in examples:
        assert command.startswith(("curl ", "etag=")), command
        assert f"'http://127.0.0.1:8000{path}'" in command, command
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.json(), path
