"""The status page: a static dashboard at `/` that reads the /v1 API from the browser.

No template is rendered per request: `/` is a fixed HTML file and its scripts and styles are
files under app/static/, so the page runs under `default-src 'self'`.
"""

import os
from pathlib import Path

from fastapi import APIRouter, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
INDEX_FILE = STATIC_DIR / "index.html"


class AssetFiles(StaticFiles):
    """StaticFiles that leaves validators to the response cache, which gives every 200 answer
    its ETag and Cache-Control and answers If-None-Match: a second ETag or a Last-Modified of
    the file's own would contradict it."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        for header in ("etag", "last-modified"):
            if header in response.headers:
                del response.headers[header]
        return response

    def is_not_modified(self, response_headers: Headers, request_headers: Headers) -> bool:
        return False


router = APIRouter(include_in_schema=False)
router.mount("/static", AssetFiles(directory=STATIC_DIR), name="static")


@router.get("/")
def status_page() -> Response:
    """The status page (HTML; its data comes from the /v1 API)."""
    return Response(INDEX_FILE.read_bytes(), media_type="text/html; charset=utf-8")
