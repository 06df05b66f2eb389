"""The stateless readings, from what a client sent to what the page shows: the same code in the
app's process (DIGIT_WORKERS=0) and in each reading worker (ui/worker.py).

    answers = Answers(load_model(weights))
    answers.pad({"image": "data:image/png;base64,...", "inside": 0})   # the pad's reply dict
    answers.file(path)          # (result panel HTML, JSON) for an uploaded image, checked path
    answers.drawing(image)      # the Reading of a decoded drawing (the corrections' re-reading)

No Gradio here, so that a worker process imports only the model, Pillow and the HTML it renders.
`pad` and `file` never raise: a visitor gets a message, the log keeps the traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from model import Classifier, ImageError, Reading, explain, load_classifier, open_image, read_drawing
from model.doubt import doubt

from .inside import inside_html
from .pad_request import MAX_PIXELS, PadRequest
from .render import pad_reply, reading_html
from .words import DEFAULT, language, of_payload, text

# in English; each visitor gets their language's (ui/strings/)
TRY_AGAIN_PAD = text("message.drawing_failed")
log = logging.getLogger("draw-a-digit")


def load_model(weights: str | Path, device: str | None = None) -> Classifier:
    """The classifier, warmed up so the first visitor waits no longer; raises WeightsError."""
    clf = load_classifier(weights, device=device)
    one = np.full((28, 28), 255, np.uint8)
    one[4:24, 13:15] = 0  # a stroke: read through every network, which readies their first layers
    read_drawing(one, clf)
    clf.predict_proba(torch.zeros(1, 1, 28, 28))
    return clf


class Answers:
    """Readings by one classifier, answered as the page shows them."""

    def __init__(self, classifier: Classifier) -> None:
        self.classifier = classifier

    def pad(self, payload: object) -> dict:
        """What the pad sends (ui/pad_request.py), read and answered for ui/pad.js."""
        return answer_pad(payload, self._pad)

    def file(self, path: str | Path | None, lang: str = DEFAULT) -> tuple[str, dict]:
        """An image file (a path already checked to be this server's upload) as (panel HTML, JSON),
        its words in `lang`."""
        if path is None:
            return file_answer(None, text("reading.upload_hint", lang), lang)
        try:
            reading = read_drawing(open_image(path, max_pixels=MAX_PIXELS), self.classifier)
        except ImageError as e:
            return file_answer(None, text("message.bad_image", lang, reason=e), lang)
        except Exception:  # a visitor never sees a traceback; the log keeps it
            log.exception("reading failed")
            return file_answer(None, text("message.image_failed", lang), lang)
        return file_answer(reading, "" if reading.digits else text("reading.upload_hint", lang), lang)

    def drawing(self, image: Image.Image) -> Reading:
        """The reading of a decoded drawing; raises what read_drawing raises."""
        return read_drawing(image, self.classifier)

    def _pad(self, request: PadRequest) -> dict:
        reading = read_drawing(request.image, self.classifier, max_digits=request.max_digits)
        lang = language(request.language)
        panel = self._inside_panel(reading, request.inside, request.image, lang)
        return pad_reply(reading, "" if reading.digits else text("reading.hint", lang), panel, lang=lang)

    def _inside_panel(self, reading: Reading, digit: int | None, image: object, lang: str) -> str | None:
        """The "Look inside" panel for one digit of the reading of `image`, with why it doubts
        it is a digit (model/doubt.py); None while the panel is closed."""
        if digit is None:
            return None  # closed: no extra work
        if not reading.digits:
            return inside_html(None, lang=lang)
        chosen = min(digit, len(reading.digits) - 1)
        why = doubt(reading, image, self.classifier)
        return inside_html(explain(self.classifier, reading.digits[chosen].image), why, chosen, lang)


def answer_pad(payload: object, answer: Callable[[PadRequest], dict]) -> dict:
    """The pad's request parsed, its drawing checked, decoded and answered by `answer(request)`.
    Never raises."""
    lang = of_payload(payload)
    try:
        return answer(PadRequest.parse(payload))
    except ImageError as e:  # not a drawing: wrong shape, not a data URL, not base64, too big, broken
        return pad_reply(None, text("message.bad_drawing", lang, reason=e), lang=lang)
    except Exception:  # a visitor never sees a traceback; the log keeps it
        log.exception("reading failed")
        return pad_reply(None, text("message.drawing_failed", lang), lang=lang)


def file_answer(reading: Reading | None, message: str, lang: str = DEFAULT) -> tuple[str, dict]:
    """The upload tab's (result panel HTML, JSON) for a reading, or for a message alone, in `lang`."""
    result = reading.to_dict() if reading is not None else {"number": "", "digits": []}
    result["message"] = message
    return reading_html(reading, message or None, lang=lang), result
