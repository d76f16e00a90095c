"""Headless Chromium for tests and benchmarks of the HTML map (Debian's chromium, driven by playwright)."""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("CITEGRAPH_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def need_chromium() -> None:
    """Skip the calling test when Chromium is missing, except in CI (``CI`` set), where it fails:
    CI installs Chromium, so its absence there is a broken setup, not a reason to test less."""
    import pytest

    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(f"{CHROMIUM} is missing; CI installs Debian's chromium, so the browser tests cannot be skipped")
        pytest.skip(f"{CHROMIUM} is missing; .ci/run installs Debian's chromium")


def launch(playwright):
    """A headless browser; never downloads one (none can be fetched here)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)


def wait_until_settled(page, timeout_ms: int = 30000) -> float:
    """Wait for the map's layout to settle; returns the milliseconds it took in the page.

    The page's Content-Security-Policy forbids eval, so this waits on a DOM
    attribute rather than with ``wait_for_function``.
    """
    page.wait_for_selector('body[data-ready="1"]', state="attached", timeout=timeout_ms)
    return float(page.evaluate("window.citegraph.state.settledMs"))
