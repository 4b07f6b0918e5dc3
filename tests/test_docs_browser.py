"""/docs and /redoc of a served project, rendered by headless Chromium with no network: the
pages must not need a CDN. Skipped, saying why, where no browser is installed; in CI (which
installs Debian's `chromium`, see .ci/run) it fails instead."""

import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import SHARES_DEFAULT_PROJECT, skip_unless_ci

pytestmark = SHARES_DEFAULT_PROJECT

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Headless as root, without the browser's own network traffic; every host but the server's
# resolves to nothing and goes through a proxy that does not exist: no internet.
BROWSER_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
    "--virtual-time-budget=15000",
)


@pytest.fixture
def browser() -> str:
    found = next((path for name in BROWSERS if (path := shutil.which(name))), None)
    if found is None:
        skip_unless_ci(f"no Chromium or Chrome installed (looked for {', '.join(BROWSERS)})")
    return found


def rendered_dom(browser: str, url: str, profile: Path) -> str:
    """The page's DOM once its scripts have run, as the browser shows it."""
    result = subprocess.run(
        [browser, *BROWSER_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_docs_pages_render_offline(browser: str, default_server: str, tmp_path: Path) -> None:
    swagger = rendered_dom(browser, f"{default_server}/docs", tmp_path / "swagger")
    redoc = rendered_dom(browser, f"{default_server}/redoc", tmp_path / "redoc")

    # Swagger UI: the operations and the Authorize button (the project has auth).
    assert 'class="swagger-ui' in swagger
    assert "opblock-summary-path" in swagger and "/v1/chat/completions" in swagger
    assert "btn authorize" in swagger and "Authorize" in swagger
    # ReDoc: the API's title and its operations.
    assert "Demo API" in redoc and "/v1/chat/completions" in redoc
    assert "Create a model response for the given chat conversation" in redoc
