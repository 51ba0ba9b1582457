"""The browser console (``queuectl-tui --serve``): its screenshot, time to paint, and memory.

Runs the real server on a store seeded by the demo seeder and drives Debian's ``chromium``
headless over the DevTools protocol (the tests' client, ``tests/browser/cdp.py``):

    .venv/bin/python scripts/browser_console.py              # screenshot + 5 measured loads
    .venv/bin/python scripts/browser_console.py --runs 9 --no-screenshot

Writes ``screenshots/browser.png`` and prints the figures as Markdown. Time to paint: from the
navigation's start (``performance.timeOrigin``, before the token redirect) to the first
animation frame in which the terminal holds the console's key bar. Memory: RSS and USS of one
session's console process tree, and of the server, via psutil.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from browser.cdp import Chromium, Page, poll
from browser.support import Served, start_server

from queuectl_core.store.open import open_store
from queuectl_tui.demo import Clock, seed

ROOT = Path(__file__).resolve().parent.parent
FOOTER = "Retry DLQ"
#: Checked in every animation frame: the first one whose terminal holds the key bar.
PAINT_PROBE = """
window.__painted = null;
(function check() {
  const term = window.__xterm;
  if (term) {
    const buffer = term.buffer.active;
    for (let y = 0; y < term.rows; y++) {
      const line = buffer.getLine(buffer.viewportY + y);
      if (line && line.translateToString(true).includes(FOOTER)) {
        window.__painted = performance.now();
        return;
      }
    }
  }
  requestAnimationFrame(check);
})();
""".replace("FOOTER", json.dumps(FOOTER))
SETTLED = """
new Promise((done) => {
  const terminal = document.querySelector(".textual-terminal");
  const check = () =>
    document.body.classList.contains("-first-byte") && getComputedStyle(terminal).opacity === "1"
      ? requestAnimationFrame(() => requestAnimationFrame(() => done(true)))
      : setTimeout(check, 20);
  check();
})
"""


async def seed_store(url: str) -> None:
    now = time.time()
    clock = Clock(now)
    store = await open_store(url, clock=clock)
    try:
        await seed(store, clock, now)
    finally:
        await store.close()


def tree_memory(proc: psutil.Process) -> tuple[int, int]:
    """RSS and USS in bytes of ``proc`` and its descendants."""
    rss = uss = 0
    for member in [proc, *proc.children(recursive=True)]:
        info = member.memory_full_info()
        rss, uss = rss + info.rss, uss + info.uss
    return rss, uss


async def load(chromium: Chromium, served: Served) -> tuple[Page, float, float]:
    """Open the console in a new tab: the tab, ms to the page's load event and to the paint."""
    page = await chromium.new_page(record_network=False)
    await page.send("Page.addScriptToEvaluateOnNewDocument", source=PAINT_PROBE)
    await page.navigate(served.url)

    async def painted() -> float:
        value = await page.evaluate("window.__painted")
        return float(value) if value else 0.0

    paint = await poll(painted, 60, "the console to paint")
    loaded = await page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
    return page, float(loaded), paint


async def screenshot(served: Served, out: Path) -> None:
    async with Chromium(1280, 800) as chromium:
        page, _, _ = await load(chromium, served)
        await page.wait_for_text("dead 2")
        await page.evaluate(SETTLED)
        await page.screenshot(out)
    print(f"wrote {out.relative_to(ROOT)}")


async def measure(served: Served, runs: int) -> None:
    server = psutil.Process(served.proc.pid)
    idle_rss = server.memory_info().rss
    times: list[float] = []
    loads: list[float] = []
    sessions: list[tuple[int, int]] = []
    async with Chromium(1280, 800) as chromium:
        for _ in range(runs):
            page, loaded, painted = await load(chromium, served)
            times.append(painted)
            loads.append(loaded)
            (console,) = served.consoles()
            await page.wait_for_text("dead 2")
            sessions.append(tree_memory(console))
            await chromium.close_page(page)
            await poll(lambda: asyncio.to_thread(lambda: not served.consoles()), 30, "quit")
        tabs = [(await load(chromium, served))[0] for _ in range(4)]
        busy_rss = server.memory_info().rss
        for page in tabs:
            await chromium.close_page(page)
    mib = 1024 * 1024
    print(f"\n| figure ({runs} loads, {os.cpu_count()} cores) | median | min | max |")
    print("|---|---|---|---|")
    print(
        f"| open URL to painted console (ms) | {statistics.median(times):.0f} "
        f"| {min(times):.0f} | {max(times):.0f} |"
    )
    print(
        f"| of which the page itself, to its load event (ms) | {statistics.median(loads):.0f} "
        f"| {min(loads):.0f} | {max(loads):.0f} |"
    )
    for label, index in (("RSS", 0), ("USS", 1)):
        values = [s[index] / mib for s in sessions]
        print(
            f"| one session's console, {label} (MiB) | {statistics.median(values):.1f} "
            f"| {min(values):.1f} | {max(values):.1f} |"
        )
    print(f"\nserver RSS: {idle_rss / mib:.1f} MiB idle, {busy_rss / mib:.1f} MiB with 4 tabs open")
    print("loads (ms): " + ", ".join(f"{t:.0f}" for t in times))


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="measured page loads (5)")
    parser.add_argument("--no-screenshot", action="store_true")
    parser.add_argument("--no-measure", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="queuectl-browser-") as tmp:
        db = str(Path(tmp) / "demo.db")
        await seed_store(db)
        env = {**os.environ, "QUEUECTL_DB": db}
        served = start_server(["--serve", "--port", "0"], env, Path(tmp) / "logs")
        try:
            served.wait_for_url(30)
            if not args.no_screenshot:
                await screenshot(served, ROOT / "screenshots" / "browser.png")
            if not args.no_measure:
                await measure(served, args.runs)
        finally:
            served.stop()


if __name__ == "__main__":
    asyncio.run(main())
