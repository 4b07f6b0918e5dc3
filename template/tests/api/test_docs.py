"""/docs and /redoc work without internet: their pages load only what the app itself serves."""

import re

import httpx2
import pytest

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
