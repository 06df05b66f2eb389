"""The drawing pad: a plain 2D canvas of our own that reads the drawing while the pen moves.

    pad = drawing_pad(read_pad, examples=load_examples(), empty_html=reading_html(None))

A `gr.HTML` component (Gradio 6's custom-HTML mechanism): the template is the canvas, its tools,
a compact answer line and the result panel; ui/pad.js draws with pointer events (mouse, finger,
stylus) and calls `read_pad` on the server through `server_functions`: one plain POST per
reading, with the drawing as a PNG data URL inside it, and no queue, no file upload, no SSE.
Measured in headless Chromium here: pen-up to answer 36 ms this way, 953 ms through Gradio's
Sketchpad (it exports and uploads three images through its WebGL editor after every stroke).

The browser keeps at most one live reading in flight per visitor, sends a live frame at most
every LIVE_MS while the pen is down, and always one on pen-up, at once (a live reading still in
flight is then stale, and its answer is dropped); a newer frame replaces one still waiting, so
a slow server gets fewer frames, never a backlog. A live answer is shown only when
the reading is sure and has no more digits than the strokes so far can hold (the pad counts them
and sends the bound with live frames as "max_digits", and the server's reading keeps to it);
otherwise the last answer stays, dimmed. What it sends is read by ui/pad_request.py.
"""

from __future__ import annotations

import functools
import html
import inspect
import json
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import gradio as gr

from model.drawing.ink import working_factor

from .words import text

HERE = Path(__file__).resolve().parent
# The pad's facts, in one home: everything else (app, tests, benchmarks) imports them from here.
CANVAS = (640, 320)  # logical drawing size: wide enough for a few digits
BRUSH = 12  # marker width on the 640x320 canvas: reads like a felt pen, and several digits fit
# What the browser sends: the strokes re-drawn at the size the reading works at anyway (a 640x320
# image is first shrunk 2x, model/drawing/ink.py). Measured here: decoding the 640x320 RGBA PNG a
# canvas exports took 3.9 ms against 0.5 ms at 320x160, more than the whole reading (1.3 ms).
EXPORT = tuple(side // working_factor(*CANVAS) for side in CANVAS)
LIVE_MS = 100  # at most one live reading this often while the pen moves
# A pen-up reading with more digits than the strokes can hold (ui/pad.js, digitsHeld) shows once
# no new stroke has begun for this long: the pause between two strokes of one digit is shorter.
REST_MS = 400
PAD_FUNCTION = "read_pad"  # the server function ui/pad.js calls


async def session_hash(request: object) -> str | None:
    """The page's Gradio session hash, in a server function that takes `request: gr.Request`.

    Gradio 6.31 hands a server function the raw Starlette request, not a gr.Request
    (gradio/routes.py, component_server); the hash is in its JSON body, which Gradio has already
    read (Starlette keeps it, so reading it again costs nothing)."""
    found = getattr(request, "session_hash", None)  # a gr.Request, should Gradio pass one
    if found is None and hasattr(request, "json"):
        try:
            body = await request.json()
        except ValueError:  # not JSON: no session to find
            return None
        found = body.get("session_hash") if isinstance(body, dict) else None
    return found if isinstance(found, str) else None


def load_examples(path: Path) -> list[list]:
    """The pad's examples, [[label, strokes], ...] in canvas pixels (examples/make_examples.py)."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return []  # no examples is a smaller pad, not a broken one


def drawing_pad(
    read: Callable[..., Awaitable[dict]],
    examples: list[list],
    empty_html: str,
    inside_empty_html: str | None = None,
    kiosk_idle: float = 0,
    elem_id: str = "pad",
    server_functions: Sequence[Callable] = (),
    side_html: str = "",
    js: str = "",
    per_session: bool = False,
) -> gr.HTML:
    """The pad component. `await read(payload)` answers the browser's calls; it must return
    {"html": result cards, "number": str, "sure": bool, "reading": dict | None, "busy": bool,
    "inside": panel HTML or None} and never raise. `inside_empty_html`, when given, adds a "Look
    inside the network" panel: while it is open the pad asks for it with every reading
    (payload "inside": the digit's index). `kiosk_idle` > 0 clears the pad after that many idle
    seconds and enlarges the controls. `server_functions` are more functions the page may call,
    `side_html` goes under the result cards and `js` runs after ui/pad.js, in its scope (the
    corrections, ui/feedback.py). `per_session`: `read(payload, session_hash)`, for answers that
    depend on the visitor (their own network)."""

    # An async server function runs on the event loop, so `read` can refuse work before any
    # thread is taken.
    if per_session:

        async def read_pad(payload: object, request: gr.Request) -> dict:
            return await read(payload, await session_hash(request))
    else:

        async def read_pad(payload: object) -> dict:
            return await read(payload)

    read_pad.__name__ = PAD_FUNCTION  # the name ui/pad.js calls
    return gr.HTML(
        html_template=_template(examples, empty_html, inside_empty_html, kiosk_idle, side_html),
        js_on_load=(HERE / "png.js").read_text() + (HERE / "pad.js").read_text() + js,
        server_functions=[read_pad, *map(_plain, server_functions)],
        apply_default_css=False,
        elem_id=elem_id,
        elem_classes=["drawing-pad"],
    )


def _plain(fn: Callable) -> Callable:
    """`fn` as a plain function: Gradio marks a server function with an attribute, and a bound
    method (the app's events) cannot take one. The name and signature stay `fn`'s."""
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def call(*args: object) -> object:
            return await fn(*args)
    else:

        @functools.wraps(fn)
        def call(*args: object) -> object:
            return fn(*args)

    return call


def _template(
    examples: list[list],
    empty_html: str,
    inside_empty_html: str | None,
    kiosk_idle: float,
    side_html: str = "",
) -> str:
    """The pad's HTML. Gradio renders it as a JS template string: no backticks, no `${`."""
    buttons = "".join(
        f'<button type="button" class="example" data-example="{i}" data-testid="example-{name}">'
        f"{name}</button>"
        for i, name in enumerate(html.escape(label) for label, _ in examples)
    )
    strokes = html.escape(json.dumps([s for _, s in examples], separators=(",", ":")))
    kiosk = " kiosk" if kiosk_idle > 0 else ""
    template = f"""
<div class="pad{kiosk}" data-testid="pad" data-width="{CANVAS[0]}" data-height="{CANVAS[1]}"
     data-export-width="{EXPORT[0]}" data-export-height="{EXPORT[1]}"
     data-brush="{BRUSH}" data-live-ms="{LIVE_MS}" data-rest-ms="{REST_MS}" data-kiosk-idle="{kiosk_idle:g}"
     data-examples="{strokes}">
  <div class="pad-main">
    <div class="pad-bar">
      <p class="pad-answer" aria-live="polite">
        <span class="pad-label" data-i18n="pad.i_see">{text("pad.i_see")}</span>
        <output data-testid="answer"></output>
        <span class="pad-unsure" data-i18n="pad.not_sure">{text("pad.not_sure")}</span>
        <span class="pad-not-digit" data-testid="not-a-digit"
              data-i18n="pad.not_a_digit">{text("pad.not_a_digit")}</span></p>
      <div class="pad-tools">
        <button type="button" class="tool" data-testid="undo" title="{text("pad.undo_title")}" disabled
                data-i18n="pad.undo" data-i18n-title="pad.undo_title">{text("pad.undo")}</button>
        <button type="button" class="tool" data-testid="clear" title="{text("pad.clear_title")}" disabled
                data-i18n="pad.clear" data-i18n-title="pad.clear_title">{text("pad.clear")}</button>
      </div>
    </div>
    <div class="pad-surface">
      <canvas class="pad-canvas" data-testid="canvas" role="img"
              aria-label="{text("pad.canvas_label")}" data-i18n-label="pad.canvas_label"></canvas>
      <p class="pad-prompt" data-i18n="pad.prompt">{text("pad.prompt")}</p>
    </div>
    {_examples(buttons) if examples else ""}
  </div>
  <div class="pad-side">
    <div class="pad-result" data-testid="result">{empty_html}</div>{side_html}
    <details class="pad-json"><summary data-i18n="pad.json">{text("pad.json")}</summary>
      <pre data-testid="json"></pre></details>
  </div>
  {_inside(inside_empty_html)}
  <template class="pad-empty">{empty_html}</template>
</div>
"""
    if "`" in template or "${" in template:
        raise ValueError("the pad's template must not contain backticks or ${")
    return template


def _examples(buttons: str) -> str:
    label = f'<span data-i18n="pad.examples">{text("pad.examples")}</span>'
    return f'<div class="pad-examples">{label}{buttons}</div>'


def _inside(empty_html: str | None) -> str:
    if empty_html is None:
        return ""
    return (
        '<details class="pad-inside" data-testid="inside-toggle">'
        f'<summary data-i18n="pad.inside_summary">{text("pad.inside_summary")}</summary>'
        f'<div class="pad-inside-body" data-testid="inside-panel">{empty_html}</div>'
        f'<template class="pad-inside-empty">{empty_html}</template></details>'
    )
