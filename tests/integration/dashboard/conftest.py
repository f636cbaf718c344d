"""Real ``jaring dashboard`` processes in the test's namespace, and a real headless Chromium.

Chromium comes from Debian (``deploy/system-packages.sh`` installs it;
Playwright's own browser download does not work on these machines). Without
it the browser tests skip with the reason, except under ``CI=true``, where a
missing browser means a broken machine and the tests fail.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from tests.system_tools import system_tool

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]



@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, with a fresh profile (Playwright makes one per launch)."""
    executable = system_tool("chromium", CHROMIUM)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()
