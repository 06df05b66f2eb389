"""Draw a digit (or a whole number); an MLP trained on MNIST reads it while you draw.

    python app.py        # serves on $GRADIO_SERVER_NAME:$GRADIO_SERVER_PORT (127.0.0.1:7860)

    app = create_app(Settings(feedback_db=tmp / "db.sqlite3"))   # in a program or a test
    app.demo.launch(); ...; app.close()

Thin on purpose: the reading happens in model/ (no Gradio there), the pad and the result panel
live in ui/. Importing this file builds nothing and writes nothing: `create_app(settings)` loads
the weights, opens the corrections database and starts its writer thread. A missing or broken
weights file stops `python app.py` with a message saying how to fix it, rather than serving
guesses. Settings come from DIGIT_* environment variables (ui/settings.py).

Hugging Face Spaces runs this file as a script, and its reloader (like `gradio app.py`) looks for
the launched Blocks in this module as `demo`; a program that imports the module and asks for
`app.demo` gets one built from the environment on first use.

On a Hugging Face ZeroGPU Space (`spaces` installed, SPACES_ZERO_GPU=true), `spaces` is imported
first, as it must be; the readings stay on the CPU and only a visitor's training borrows the GPU.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

# No network at run time (no usage analytics, no model hub look-ups; only MNIST, fetched once for
# the "Watch it learn" tab if it is not on disk), and nothing a visitor draws is kept in the
# browser for the next one (Gradio's run history is on by default).
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_RUN_HISTORY", "False")
# Gradio recomputes a pandas summary of its last 10,000 events after every event, for its
# monitoring page: 10-33 ms each here, which capped how fast a flood of queued events drains
# (issue 24, H2). Kept to the last 1,000, summed once every 1,000 events.
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1000")
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")

# On a ZeroGPU Space, `spaces` must patch torch before anything touches CUDA (ui/host.py);
# elsewhere it is usually absent, and nothing changes.
with contextlib.suppress(ImportError):
    import spaces  # noqa: F401

import anyio
import gradio as gr
import torch
from starlette.middleware import Middleware

from model import Classifier, ImageError, WeightsError, open_image, pick_device
from ui import host
from ui.admission import Busy, ReadingGate
from ui.answers import Answers, answer_pad, file_answer, load_model
from ui.clients import Clients
from ui.corrections import Corrections, correction_api, session_of
from ui.feedback import consent_html
from ui.i18n import gradio_i18n, head, label, switch
from ui.idle_queue import wait_when_idle
from ui.inside import inside_html
from ui.learn import LEARN_GROUP, TRAIN_JOINS, Learning
from ui.limits import checked_examples, door
from ui.line import FULL
from ui.pad import drawing_pad, load_examples
from ui.pad_request import MAX_PIXELS, is_live, pad_image
from ui.pad_route import PadRoute
from ui.pages import OpenPages, PageStreams
from ui.queue_room import QueueRoom
from ui.render import hint_html, pad_reply, reading_html
from ui.settings import Settings
from ui.uploads import start_sweeping, uploaded_file
from ui.words import of_payload, of_request, tables, text
from ui.workers import WorkerFailed, Workers

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE / "examples"
CSS = [HERE / "ui" / name for name in ("style.css", "pad.css", "inside.css", "feedback.css", "learn.css")]
MAX_UPLOAD = "10mb"
SESSIONS_KEPT = 1000  # Gradio's per-session state (about 50 KB each): the oldest go first
QUEUE_POLL_S = 0.01  # how often an idle queue looks for work (Gradio's own: 1 ms)
log = logging.getLogger("draw-a-digit")


def create_app(settings: Settings) -> App:
    """The app for `settings`: the weights loaded, the corrections database open (its writer
    thread started), the page built. Raises WeightsError (or ValueError) for unusable weights."""
    # Tiny batches: threads only add overhead; readings run side by side. A visitor's training on
    # the CPU gets this one thread too, at a lower priority (ui/learn.py), so readings come first.
    torch.set_num_threads(1)
    classifier = load_model(settings.weights, device=host.reading_device())
    # Readings in worker processes use every core (ui/workers.py); they load the weights themselves.
    workers = None
    if settings.workers > 0:
        workers = Workers(settings.workers, settings.weights, device=str(classifier.device))
    gate = ReadingGate(running=settings.concurrency, waiting=settings.queue_size)
    clients = Clients.from_env()  # who a request is from, for every per-client limit (ui/clients.py)
    pages = OpenPages()  # which sessions have a page open (ui/pages.py)
    corrections = Corrections.open(  # off (and says so) if the database is unusable
        settings.feedback_db,
        classifier,
        settings.weights,
        gate,
        max_bytes=settings.feedback_max_mb * 2**20,
        booth_share=settings.booth_share,
        per_client=settings.corrections_per_minute,  # per address, and per session
        overall=settings.corrections_all_per_minute,  # from everyone together
        read_elsewhere=partial(workers.call, "drawing") if workers else None,
    )
    training_device = "cuda" if host.ZERO_GPU else pick_device().type
    learning = Learning(classifier, settings.data, training_device, clients=clients, pages=pages)
    return App(settings, classifier, gate, corrections, learning, clients, pages, workers)


class App:
    """The running app's parts, and the events the page wires to them (`demo`: the page)."""

    def __init__(
        self,
        settings: Settings,
        classifier: Classifier,
        gate: ReadingGate,
        corrections: Corrections,
        learning: Learning,
        clients: Clients,
        pages: OpenPages,
        workers: Workers | None = None,
    ) -> None:
        self.settings = settings
        self.answers = Answers(classifier)  # the stateless readings, here when there are no workers
        self.workers = workers
        self.classifier = classifier
        self.gate = gate
        self.corrections = corrections
        self.learning = learning
        self.clients = clients
        self.pages = pages
        self.i18n = gradio_i18n(**{FOOTER: _footer(self)})  # Gradio's labels and Markdown, per language
        self.pad: gr.HTML | None = None  # the Draw tab's pad, set by build
        self.demo = build(self)

    def close(self) -> None:
        """Stop the reading workers, commit the queued corrections and fold the database's WAL
        in (at exit)."""
        if self.workers is not None:
            self.workers.close()
        self.corrections.close()

    # ---- the events ------------------------------------------------------------------------
    async def read_upload(self, file: dict | None, request: gr.Request) -> tuple[str, dict]:
        """The upload tab's raw value ({"path": ..., ...} of the uploaded file, or None), read as
        (result panel HTML, JSON). The message is in the page's language, or an API client's
        Accept-Language (English without one). Never raises."""
        lang = of_request(request)
        source = file.get("path") if isinstance(file, dict) else None
        if source is None:
            return file_answer(None, text("reading.upload_hint", lang), lang)
        try:
            path = str(uploaded_file(source))
        except ImageError as e:
            return file_answer(None, text("message.bad_image", lang, reason=e), lang)
        if self.workers is None:
            return await anyio.to_thread.run_sync(self.answers.file, path, lang)
        try:
            return await self.workers.call("file", path, lang)
        except WorkerFailed:
            return file_answer(None, text("message.image_failed", lang), lang)

    async def read_pad(self, payload: object) -> dict:
        """What the pad sends (ui/pad_request.py), read: the pad's own endpoint. Never raises."""
        live = is_live(payload)  # a frame sent while the pen moves: it waits behind pen-up ones
        if self.workers is None:
            return await self._admit(payload, self.answers.pad, payload, live=live)
        return await self._admit(payload, partial(self.workers.call, live=live), "pad", payload, live=live)

    async def read_learn_pad(self, payload: object, session: str | None) -> dict:
        """The "Watch it learn" pad: the same drawing read by the visitor's network and by ours."""
        # The visitor's own network lives in this process: read here, in a thread.
        return await self._admit(
            payload,
            answer_pad,
            payload,
            lambda request: self.learning.answer(request.image, session, request.key, of_payload(payload)),
            live=is_live(payload),
        )

    async def correct_pad(self, payload: object, request: gr.Request) -> dict:
        """The pad's "Right!" / "No, it was…": {"image": the drawing the cards answer, "digit": its
        index, "label": 0-9 or "not_a_digit", "consent": true}. The server reads the drawing again."""
        fields = payload if isinstance(payload, dict) else {}
        return await self.corrections.correct(
            lambda: pad_image(payload),
            fields.get("digit"),
            fields.get("label"),
            fields.get("consent"),
            await session_of(request),
            self.clients.address(request),
            of_payload(payload),
        )

    def booth(self, payload: object = None) -> dict:
        """The booth screen for the pad's empty state: today's score and where it goes wrong, in
        the language the page asks for ({"language": "zh-CN"})."""
        return self.corrections.booth(of_payload(payload))

    async def correct(
        self, image: str | None, digit: float | None, label: float | None, consent: bool, request: gr.Request
    ):
        """Teach it: digit `digit` (0 = leftmost) of the drawing in `image` is `label` (0-9). Stored
        only when `consent` is true; the server reads the image itself. Returns {"stored", "message", ...}."""
        return await self.corrections.correct(
            lambda: open_image(uploaded_file(image), max_pixels=MAX_PIXELS),
            digit,
            label,
            consent,
            request.session_hash,
            self.clients.address(request),
            of_request(request),
        )

    async def _admit(self, payload: object, fn: Callable, *args: object, live: bool = False) -> dict:
        """`fn(*args)` for the pad's `payload`, once the gate lets it in (a `live` frame after the
        others); "busy" (in the page's language) beyond the gate, "please try again" when its
        worker died."""
        try:
            return await self.gate.run(fn, *args, live=live)
        except Busy:
            lang = of_payload(payload)
            return pad_reply(None, text("message.busy", lang), busy=True, lang=lang)
        except WorkerFailed:  # its worker died or hung: it has been replaced
            lang = of_payload(payload)
            return pad_reply(None, text("message.drawing_failed", lang), lang=lang)


def build(app: App) -> gr.Blocks:
    """The page, its events wired to `app`."""
    kiosk_idle = app.settings.kiosk_idle
    # Uploaded photos are cached as files: every 5 minutes, delete those older than 10.
    with gr.Blocks(title=text("page.title"), delete_cache=(300, 600)) as demo:
        with gr.Row(equal_height=False, elem_id="header-row"):
            gr.Markdown(label("page.header_kiosk" if kiosk_idle > 0 else "page.header"), elem_id="header")
            switch()  # English / 中文 (ui/i18n.py)
        examples = load_examples(EXAMPLES / "pad.json")
        with gr.Tabs():
            with gr.Tab(label("page.tab_draw"), id="draw"):
                app.pad = drawing_pad(
                    app.read_pad,
                    examples=examples,
                    empty_html=reading_html(None),
                    inside_empty_html=inside_html(None),
                    kiosk_idle=kiosk_idle,
                    server_functions=[app.correct_pad, app.booth],
                    side_html=consent_html(),
                    js=(HERE / "ui" / "feedback.js").read_text(),
                )
            with gr.Tab(label("page.tab_upload"), id="upload"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=300):
                        photo = gr.Image(
                            label=label("page.photo_label"),
                            type="filepath",
                            image_mode=None,
                            sources=["upload", "clipboard", "webcam"],
                            elem_id="photo",
                        )
                        photos = sorted(EXAMPLES.glob("photo-*.jpg"))
                        if photos:  # .change reads it
                            checked_examples(
                                gr.Examples(
                                    [[str(p)] for p in photos],
                                    inputs=[photo],
                                    label=label("page.photo_examples"),
                                )
                            )
                    with gr.Column(scale=2, min_width=280):
                        result = gr.HTML(hint_html("reading.upload_hint"), elem_id="photo-result")
                        with gr.Accordion(label("page.photo_json"), open=False):
                            as_json = gr.JSON(label="reading", elem_id="photo-json")
            with gr.Tab(label("page.tab_learn"), id="learn"):
                app.learning.build(app.read_learn_pad, examples)
        # Raw value (preprocess=False): the app decodes the file itself, safely (model/drawing/image_io.py).
        photo.change(
            app.read_upload,
            photo,
            [result, as_json],
            api_name="read_image",
            show_progress="hidden",
            preprocess=False,
        )
        correction_api(app.correct)
        gr.Markdown(label(FOOTER, computed=True), elem_id="footer")
        demo.unload(app.learning.forget)  # a visitor's own network goes with their page
    demo.queue(max_size=app.settings.queue_size, default_concurrency_limit=app.settings.concurrency)
    # Gradio's queue looks for work every 1 ms while it has none (queueing.Queue.sleep_when_free):
    # about 6% of a core for an app nobody is using, on a Space or a laptop. Every 10 ms is soon
    # enough for what queues here (an upload, a training) while it is busy; the pad's readings
    # never queue. Idle, it waits for the next event instead (ui/idle_queue.py).
    demo._queue.sleep_when_free = QUEUE_POLL_S
    wait_when_idle(demo._queue)
    return demo


FOOTER = "page.footer_text"  # made per app, in every language: it carries the model's numbers


def _footer(app: App) -> dict[str, str]:
    """The footer in each language: {lang: Markdown}."""
    meta, network = app.classifier.metadata, app.classifier.network
    accuracy = float(meta.get("test_accuracy", "nan"))
    place = host.training_place(app.learning.training_device)  # a key of ui/strings/, or a device
    return {
        lang: text(
            "page.footer",
            lang,
            sizes=" - ".join(map(str, network.config.sizes)),
            parameters=f"{network.num_parameters():,}",
            accuracy=f"{100 * accuracy:.2f}",
            reading_device=app.classifier.device.type,
            training_place=text(place, lang)
            if place.startswith("page.")
            else text("page.place_device", lang, device=place),
            off="" if app.corrections.off_reason is None else text("page.footer_off", lang),
        )
        for lang in tables()
    }


def launch(app: App) -> None:
    """Serve the page on $GRADIO_SERVER_NAME:$GRADIO_SERVER_PORT until stopped."""
    start_sweeping(every_s=300, older_than_s=600)  # whatever Gradio leaves in its upload folder
    app.demo.launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        max_file_size=MAX_UPLOAD,
        css_paths=CSS,
        js=(HERE / "ui" / "photo.js").read_text(),  # no broken-image icon for a file that is not one
        i18n=app.i18n,  # Gradio translates our labels and Markdown (ui/strings/)
        head=head(),  # ours: the page's language for our HTML, and the switch (ui/i18n.js)
        footer_links=["api"],
        run_history=False,
        enable_monitoring=app.settings.monitoring,  # Gradio's traffic page: public when on
        state_session_capacity=SESSIONS_KEPT,  # every session hash sent makes one, forged or not
        app_kwargs=door(  # body, upload and stall limits, clean 4xx (ui/limits.py)
            client_of=app.clients.address,
            more=[
                Middleware(PageStreams, pages=app.pages),  # ui/pages.py
                Middleware(QueueRoom, blocks=app.demo, group=LEARN_GROUP, most=TRAIN_JOINS, message=FULL),
                Middleware(PadRoute, component_id=app.pad._id, read=app.read_pad),  # ui/pad_route.py
            ],
        ),
    )


def __getattr__(name: str) -> gr.Blocks:
    """`app.demo` for a program that imports this module: built from the environment on first
    use, so that importing the module alone builds nothing and writes nothing."""
    if name != "demo":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    app = create_app(Settings.from_env())
    atexit.register(app.close)
    globals()["demo"] = app.demo
    return app.demo


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    try:
        app = create_app(Settings.from_env())
    except (WeightsError, ValueError) as e:
        sys.exit(f"Cannot start: {e}")
    atexit.register(app.close)  # what was queued is committed, the WAL folded in
    demo = app.demo  # Spaces' reloader and `gradio app.py` find the launched Blocks here by name
    launch(app)
