"""/docs and /redoc work without internet: their pages load only what the app itself serves."""

import re

import httpx2
import pytest
from fastapi import FastAPI

# What a page loads: script, stylesheet and icon URLs, ReDoc's spec-url, Swagger UI's url.
PAGE_URL = re.compile(r"""(?:src|href|spec-url)="([^"]+)"|\burl: '([^']+)'""")


def urls_loaded_by(html: str) -> list[str]:
    return [attribute or script for attribute, script in PAGE_URL.findall(html)]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_get_docs_page_loads_only_assets_the_app_serves(
    client: httpx2.AsyncClient, page: str
) -> None:
    response = await client.get(page)

    assert response.status_code == 200
    assert "http://" not in response.text and "https://" not in response.text
    urls = urls_loaded_by(response.text)
    assert "/openapi.json" in urls
    assert [url for url in urls if url.endswith(".js")]
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
        assert (await client.get(url)).status_code == 200, url


def test_docs_routes_are_tried_after_every_route_of_the_api(app: FastAPI) -> None:
    """Each request is matched against the routes in turn: the docs pages, the OpenAPI
    document and their files, which clients of the API never ask for, come last."""
    docs = {"/openapi.json", "/static-offline-docs", "/docs", "/docs/oauth2-redirect", "/redoc"}
    paths = [getattr(route, "path", None) for route in app.routes]

    assert set(paths[-len(docs) :]) == docs
