"""Fixtures for the playground: a served app, Starlette's test client, headless Chromium.

The browser tests drive Debian's Chromium (``/usr/bin/chromium``, or ``$LUCIDNET_CHROMIUM``)
through Playwright, which launches that binary and never downloads one. Without a browser
they are skipped — unless ``LUCIDNET_REQUIRE_BROWSER=1`` (``.ci/run`` sets it), where a
browser that cannot start is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("starlette", reason='needs the playground extra: pip install ".[playground]"')

from lucidnet.playground.server import PlaygroundServer, create_app

TOKEN = "test-token-" + "x" * 24
LOCAL = "localhost:8000"  # the Host the test client sends: a local name, as a browser would


def local_client(app: Any) -> Any:
    """Starlette's test client, addressing the app as ``http://localhost:8000``."""
    from starlette.testclient import TestClient

    return TestClient(app, base_url=f"http://{LOCAL}")


def chromium_path() -> str | None:
    given = os.environ.get("LUCIDNET_CHROMIUM")
    if given:
        return given
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def browser_required() -> bool:
    return os.environ.get("LUCIDNET_REQUIRE_BROWSER", "") not in ("", "0")


@pytest.fixture
def app() -> Any:
    return create_app(TOKEN, max_fps=20)


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    with local_client(app) as c:
        yield c


@pytest.fixture(scope="module")
def server() -> Iterator[PlaygroundServer]:
    with PlaygroundServer(max_fps=10) as s:
        yield s


def launch_chromium(playwright: Any, *args: str) -> Any:
    """Debian's Chromium, headless, with extra command-line ``args``; skipped (or failed,
    under ``LUCIDNET_REQUIRE_BROWSER``) when it cannot start."""

    def unavailable(why: str) -> None:
        if browser_required():
            pytest.fail(f"LUCIDNET_REQUIRE_BROWSER is set but {why}")
        pytest.skip(why)

    path = chromium_path()
    if path is None:
        unavailable("no Chromium found (apt-get install chromium)")
    try:
        return playwright.chromium.launch(executable_path=path, args=["--no-sandbox", *args])
    except Exception as exc:
        unavailable(f"Chromium at {path} did not start: {exc}")


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if browser_required():
            pytest.fail("LUCIDNET_REQUIRE_BROWSER is set but playwright is not installed")
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Any) -> Iterator[Any]:
    browser = launch_chromium(playwright)
    yield browser
    browser.close()
