"""The app's side of visitors' corrections: check, re-read, store, answer in plain words.

    corrections = Corrections.open(db_path, classifier, weights_path, gate)   # off if it can't be used
    reply = await corrections.correct(open_drawing, 0, 7, True, session=h, address=clients.address(r))
    corrections.booth()     # {"html": booth screen, "on": bool}

The reading a visitor corrects is the server's own: the request carries the drawing itself (the
pad sends back exactly the image it was answered on), and the server reads it again, through the
same bounded gate as every reading (in a reading worker process when there are any). No number
a client sends about the model's answer is believed, and nothing about a drawing is kept in
memory waiting for a correction that may never come. Re-reading costs one reading (a few
milliseconds) per correction.

Order of checks, cheapest first: consent (without it nothing is done at all), feedback on, the
label, the digit's index, the rate limits, then the drawing. Every refusal is a reply with a
message, never an exception.

Limits (a session hash is the client's own choice, so it is never the only key):
  - per client address (ui/clients.py): PER_CLIENT a minute, BURST at once, whatever sessions;
  - per session: the same, so one page of many behind one address is held to it too;
  - all visitors together: OVERALL a minute;
  - the database: at most `max_bytes` (model/feedback/store.py), then "corrections are full";
  - the booth screen: each session, and each address, counts at most `booth_share` rows a day.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

import anyio
import gradio as gr
from PIL import Image

from model import Classifier, ImageError, Reading, read_drawing
from model.feedback import (
    DEFAULT_MAX_BYTES,
    Correction,
    FeedbackBusy,
    FeedbackError,
    FeedbackFull,
    FeedbackOff,
    FeedbackStore,
    LabelError,
    anonymous,
    parse_label,
    start_of_today,
    weights_digest,
)

from .admission import Busy, ReadingGate
from .feedback import booth_html
from .ratelimit import RateLimit
from .words import DEFAULT, text
from .workers import WorkerFailed

CORRECT_FUNCTION, BOOTH_FUNCTION = "correct_pad", "booth"  # the page's server functions (app.py)
# The replies' words in English (ui/strings/): each visitor gets them in their language.
NO_CONSENT = text("corrections.no_consent")
KEPT = text("corrections.kept")
TOO_MANY = text("corrections.too_many")
BUSY = text("corrections.busy")
FULL = text("corrections.full")
ACK_TIMEOUT_S = 30
BOOTH_CACHE_S = 2.0  # a crowd of idle kiosks asks for the booth screen often: count at most this often
PER_CLIENT, BURST = 30, 12  # corrections a minute, and at once, per address and per session
OVERALL = 120  # corrections a minute from everyone together (a quarter of it at once)
BOOTH_SHARE = 100  # rows one session or address counts on today's booth screen
CLIENTS_KEPT = 50_000  # sessions whose address the booth remembers (its oldest are forgotten)
log = logging.getLogger("draw-a-digit")


class Corrections:
    """Corrections from the pad and the API, into one store (or politely refused when off)."""

    def __init__(
        self,
        store: FeedbackStore | None,
        classifier: Classifier,
        weights: str,
        gate: ReadingGate,
        off_reason: str | None = None,
        booth_share: int | None = BOOTH_SHARE,
        per_client: int = PER_CLIENT,
        overall: int = OVERALL,
        read_elsewhere: Callable[[Image.Image], Awaitable[Reading]] | None = None,
    ) -> None:
        self.store = store
        self.read_elsewhere = read_elsewhere  # the reading workers (ui/workers.py), when there are any
        self.classifier = classifier
        self.weights = weights
        self.gate = gate
        self.per_client = RateLimit(per_minute=per_client, burst=min(BURST, per_client))
        self.per_session = RateLimit(per_minute=per_client, burst=min(BURST, per_client))
        self.overall = RateLimit(per_minute=overall, burst=max(1, overall // 4))
        self.booth_share = booth_share
        self._off_reason = off_reason if store is None else None
        self._booth: dict[str, tuple[float, dict]] = {}  # language -> (when, screen)
        # stored (anonymous) session -> anonymous address, for the booth's per-address share
        self._clients: OrderedDict[str, str] = OrderedDict()

    @classmethod
    def open(
        cls,
        path: str | Path,
        classifier: Classifier,
        weights_path: str | Path,
        gate: ReadingGate,
        max_bytes: int | None = DEFAULT_MAX_BYTES,
        booth_share: int | None = BOOTH_SHARE,
        per_client: int = PER_CLIENT,
        overall: int = OVERALL,
        read_elsewhere: Callable[[Image.Image], Awaitable[Reading]] | None = None,
    ) -> Corrections:
        """Open the database at `path`; when it cannot be used, corrections are off (and the log
        says why) but the app starts and reads as ever."""
        try:
            store, reason = FeedbackStore.open(path, max_bytes=max_bytes), None
        except FeedbackOff as e:
            store, reason = None, str(e)
            log.warning("Corrections are off: %s", reason)
        digest = weights_digest(weights_path)
        limits = {"booth_share": booth_share, "per_client": per_client, "overall": overall}
        limits["read_elsewhere"] = read_elsewhere
        return cls(store, classifier, digest, gate, off_reason=reason, **limits)

    @property
    def off_reason(self) -> str | None:
        """Why corrections are off (for the log and the operator), or None while they work."""
        return self._off_reason or (self.store.off_reason if self.store is not None else "no database")

    async def correct(
        self,
        drawing: Callable[[], Image.Image],
        digit: object,
        label: object,
        consent: object,
        session: str | None,
        address: str,
        lang: str = DEFAULT,
    ) -> dict:
        """Store digit `digit` of the drawing `drawing()` opens, as `label`; the reply says what
        happened, its message in `lang`: {"stored": bool, "message": str, "off": bool, and when
        stored "id", "label", "answer"}."""
        say = partial(text, lang=lang)
        if consent is not True:
            return _reply(False, say("corrections.no_consent"))
        if self.off_reason is not None:
            return _reply(False, say("feedback.off"), off=True)
        try:
            label = parse_label(label)
            index = _index(digit)
        except LabelError as e:
            return _reply(False, say("corrections.not_kept", reason=e))
        refused = self._limited(session or "", address)
        if refused:
            return _reply(False, say(refused))
        try:
            reader = self._read if self.read_elsewhere is None else self._read_in_worker
            image, reading = await self.gate.run(reader, drawing)
        except (Busy, WorkerFailed):
            return _reply(False, say("corrections.busy"))
        except ImageError as e:
            return _reply(False, say("corrections.unreadable", reason=e))
        if index >= len(reading.digits):
            count = len(reading.digits)
            found = say("corrections.has_some", count=count) if count else say("corrections.has_none")
            return _reply(False, say("corrections.no_such_digit", position=index + 1, found=found))
        row = Correction.of(reading, index, label, image, weights=self.weights, session=anonymous(session))
        try:
            row_id = await asyncio.wait_for(asyncio.wrap_future(self.store.submit(row)), ACK_TIMEOUT_S)
        except FeedbackOff:
            return _reply(False, say("feedback.off"), off=True)
        except FeedbackFull as e:
            log.warning("Corrections are full: %s", e)
            return _reply(False, say("corrections.full"))
        except (FeedbackBusy, asyncio.TimeoutError):
            return _reply(False, say("corrections.busy"))
        except FeedbackError as e:
            return _reply(False, say("corrections.not_kept", reason=e))
        self._booth = {}  # the score changed
        self._remember(row.session, anonymous(address))
        return {
            **_reply(True, say("corrections.kept")),
            "id": row_id,
            "label": row.label,
            "answer": row.answer,
        }

    def booth(self, lang: str = DEFAULT) -> dict:
        """The booth screen for the pad's empty state, in `lang`: {"html", "on"}; never raises."""
        now = time.monotonic()
        cached = self._booth.get(lang)
        if cached is not None and now - cached[0] < BOOTH_CACHE_S:
            return cached[1]
        on = self.off_reason is None
        tally = None
        if self.store is not None:
            try:
                tally = self.store.tally(start_of_today(), self.booth_share, self._clients.get)
            except Exception:  # a damaged file: the screen shows the hint, the log says why
                log.exception("could not count today's corrections")
        screen = {"html": booth_html(tally, on=on, lang=lang), "on": on}
        self._booth[lang] = (now, screen)
        return screen

    def close(self) -> None:
        """Commit what is queued and close the database (at exit)."""
        if self.store is not None:
            self.store.close()

    def _limited(self, session: str, address: str) -> str | None:
        """The message's key when a limit says no, else None. The address first: a client that
        sends a new session hash each time is stopped before each new hash costs a bucket."""
        if not self.per_client.allow(address) or not self.per_session.allow(session):
            return "corrections.too_many"
        if not self.overall.allow(""):
            return "corrections.busy"
        return None

    def _remember(self, session: str, client: str) -> None:
        self._clients[session] = client
        self._clients.move_to_end(session)
        while len(self._clients) > CLIENTS_KEPT:
            self._clients.popitem(last=False)

    def _read(self, drawing: Callable[[], Image.Image]) -> tuple[Image.Image, Reading]:
        image = drawing()
        return image, read_drawing(image, self.classifier)

    async def _read_in_worker(self, drawing: Callable[[], Image.Image]) -> tuple[Image.Image, Reading]:
        image = await anyio.to_thread.run_sync(drawing)  # decoded here: the stored row keeps it
        return image, await self.read_elsewhere(image)


def correction_api(fn: Callable) -> None:
    """The documented API endpoint `/correct`: `fn(image, digit, label, consent, request)`, the
    image a file path. Built from hidden components so that Gradio checks the uploaded file (it
    must be one of this server's uploads) before `fn` sees its path."""
    with gr.Group(visible=False):
        image = gr.File(label="image", type="filepath")
        digit = gr.Number(label="digit", value=0, precision=None)
        label = gr.Number(label="label", value=None, precision=None)
        consent = gr.Checkbox(label="consent", value=False)
        reply = gr.JSON(label="reply")
        trigger = gr.Button("correct")
    trigger.click(fn, [image, digit, label, consent], reply, api_name="correct", show_progress="hidden")


async def session_of(request: object) -> str | None:
    """The Gradio session hash of a call. A queued event's gr.Request has it; a server function
    (the pad's) is handed the raw Starlette request instead, whose JSON body carries it."""
    found = getattr(request, "session_hash", None)
    if found or not hasattr(request, "json"):
        return found
    try:
        body = await request.json()  # already read by Gradio: Starlette keeps it
    except Exception:
        return None
    return body.get("session_hash") if isinstance(body, dict) else None


def _index(value: object) -> int:
    """Which digit of a number (0 = the leftmost): a whole number >= 0."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 100:
        return value
    raise LabelError(f"the digit's position must be a whole number from 0 (got {repr(value)[:20]})")


def _reply(stored: bool, message: str, off: bool = False) -> dict:
    return {"stored": stored, "message": message, "off": off}
