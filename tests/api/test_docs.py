"""The documentation pages work on a machine without internet: headless Chromium opens /docs and /redoc with every
request that leaves this machine refused, and finds every operation of the document listed on the page."""

from __future__ import annotations

import shutil
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Page, Route, async_playwright

# Debian's Chromium (`make check` installs it): Playwright's own browser download cannot run on every machine.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LOCAL = {"127.0.0.1", "localhost"}
# ReDoc's "API docs by Redocly" badge shows Redocly's logo from its CDN; offline the badge keeps its words, and
# nothing else on the page needs it.
DECORATION = {"https://cdn.redoc.ly/redoc/logo-mini.svg"}

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


def documented_operations(document: dict) -> list[tuple[str, str, str]]:
    """(tag, operationId, path) of every operation of the document."""
    return [
        (operation["tags"][0], operation["operationId"], path)
        for path, item in document["paths"].items()
        for operation in item.values()
    ]


async def open_offline(page: Page, url: str, refused: list[str]) -> None:
    """Opens the page with every request to another host refused, as on a machine without internet."""

    async def only_local(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL:
            await route.continue_()
        else:
            refused.append(route.request.url)
            await route.abort("internetdisconnected")

    await page.route("**/*", only_local)
    response = await page.goto(url)
    assert response is not None and response.ok, url


async def test_docs_and_redoc_list_every_operation_without_internet(served, tmp_path):
    async with httpx.AsyncClient() as client:
        document = (await client.get(f"{served}/openapi.json")).json()
    operations = documented_operations(document)
    assert len(operations) >= 16
    refused: list[str] = []

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            swagger = await browser.new_page()
            await open_offline(swagger, f"{served}/docs", refused)
            # Swagger UI gives each operation a block whose id is made of its tag and operationId.
            await swagger.wait_for_selector(".opblock", timeout=60_000)
            await swagger.screenshot(path=tmp_path / "docs.png", full_page=True)
            for tag, operation_id, path in operations:
                block = swagger.locator(f"#operations-{tag}-{operation_id}")
                assert await block.count() == 1, operation_id
                assert await block.locator(".opblock-summary-path").get_attribute("data-path") == path

            redoc = await browser.new_page()
            await open_offline(redoc, f"{served}/redoc", refused)
            # ReDoc gives each operation a section named after its tag and operationId.
            await redoc.wait_for_selector("[data-section-id^='tag/']", timeout=60_000)
            await redoc.screenshot(path=tmp_path / "redoc.png")
            for tag, operation_id, _ in operations:
                section = redoc.locator(f"[data-section-id='tag/{tag}/operation/{operation_id}']")
                assert await section.count() == 1, operation_id
        finally:
            await browser.close()

    assert set(refused) <= DECORATION  # the pages needed nothing else from the internet
    assert (tmp_path / "docs.png").stat().st_size > 10_000
    assert (tmp_path / "redoc.png").stat().st_size > 10_000
