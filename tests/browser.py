"""Browser tests' tools: Debian's Chromium under Playwright, axe-core, and a QR code reader."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import zxingcpp
from PIL import Image

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parent.parent / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"

# Chromium as the machine's probe runs it: no sandbox as root, and no background traffic to
# hosts this closed network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
NARROW_PHONE = {**PHONE, "viewport": {"width": 320, "height": 640}}
PROJECTOR = {"viewport": {"width": 1920, "height": 1080}}
LAPTOP = {"viewport": {"width": 1366, "height": 768}}


def stale_engineio_session(message) -> bool:
    """Whether a console message is Chromium's note of a 400 from the Engine.IO endpoint: a
    request of the page's Socket.IO client on a session the server no longer has, because it
    refused the connection (a wrong key) or restarted. The client starts afresh after it; a test
    that causes one of the two on purpose may let it pass, and only it."""
    url = (message.location or {}).get("url", "")
    return "status of 400" in message.text and "/socket.io/" in url


def require_tools() -> None:
    """Fail loudly, never skip: scripts/test.sh installs both."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: run ./scripts/test.sh (it installs Debian's chromium)"
    assert AXE.exists(), f"{AXE} is missing: run ./scripts/test.sh (it installs axe-core from npm)"


@contextlib.contextmanager
def launched(*extra_args: str):
    """Debian's Chromium, headless, for one test module (the `chromium` fixture in conftest.py)."""
    from playwright.sync_api import sync_playwright

    require_tools()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args])
        try:
            yield browser
        finally:
            browser.close()


def read_qr(png: bytes) -> str:
    """The text of the one QR code in a screenshot."""
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"))
    assert found, "no QR code found in the screenshot"
    return found[0].text


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("() => !!window.axe"):
        # Evaluated through the devtools protocol, which the pages' CSP does not govern; a
        # <script> tag would be refused, as it should be.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate("async () => (await axe.run(document)).violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))")
    return [v for v in result if v["impact"] in impacts]


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def double_click(page, locator, wait_ms: float = 10_000) -> None:
    """Two real mouse clicks 150 ms apart on the same spot, as a hurried hand does, on a control
    scrolled into view first (a person scrolls to a button below the fold; a click at
    coordinates off the screen would reach nothing)."""
    from playwright.sync_api import expect

    expect(locator).to_be_visible(timeout=wait_ms)
    expect(locator).not_to_have_attribute("aria-disabled", "true", timeout=wait_ms)
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    page.wait_for_timeout(150)
    page.mouse.click(x, y)
