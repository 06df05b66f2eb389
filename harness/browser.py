"""The app's pad in a real browser (Playwright + Debian's Chromium), for tests and benchmarks.

    with chromium() as browser:                  # chromium(warm=True): pads in kept profiles
        pad = Pad(browser, url)                  # a fresh page; waits until the pad is ready
        pad.write("2026")                        # hand-made strokes, with the mouse (or touch=True)
        pad.final_answer()                       # "2026": what the pad settled on, as shown
        learn = Pad(browser, url, tab="Watch it learn", elem_id="learn-pad")   # another tab's pad

The page reports every answer through the pad's own "pad:answer" event (ui/pad.js), so a caller
waits for the answer to the finished drawing, not for the first text that happens to match.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from model.synth.sketches import Placement, number_layout, placed_strokes
from ui.pad import CANVAS

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Every answer the pad shows, as the page reports it (ui/pad.js dispatches "pad:answer"), with
# when it was on screen (the frame after it was drawn), and when the visitor last lifted the pen
# or finger (or clicked a button).
RECORD_ANSWERS = """
window.__answers = [];
window.__lastUp = 0;
document.addEventListener("pad:answer", (e) => {
  const answer = { ...e.detail, t: performance.now() };
  window.__answers.push(answer);
  const painted = () => { answer.painted = performance.now() - answer.t; };
  requestAnimationFrame(() => requestAnimationFrame(painted));
});
document.addEventListener("pointerup", () => { window.__lastUp = performance.now(); }, true);
document.addEventListener("pointerdown", () => { window.__lastDown = performance.now(); }, true);
// where the canvas under the pen was at every move: it must not move while someone draws on it
window.__canvasAt = [];
document.addEventListener("pointermove", (e) => {
  if (!e.target.matches || !e.target.matches('[data-testid="canvas"]')) return;
  const box = e.target.getBoundingClientRect();
  window.__canvasAt.push([Math.round(box.left), Math.round(box.top)]);
}, true);
"""
# the first final answer that came after the visitor's last pen-up or click
FINAL = "() => window.__answers.find(a => a.final && a.t > window.__lastUp)"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "has_touch": True,
    "is_mobile": True,
}


@contextlib.contextmanager
def chromium(warm: bool = False) -> Iterator:
    """A headless Debian Chromium under Playwright: its Browser, or with `warm`, a WarmChromium
    whose pads open in kept profiles (the test suite's)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = WarmChromium(p) if warm else p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


# A pad's context options that only a context can have; the theme is set per page.
CONTEXT_KINDS = ("viewport", "device_scale_factor", "has_touch", "is_mobile", "locale")
# What a pad leaves behind for the next page of its origin to find, cleared when it closes (the
# HTTP cache and compiled scripts stay: they are what makes the next page quick).
STORAGE = "cookies,local_storage,session_storage,indexeddb,websql,service_workers,cache_storage,file_systems"


class WarmChromium:
    """A Browser whose pads open a page in a kept profile, one per kind of context (viewport,
    touch, locale): the page loads from the profile's HTTP and code caches, about 1 s of
    Chromium's CPU instead of 4-5 for a new context. A pad leaves the profile as it found it
    (each origin's cookies and storage cleared). Anything else is the Browser's own
    (`new_context` makes a fresh one): that Chromium starts when first asked, as the suite's
    pads never ask."""

    def __init__(self, playwright) -> None:
        self.playwright = playwright
        self.folder = Path(tempfile.mkdtemp(prefix="pad-profiles-"))
        self.profiles: dict[tuple, object] = {}
        self._browser = None

    @property
    def browser(self):
        if self._browser is None:
            self._browser = self.playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        return self._browser

    def __getattr__(self, name: str):
        return getattr(self.browser, name)

    def profile(self, options: dict):
        """The kept context for these options (a Chromium of its own, started when first asked)."""
        key = tuple((k, json.dumps(options.get(k), sort_keys=True)) for k in CONTEXT_KINDS)
        if key not in self.profiles:
            context = self.playwright.chromium.launch_persistent_context(
                self.folder / str(len(self.profiles)),
                executable_path=CHROMIUM,
                args=ARGS,
                **{k: options[k] for k in CONTEXT_KINDS if k in options},
            )
            context.add_init_script(RECORD_ANSWERS)
            self.profiles[key] = context
        return self.profiles[key]

    def close(self) -> None:
        for context in self.profiles.values():
            context.close()
        if self._browser is not None:
            self._browser.close()
        shutil.rmtree(self.folder, ignore_errors=True)


# Resolves once the page's fonts are in and `element` has kept its place for two frames (5 s at most).
SETTLED = """async (element) => {
  await document.fonts.ready;
  const frame = () => new Promise(r => requestAnimationFrame(r));
  const place = () => { const b = element.getBoundingClientRect(); return `${b.x},${b.y}`; };
  const until = performance.now() + 5000;
  let last = place(), still = 0;
  while (still < 2 && performance.now() < until) {
    await frame();
    const now = place();
    still = now === last ? still + 1 : 0;
    last = now;
  }
}"""


class Pad:
    """The app's pad in a page: draws strokes in canvas coordinates, reads what it answers."""

    def __init__(
        self, browser, url: str, theme: str = "light", tab: str | None = None, elem_id: str = "pad", **context
    ) -> None:
        options = {"viewport": {"width": 1280, "height": 900}, **context}
        self.kept = isinstance(browser, WarmChromium)
        if self.kept:
            unknown = set(options) - {*CONTEXT_KINDS, "extra_http_headers"}
            assert not unknown, f"a kept profile cannot have {unknown}: ask the Browser for a context"
            self.context = browser.profile(options)
            self.page = self.context.new_page()
            self.page.emulate_media(color_scheme=theme)
            self.page.set_extra_http_headers(options.get("extra_http_headers", {}))
        else:
            self.context = browser.new_context(color_scheme=theme, **options)
            self.context.add_init_script(RECORD_ANSWERS)
            self.page = self.context.new_page()
        self.page.goto(url + ("?__theme=dark" if theme == "dark" else ""))
        self.page.wait_for_selector('[data-testid="pad"][data-ready="true"]', timeout=60_000)
        if tab is not None:  # Gradio mounts a tab's components when it is first opened
            self.page.get_by_role("tab", name=tab).click()
        self.root = self.page.locator(f"#{elem_id}")
        self.root.locator('[data-testid="pad"][data-ready="true"]').wait_for(timeout=60_000)
        self.canvas = self.root.get_by_test_id("canvas")
        self.answer = self.root.get_by_test_id("answer")
        self.result = self.root.get_by_test_id("result")
        # a visitor starts once the page has settled: on a busy machine its fonts can arrive
        # after the pad is ready and move it (a title rewrapped), before any stroke
        self.page.evaluate(SETTLED, self.canvas.element_handle())

    def at(self, point, box: dict | None = None) -> tuple[float, float]:
        """Screen position of a point in the pad's 640x320 drawing (`box`: the canvas's
        bounding box, when the caller already has it)."""
        box = box or self.canvas.bounding_box()
        return box["x"] + point[0] * box["width"] / CANVAS[0], box["y"] + point[1] * box["height"] / CANVAS[1]

    def canvas_positions(self) -> set[tuple[int, int]]:
        """Every place the canvas was on screen when a pointer moved over it, since the page opened."""
        return {tuple(p) for p in self.page.evaluate("window.__canvasAt")}

    def stroke(self, points, pause: float = 0.0, seconds: float | None = None) -> None:
        """One mouse stroke through `points`, `pause` seconds between points, or paced to last
        `seconds` in all (each move is a round trip to the browser, so pauses alone run long)."""
        mouse = self.page.mouse
        box = self.canvas.bounding_box()  # the hand aims where the canvas was at pen-down
        mouse.move(*self.at(points[0], box))
        mouse.down()
        start = time.monotonic()
        for i, point in enumerate(points[1:], start=1):
            mouse.move(*self.at(point, box), steps=2)
            if seconds is not None:
                time.sleep(max(0.0, start + seconds * i / (len(points) - 1) - time.monotonic()))
            elif pause:
                time.sleep(pause)
        mouse.up()

    def stroke_timing(self) -> dict:
        """The last stroke as the page saw it: its length in ms and the answers that arrived
        while the pen was down."""
        return self.page.evaluate(
            "() => ({ms: window.__lastUp - window.__lastDown, answers: window.__answers.filter("
            "a => a.t > window.__lastDown && a.t < window.__lastUp).length})"
        )

    def touch_stroke(self, points) -> None:
        """One finger stroke, as real touch input (Chromium makes pointer events of type touch).
        The finger goes where the canvas was when it touched down, as a hand does: if the page
        moves the canvas mid-stroke, the drawing shows it."""
        cdp = self.context.new_cdp_session(self.page)
        kinds = ["touchStart"] + ["touchMove"] * (len(points) - 1)
        box = self.canvas.bounding_box()
        for kind, point in zip(kinds, points):
            x, y = self.at(point, box)
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        cdp.detach()

    def write(self, number: str, height: float = 200, touch: bool = False) -> None:
        """Write a number (one digit or several) stroke by stroke, centred on the pad."""
        for digit, place in number_layout(number, CANVAS, height, brush=12):
            self.draw(digit, place, touch=touch)

    def draw(self, digit: int, place: Placement, touch: bool = False, pause: float = 0.0) -> None:
        """One hand-made digit, placed as `place` says, stroke by stroke. The canvas is scrolled
        into view first, as a visitor would (ticking the consent box on a phone scrolls it away)."""
        self.canvas.scroll_into_view_if_needed()
        for stroke in placed_strokes(digit, place):
            points = stroke[::6].tolist() + [stroke[-1].tolist()]  # a pointer event every few px
            if touch:
                self.touch_stroke(points)
            else:
                self.stroke(points, pause)

    def answers(self) -> list[dict]:
        return self.page.evaluate("window.__answers")

    def final(self, timeout: float = 30) -> dict:
        """The pad's answer to the finished drawing (waits for it): its number, `ms` from pen-up to
        the answer in the page, `painted` ms more until it was on screen, and `shown`, the text
        of the answer on the page a moment later."""
        try:
            self.page.wait_for_function(FINAL, timeout=timeout * 1000)
        except Exception as error:  # say what the page did see, for a failure far away (CI)
            seen = self.page.evaluate("({answers: window.__answers, lastUp: window.__lastUp})")
            raise AssertionError(f"no final answer after the last pen-up in {timeout} s: {seen}") from error
        time.sleep(0.2)  # long enough for anything after it to change what is shown
        return {**self.page.evaluate(FINAL), "shown": self.answer.text_content()}

    def final_answer(self, timeout: float = 30) -> str:
        """The number the pad settles on for the finished drawing, checked to be what is shown."""
        final = self.final(timeout)
        assert final["shown"] == final["number"], final
        return final["number"]

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), full_page=True)

    def close(self) -> None:
        if not self.kept:
            self.context.close()
            return
        try:
            origin = self.page.evaluate("location.origin")
            cdp = self.context.new_cdp_session(self.page)
            cdp.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": STORAGE})
            cdp.detach()
        finally:
            self.page.close()
