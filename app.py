"""Draw a digit (or a whole number); an MLP trained on MNIST says what it sees, after every stroke.

    python app.py        # serves on $GRADIO_SERVER_NAME:$GRADIO_SERVER_PORT (127.0.0.1:7860)

Thin on purpose: the reading happens in model/ (no Gradio there), the pad and the result panel
live in ui/. The weights are loaded once, at start-up; a missing or broken file stops the app
with a message saying how to fix it, rather than serving guesses.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

# No network at run time: no usage analytics, no model hub look-ups.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr
import numpy as np
import torch

from model import ImageError, WeightsError, load_classifier
from model.drawing.image_io import open_image
from model.reading import Reading, read_drawing
from model.weights import DEFAULT_WEIGHTS
from ui.render import HINT, reading_html
from ui.sketchpad import CLEAR_JS, SELECT_BRUSH_JS, DigitSketchpad

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE / "examples"
CANVAS = (640, 320)  # wide enough for a few digits, small enough to show at 100% zoom
BRUSH = 12  # px on the 640x320 canvas; reads like a felt pen, and several digits fit
# Load settings (bench/crowd.py measured them; the environment variables are for trying others).
QUEUE_SIZE = int(os.environ.get("DIGIT_QUEUE_SIZE", 256))  # waiting requests before "busy, try again"
CONCURRENCY = int(os.environ.get("DIGIT_CONCURRENCY", 4))  # requests worked on at once
BATCH = int(os.environ.get("DIGIT_BATCH", 8))  # >1: queued drawings are read together, up to this many
MAX_UPLOAD = "10mb"
log = logging.getLogger("draw-a-digit")


def load_model():
    try:
        clf = load_classifier(os.environ.get("DIGIT_WEIGHTS") or DEFAULT_WEIGHTS)
    except (WeightsError, ValueError) as e:
        sys.exit(f"Cannot start: {e}")
    read_drawing(np.full((8, 8), 255, np.uint8), clf)  # warm up, so the first visitor waits no longer
    clf.predict_proba(torch.zeros(1, 1, 28, 28))
    return clf


torch.set_num_threads(1)  # tiny batches: threads only add overhead; requests run side by side
classifier = load_model()


def read_file(source: str | bytes | None) -> tuple[str, dict]:
    """Reading of an image file (path or bytes) as (result panel HTML, JSON). Never raises."""
    if source is None:
        return _answer(None, HINT)
    try:
        reading = read_drawing(open_image(source), classifier)
    except ImageError as e:
        return _answer(None, f"Sorry, I can't read that image: {e}.")
    except Exception:  # a visitor never sees a traceback; the log keeps it
        log.exception("reading failed")
        return _answer(None, "Something went wrong reading that image. Please try again.")
    return _answer(reading, "" if reading.digits else HINT)


def read_upload(file: dict | None) -> tuple[str, dict]:
    """The upload tab's raw value: {"path": ..., ...} of the uploaded file, or None."""
    return read_file(file.get("path") if isinstance(file, dict) else None)


def _answer(reading: Reading | None, message: str) -> tuple[str, dict]:
    result = reading.to_dict() if reading is not None else {"number": "", "digits": []}
    result["message"] = message
    return reading_html(reading, message or None), result


def _batched(read):
    """The same reading for Gradio's batch mode: lists in, a list per output back."""

    def read_all(values: list) -> tuple[list, list]:
        panels, readings = zip(*(read(v) for v in values)) if values else ((), ())
        return list(panels), list(readings)

    return read_all


def build() -> gr.Blocks:
    # Uploaded strokes are cached as files: every 5 minutes, delete those older than 10.
    with gr.Blocks(title="Draw a digit", delete_cache=(300, 600)) as demo:
        gr.Markdown("# Draw a digit\nA small neural network, trained on MNIST, reads it as you draw.")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                with gr.Tabs():
                    with gr.Tab("Draw", id="draw"):
                        pad = DigitSketchpad(
                            elem_id="pad",
                            canvas_size=CANVAS,
                            fixed_canvas=True,
                            image_mode="L",
                            type="numpy",
                            brush=gr.Brush(
                                default_size=BRUSH,
                                colors=["#111111"],
                                default_color="#111111",
                                color_mode="fixed",
                            ),
                            eraser=gr.Eraser(default_size=BRUSH * 2),
                            layers=False,
                            transforms=(),
                            sources=(),
                            show_label=False,
                            buttons=[],
                            height=CANVAS[1] + 100,
                        )
                        clear = gr.Button("Clear", elem_id="clear", variant="secondary")
                    with gr.Tab("Upload a photo", id="upload"):
                        photo = gr.Image(
                            label="A photo or scan of a handwritten digit",
                            type="filepath",
                            image_mode=None,
                            sources=["upload", "clipboard", "webcam"],
                            elem_id="photo",
                        )
            with gr.Column(scale=2, min_width=280):
                result = gr.HTML(reading_html(None), label="result", elem_id="result")
                with gr.Accordion("Result as JSON (what the API returns)", open=False):
                    as_json = gr.JSON(label="reading", elem_id="json")

        def read_sketch(value: dict | None) -> tuple[str, dict]:
            """The pad's raw value {"background", "layers", "composite", "id"}: read the composite."""
            return read_file(pad.take_composite(value))

        # After every stroke; if strokes come faster than answers, only the latest is read. Raw
        # values (preprocess=False): the app decodes the files itself, safely (model/image_io.py).
        pad.change(
            _batched(read_sketch) if BATCH > 1 else read_sketch,
            pad,
            [result, as_json],
            api_name="read_sketch",
            show_progress="hidden",
            trigger_mode="always_last",
            batch=BATCH > 1,
            max_batch_size=max(BATCH, 1),
            preprocess=False,
        )
        photo.change(
            read_upload,
            photo,
            [result, as_json],
            api_name="read_image",
            show_progress="hidden",
            preprocess=False,
        )
        clear.click(
            lambda: (reading_html(None), None),
            None,
            [result, as_json],
            js=CLEAR_JS,
            api_visibility="private",
            show_progress="hidden",
        )

        examples = sorted(EXAMPLES.glob("drawn-*.png"))
        if examples:
            gr.Examples(
                [[str(p)] for p in examples],
                inputs=[pad],
                outputs=[result, as_json],
                fn=read_sketch,
                run_on_click=True,
                cache_examples=False,
                preprocess=False,
                label="Examples: click one",
                api_visibility="private",
            )
        photos = sorted(EXAMPLES.glob("photo-*.jpg"))
        if photos:
            gr.Examples(
                [[str(p)] for p in photos], inputs=[photo], label="Example photos"
            )  # .change reads it
        gr.Markdown(_footer())

        demo.load(None, None, None, js=SELECT_BRUSH_JS)
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=CONCURRENCY)
    return demo


def _footer() -> str:
    meta = classifier.metadata
    accuracy = float(meta.get("test_accuracy", "nan"))
    return (
        f"<small>Model: MLP {' - '.join(map(str, classifier.network.config.sizes))}, "
        f"{classifier.network.num_parameters():,} parameters, {100 * accuracy:.2f}% on the 10,000 "
        f"MNIST test digits; running on {classifier.device.type}. Nothing you draw is stored.</small>"
    )


demo = build()

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    demo.launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        max_file_size=MAX_UPLOAD,
        css_paths=[HERE / "ui" / "style.css"],
        footer_links=["api"],
    )
