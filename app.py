"""Draw a digit (or a whole number); an MLP trained on MNIST reads it while you draw.

    python app.py        # serves on $GRADIO_SERVER_NAME:$GRADIO_SERVER_PORT (127.0.0.1:7860)

Thin on purpose: the reading happens in model/ (no Gradio there), the pad and the result panel
live in ui/. The weights are loaded once, at start-up; a missing or broken file stops the app
with a message saying how to fix it, rather than serving guesses.

Settings (environment variables): DIGIT_WEIGHTS (another weights file), DIGIT_KIOSK_IDLE
(seconds: a booth tablet's pad clears itself after that long without drawing, with a short
header and large buttons), DIGIT_CONCURRENCY and DIGIT_QUEUE_SIZE (readings at once, and waiting),
DIGIT_FEEDBACK_DB (where visitors' corrections are kept, only with their consent; default
data/corrections.sqlite3 beside this file), DIGIT_FEEDBACK_MAX_MB (its size cap: 256),
DIGIT_BOOTH_SHARE (rows one visitor counts on the booth screen a day: 100),
DIGIT_CORRECTIONS_PER_MINUTE and DIGIT_CORRECTIONS_ALL_PER_MINUTE (per address and overall: 30,
120), DIGIT_DATA (where the "Watch it learn" tab finds MNIST, or downloads it: ./data),
DIGIT_BEHIND_PROXY and DIGIT_PROXY_HOPS (believe X-Forwarded-For from that many proxies: on,
1, on a Space; ui/clients.py).

On a Hugging Face ZeroGPU Space (`spaces` installed, SPACES_ZERO_GPU=true), `spaces` is imported
first, as it must be; the readings stay on the CPU and only a visitor's training borrows the GPU.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sys
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

import gradio as gr
import numpy as np
import torch
from starlette.middleware import Middleware

from model import (
    ImageError,
    Reading,
    WeightsError,
    explain,
    load_classifier,
    open_image,
    pick_device,
    read_drawing,
)
from model.feedback import DEFAULT_DB
from model.weights import DEFAULT_WEIGHTS
from ui import host
from ui.admission import Busy, ReadingGate
from ui.clients import Clients
from ui.corrections import Corrections, correction_api, session_of
from ui.feedback import consent_html
from ui.inside import inside_html
from ui.learn import LEARN_GROUP, TRAIN_JOINS, Learning
from ui.limits import checked_examples, door
from ui.line import FULL
from ui.pad import MAX_PIXELS, drawing_pad, inside_wanted, load_examples, pad_png
from ui.pages import OpenPages, PageStreams
from ui.queue_room import QueueRoom
from ui.render import HINT, pad_reply, reading_html
from ui.uploads import start_sweeping, uploaded_file

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE / "examples"
QUEUE_SIZE = int(os.environ.get("DIGIT_QUEUE_SIZE", 256))  # waiting readings before "busy, try again"
CONCURRENCY = int(os.environ.get("DIGIT_CONCURRENCY", 4))  # readings worked on at once
KIOSK_IDLE = float(os.environ.get("DIGIT_KIOSK_IDLE", 0) or 0)  # > 0: a booth tablet's idle reset
FEEDBACK_DB = os.environ.get("DIGIT_FEEDBACK_DB") or str(HERE / DEFAULT_DB)
WEIGHTS = os.environ.get("DIGIT_WEIGHTS") or DEFAULT_WEIGHTS
DATA = Path(os.environ.get("DIGIT_DATA") or HERE / "data")  # MNIST for the "Watch it learn" tab
FEEDBACK_MAX_MB = int(os.environ.get("DIGIT_FEEDBACK_MAX_MB") or 256)  # then "corrections are full"
BOOTH_SHARE = int(os.environ.get("DIGIT_BOOTH_SHARE") or 100)  # rows one visitor counts on the booth
SESSIONS_KEPT = 1000  # Gradio's per-session state (about 50 KB each): the oldest go first
MAX_UPLOAD = "10mb"
BUSY = "Lots of people are drawing right now: your answer is coming in a moment."
log = logging.getLogger("draw-a-digit")


def load_model():
    try:
        clf = load_classifier(WEIGHTS, device=host.reading_device())
    except (WeightsError, ValueError) as e:
        sys.exit(f"Cannot start: {e}")
    read_drawing(np.full((8, 8), 255, np.uint8), clf)  # warm up, so the first visitor waits no longer
    clf.predict_proba(torch.zeros(1, 1, 28, 28))
    return clf


# Tiny batches: threads only add overhead; readings run side by side. A visitor's training on
# the CPU gets this one thread too, at a lower priority (ui/learn.py), so readings come first.
torch.set_num_threads(1)
classifier = load_model()
gate = ReadingGate(running=CONCURRENCY, waiting=QUEUE_SIZE)
clients = Clients.from_env()  # who a request is from, for every per-client limit (ui/clients.py)
pages = OpenPages()  # which sessions have a page open (ui/pages.py)
corrections = Corrections.open(  # off (and says so) if unusable
    FEEDBACK_DB,
    classifier,
    WEIGHTS,
    gate,
    max_bytes=FEEDBACK_MAX_MB * 2**20,
    booth_share=BOOTH_SHARE,
    per_client=int(os.environ.get("DIGIT_CORRECTIONS_PER_MINUTE") or 30),  # per address, and per session
    overall=int(os.environ.get("DIGIT_CORRECTIONS_ALL_PER_MINUTE") or 120),  # from everyone together
)
atexit.register(corrections.close)  # what was queued is committed, the WAL folded in
learning = Learning(
    classifier,
    DATA,
    training_device="cuda" if host.ZERO_GPU else pick_device().type,
    clients=clients,
    pages=pages,
)


def read_file(source: object) -> tuple[str, dict]:
    """Reading of an uploaded image file as (result panel HTML, JSON). Never raises."""
    if source is None:
        return _answer(None, HINT)
    try:
        reading = read_drawing(open_image(uploaded_file(source), max_pixels=MAX_PIXELS), classifier)
    except ImageError as e:
        return _answer(None, f"Sorry, I can't read that image: {e}.")
    except Exception:  # a visitor never sees a traceback; the log keeps it
        log.exception("reading failed")
        return _answer(None, "Something went wrong reading that image. Please try again.")
    return _answer(reading, "" if reading.digits else HINT)


def read_upload(file: dict | None) -> tuple[str, dict]:
    """The upload tab's raw value: {"path": ..., ...} of the uploaded file, or None."""
    return read_file(file.get("path") if isinstance(file, dict) else None)


async def read_pad(payload: object) -> dict:
    """What the pad sends, {"image": PNG data URL}, read: the pad's own endpoint. Never raises."""
    return await _admit(_read_pad, payload)


async def read_learn_pad(payload: object, session: str | None) -> dict:
    """The "Watch it learn" pad: the same drawing read by the visitor's network and by ours."""
    key = payload.get("key") if isinstance(payload, dict) else None  # the page's network (ui/learn.py)
    return await _admit(_answer_pad, payload, lambda image: learning.answer(image, session, key))


async def _admit(fn, *args) -> dict:
    try:
        return await gate.run(fn, *args)
    except Busy:
        return pad_reply(None, BUSY, busy=True)


async def correct_pad(payload: object, request: gr.Request) -> dict:
    """The pad's "Right!" / "No, it was…": {"image": the drawing the cards answer, "digit": its
    index, "label": 0-9, "consent": true}. The server reads the drawing again itself."""
    fields = payload if isinstance(payload, dict) else {}
    return await corrections.correct(
        lambda: open_image(pad_png(payload), max_pixels=MAX_PIXELS),
        fields.get("digit"),
        fields.get("label"),
        fields.get("consent"),
        await session_of(request),
        clients.address(request),
    )


def booth(payload: object = None) -> dict:
    """The booth screen for the pad's empty state: today's score and where it goes wrong."""
    return corrections.booth()


async def correct(
    image: str | None, digit: float | None, label: float | None, consent: bool, request: gr.Request
):
    """Teach it: digit `digit` (0 = leftmost) of the drawing in `image` is `label` (0-9). Stored
    only when `consent` is true; the server reads the image itself. Returns {"stored", "message", ...}."""
    return await corrections.correct(
        lambda: open_image(uploaded_file(image), max_pixels=MAX_PIXELS),
        digit,
        label,
        consent,
        request.session_hash,
        clients.address(request),
    )


def _read_pad(payload: object) -> dict:
    def answer(image) -> dict:
        reading = read_drawing(image, classifier)
        inside = _inside_panel(reading, inside_wanted(payload))
        return pad_reply(reading, "" if reading.digits else HINT, inside)

    return _answer_pad(payload, answer)


def _answer_pad(payload: object, answer) -> dict:
    """The pad's drawing decoded, checked and answered by `answer(image)`. Never raises."""
    try:
        return answer(open_image(pad_png(payload), max_pixels=MAX_PIXELS))
    except ImageError as e:  # not a drawing: wrong shape, not a data URL, not base64, too big, broken
        return pad_reply(None, f"Sorry, I can't read that drawing: {e}.")
    except Exception:
        log.exception("reading failed")
        return pad_reply(None, "Something went wrong reading that drawing. Please try again.")


def _inside_panel(reading: Reading, digit: int | None) -> str | None:
    """The "Look inside" panel for one digit of the reading; None while the panel is closed."""
    if digit is None:
        return None  # closed: no extra work
    if not reading.digits:
        return inside_html(None)
    chosen = reading.digits[min(digit, len(reading.digits) - 1)]
    return inside_html(explain(classifier, chosen.image))


def _answer(reading: Reading | None, message: str) -> tuple[str, dict]:
    result = reading.to_dict() if reading is not None else {"number": "", "digits": []}
    result["message"] = message
    return reading_html(reading, message or None), result


def build() -> gr.Blocks:
    # Uploaded photos are cached as files: every 5 minutes, delete those older than 10.
    with gr.Blocks(title="Draw a digit", delete_cache=(300, 600)) as demo:
        if KIOSK_IDLE > 0:
            gr.Markdown("# Draw a digit", elem_id="header")
        else:
            gr.Markdown(
                "# Draw a digit\nA small neural network, trained on MNIST, reads it while you draw. "
                "Try a whole number, too.",
                elem_id="header",
            )
        examples = load_examples(EXAMPLES / "pad.json")
        with gr.Tabs():
            with gr.Tab("Draw", id="draw"):
                drawing_pad(
                    read_pad,
                    examples=examples,
                    empty_html=reading_html(None),
                    inside_empty_html=inside_html(None),
                    kiosk_idle=KIOSK_IDLE,
                    server_functions=[correct_pad, booth],
                    side_html=consent_html(),
                    js=(HERE / "ui" / "feedback.js").read_text(),
                )
            with gr.Tab("Upload a photo", id="upload"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=300):
                        photo = gr.Image(
                            label="A photo or scan of a handwritten digit",
                            type="filepath",
                            image_mode=None,
                            sources=["upload", "clipboard", "webcam"],
                            elem_id="photo",
                        )
                        photos = sorted(EXAMPLES.glob("photo-*.jpg"))
                        if photos:  # .change reads it
                            checked_examples(
                                gr.Examples(
                                    [[str(p)] for p in photos], inputs=[photo], label="Example photos"
                                )
                            )
                    with gr.Column(scale=2, min_width=280):
                        result = gr.HTML(reading_html(None), elem_id="photo-result")
                        with gr.Accordion("Result as JSON (what the API returns)", open=False):
                            as_json = gr.JSON(label="reading", elem_id="photo-json")
            with gr.Tab("Watch it learn", id="learn"):
                learning.build(read_learn_pad, examples)
        # Raw value (preprocess=False): the app decodes the file itself, safely (model/drawing/image_io.py).
        photo.change(
            read_upload,
            photo,
            [result, as_json],
            api_name="read_image",
            show_progress="hidden",
            preprocess=False,
        )
        correction_api(correct)
        gr.Markdown(_footer(), elem_id="footer")
        demo.unload(learning.forget)  # a visitor's own network goes with their page
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=CONCURRENCY)
    return demo


def _footer() -> str:
    meta = classifier.metadata
    accuracy = float(meta.get("test_accuracy", "nan"))
    return (
        f"<small>Model: MLP {' - '.join(map(str, classifier.network.config.sizes))}, "
        f"{classifier.network.num_parameters():,} parameters, {100 * accuracy:.2f}% on the 10,000 "
        f"MNIST test digits; reading runs on {classifier.device.type}, a visitor's training on "
        f"{host.training_place(learning.training_device)}. Nothing you draw is stored, "
        "in this browser or on the server, unless you tick “Keep the digits I mark”: then only the "
        "digits you mark right or wrong are kept, on the server."
        + ("" if corrections.off_reason is None else " Corrections are off on this server right now.")
        + "</small>"
    )


demo = build()

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    start_sweeping(every_s=300, older_than_s=600)  # whatever Gradio leaves in its upload folder
    demo.launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        max_file_size=MAX_UPLOAD,
        css_paths=[
            HERE / "ui" / name for name in ("style.css", "pad.css", "inside.css", "feedback.css", "learn.css")
        ],
        footer_links=["api"],
        run_history=False,
        enable_monitoring=os.environ.get("DIGIT_MONITORING") == "1",  # Gradio's traffic page: public when on
        state_session_capacity=SESSIONS_KEPT,  # every session hash sent makes one, forged or not
        app_kwargs=door(  # body, upload and stall limits, clean 4xx (ui/limits.py)
            client_of=clients.address,
            more=[
                Middleware(PageStreams, pages=pages),  # ui/pages.py
                Middleware(QueueRoom, blocks=demo, group=LEARN_GROUP, most=TRAIN_JOINS, message=FULL),
            ],
        ),
    )
