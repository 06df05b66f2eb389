"""The drawing pad: Gradio's Sketchpad, ready to draw on at once, that never hoards uploads.

Gradio 6.31's Sketchpad needs two fixes for a booth (see ../shared/GRADIO_NOTES.md):
- it ignores strokes until its brush tool is clicked, and its own "clear" deselects the brush:
  `SELECT_BRUSH_JS` (run on page load) and `CLEAR_JS` (the Clear button) click it for the visitor;
- after each stroke the browser uploads the canvas images, which the server keeps until their
  event runs; an event that never runs (dropped as superseded, or the visitor left) would leave
  them in memory forever. `DigitSketchpad` forgets uploads older than `UPLOAD_TTL` seconds.
And one for speed and safety: the app's events take the pad's raw value (preprocess=False) and
`take_composite` hands over just the composite, which the app decodes itself, with its own limits
(Gradio would decode the background and every layer too, and turn bad files into bare errors).
"""

from __future__ import annotations

import threading
import time

import gradio as gr
from gradio.components.base import server
from gradio.components.image_editor import AcceptBlobs

UPLOAD_TTL = 120.0  # seconds an uploaded stroke may wait for its event before it is dropped

# Click the pad's brush tool as soon as it exists (and again whenever the pad is re-rendered).
SELECT_BRUSH_JS = """
() => {
  const pick = () => {
    const brush = document.querySelector('#pad button[aria-label="Brush"]');
    if (brush && !brush.classList.contains('selected')) brush.click();
    return Boolean(brush);
  };
  const timer = setInterval(() => { if (pick()) clearInterval(timer); }, 100);
  setTimeout(() => clearInterval(timer), 15000);
}
"""

# Clear in the browser (clearing from Python leaves Gradio 6.31's pad stuck), then re-arm the brush.
CLEAR_JS = """
() => {
  const pad = document.querySelector('#pad');
  const clear = pad && pad.querySelector('button[aria-label="Clear canvas"]');
  if (clear) clear.click();
  setTimeout(() => {
    const brush = document.querySelector('#pad button[aria-label="Brush"]');
    if (brush) brush.click();
  }, 50);
  return [];
}
"""

from gradio.events import Dependency

class DigitSketchpad(gr.Sketchpad):
    """gr.Sketchpad whose uploaded strokes expire if their event never comes.

    (No __init__ of its own: Gradio builds the component's front-end config from the signature
    of `__init__`, so this class keeps gr.Sketchpad's.)
    """

    _lock = threading.Lock()

    @property
    def _arrivals(self) -> dict[str, float]:
        """Upload id -> when it arrived (monotonic seconds)."""
        return self.__dict__.setdefault("_upload_arrivals", {})

    def get_block_name(self) -> str:
        return "imageeditor"  # same front end as gr.Sketchpad

    @server
    def accept_blobs(self, data: AcceptBlobs) -> None:
        now = time.monotonic()
        with self._lock:
            self._arrivals[data.data["id"]] = now
            for upload_id, arrived in list(self._arrivals.items()):
                if now - arrived > UPLOAD_TTL:
                    self._arrivals.pop(upload_id, None)
                    self.blob_storage.pop(upload_id, None)
        super().accept_blobs(data)

    def preprocess(self, payload):
        if payload is not None and payload.id is not None:
            with self._lock:
                self._arrivals.pop(payload.id, None)
        return super().preprocess(payload)

    def take_composite(self, payload: dict | None) -> str | bytes | None:
        """The drawing from the pad's raw value (events with preprocess=False): the path of the
        uploaded composite (or, failing that, of the background: an example loaded into the
        pad), or its bytes from the blob store. The blob store entry is released either way."""
        if not isinstance(payload, dict):
            return None
        blobs = None
        if payload.get("id") is not None:
            with self._lock:
                self._arrivals.pop(payload["id"], None)
            blobs = self.blob_storage.pop(payload["id"], None)
        for key in ("composite", "background"):
            file = payload.get(key)
            if isinstance(file, dict) and file.get("path"):
                return file["path"]
            if blobs is not None and getattr(blobs, key, None):
                return getattr(blobs, key)
        return None

    @property
    def pending_uploads(self) -> int:
        """How many uploaded drawings are waiting for their event (for tests and monitoring)."""
        return len(self.blob_storage)
    from typing import Callable, Literal, Sequence, Any, TYPE_CHECKING
    from gradio.blocks import Block
    if TYPE_CHECKING:
        from gradio.components import Timer
        from gradio.components.base import Component