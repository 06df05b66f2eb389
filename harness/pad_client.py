"""Talk to the running app the way its pad does: one POST per reading, the drawing inside it.

    pad = PadClient("http://127.0.0.1:7860/")           # finds the pad's component id once
    reply = pad.read(image)                              # {"html", "number", "sure", "reading", "busy"}
    learn = PadClient(url, elem_id="learn-pad", session=s)   # another pad, in a given session
    url = as_the_pad_sends(image)                        # a drawing shrunk and encoded as the pad does
    url = pad_png_data_url(grey)                         # an 8-bit grey image encoded as ui/png.js does
    reply = pad.send({"anything": "at all"})             # raw payloads, for the bad-input tests
    reply = pad.correct(image, digit=0, label=7)         # "No, it was 7", with consent ({"stored", ...})
    pad.booth()                                          # the booth screen: {"html", "on"}

    async with AsyncPadClient(url) as pad: await pad.read(data_url)   # for the crowd benchmark

The protocol (Gradio's server functions, see gradio/routes.py): POST /gradio_api/component_server
with {"session_hash", "component_id", "fn_name": "read_pad", "data": {"image": data URL}}; the
reply is the function's JSON. No queue, no event stream, no upload. Corrections go the same way
to "correct_pad" ({"image", "digit", "label", "consent"}), the booth screen comes from "booth".
"""

from __future__ import annotations

import base64
import io
import json
import secrets
import struct
import zlib

import httpx
import numpy as np
from PIL import Image

from harness.http1 import KeptAlive
from model.drawing.ink import working_factor
from ui.corrections import BOOTH_FUNCTION, CORRECT_FUNCTION
from ui.pad import PAD_FUNCTION


def png_data_url(image: Image.Image) -> str:
    """An image as a PNG data URL (in its own mode: the pad sends 8-bit grey, as_the_pad_sends)."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def pad_png_data_url(grey: Image.Image) -> str:
    """An 8-bit grey image as a PNG data URL made the way ui/png.js makes the pad's frames: every
    row unfiltered, one zlib stream of fixed Huffman codes (Pillow's encoder filters rows and
    builds its own codes: another file to decode, which the server reads by another path)."""
    if grey.mode != "L":
        raise ValueError(f"the pad sends 8-bit grey, not {grey.mode}")
    pixels = np.asarray(grey)
    rows = np.concatenate([np.zeros((pixels.shape[0], 1), np.uint8), pixels], axis=1).tobytes()
    deflate = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_FIXED)  # sizes within 10% of ui/png.js's
    header = struct.pack(">IIBBBBB", grey.width, grey.height, 8, 0, 0, 0, 0)
    chunks = [(b"IHDR", header), (b"IDAT", deflate.compress(rows) + deflate.flush()), (b"IEND", b"")]
    png = b"\x89PNG\r\n\x1a\n" + b"".join(
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        for kind, data in chunks
    )
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def as_the_pad_sends(image: Image.Image) -> str:
    """What the pad would send for this drawing: 8-bit grey, at the size the reading shrinks it to
    anyway (the pad re-draws its strokes at that size; here the pixels are area-averaged, then
    made grey as the reading makes an opaque image grey, so it reads exactly as before). A drawing
    with transparency, which the pad never makes (a benchmark's upload styles), keeps it."""
    factor = working_factor(*image.size)
    rgba = image.convert("RGBA")
    small = rgba.reduce(factor) if factor > 1 else rgba
    transparent = small.getchannel("A").getextrema()[0] < 255
    return png_data_url(small) if transparent else pad_png_data_url(small.convert("L"))


def pad_component_id(config: dict, elem_id: str | None = None) -> int:
    """The id of the component that serves the pad's function, from the app's /config: the first
    such (the Draw tab's pad), or the one with this elem_id."""
    for component in config["components"]:
        props = component.get("props", {})
        if PAD_FUNCTION in (props.get("server_fns") or []) and elem_id in (None, props.get("elem_id")):
            return component["id"]
    raise LookupError(f"no component serves {PAD_FUNCTION!r}: is this the draw-a-digit app?")


def _body(component_id: int, session: str, payload: object, function: str = PAD_FUNCTION) -> dict:
    return {"session_hash": session, "component_id": component_id, "fn_name": function, "data": payload}


class PadClient:
    """A visitor's pad, synchronous (tests)."""

    def __init__(
        self,
        url: str,
        timeout: float = 30,
        elem_id: str | None = None,
        session: str | None = None,
        address: str | None = None,
    ) -> None:
        """`address`: the loopback address to connect from (e.g. "127.0.0.2"), so that the server
        sees another client than this machine's usual 127.0.0.1."""
        self.url = url.rstrip("/")
        transport = httpx.HTTPTransport(local_address=address) if address else None
        self.http = httpx.Client(timeout=timeout, transport=transport)
        self.component_id = pad_component_id(self.http.get(f"{self.url}/config").json(), elem_id)
        self.session = session or secrets.token_hex(8)

    def send(self, payload: object, function: str = PAD_FUNCTION) -> httpx.Response:
        """POST any payload as the pad's data; the raw response."""
        body = _body(self.component_id, self.session, payload, function)
        return self.http.post(f"{self.url}/gradio_api/component_server", json=body)

    def call(self, function: str, payload: object = None) -> dict:
        """Call one of the page's server functions; its reply."""
        response = self.send({} if payload is None else payload, function)
        response.raise_for_status()
        return response.json()

    def correct(self, image: str | Image.Image, digit: object, label: object, consent: object = True) -> dict:
        """Mark digit `digit` of a drawing as `label`, as the pad's buttons do."""
        data_url = image if isinstance(image, str) else png_data_url(image)
        payload = {"image": data_url, "digit": digit, "label": label, "consent": consent}
        return self.call(CORRECT_FUNCTION, payload)

    def read(self, image: str | Image.Image) -> dict:
        """Read a drawing (a data URL or a PIL image); the pad's reply."""
        data_url = image if isinstance(image, str) else png_data_url(image)
        response = self.send({"image": data_url})
        response.raise_for_status()
        return response.json()

    def booth(self) -> dict:
        """The booth screen, as the empty pad shows it: {"html", "on"}."""
        return self.call(BOOTH_FUNCTION)

    def close(self) -> None:
        self.http.close()


class AsyncPadClient:
    """Many visitors' pads on one event loop (the crowd benchmarks): kept-alive connections shared
    by all of them, through a lean HTTP/1.1 client (harness/http1.py) so that the load generator
    takes little of the CPU it shares with the server."""

    def __init__(self, url: str, timeout: float = 60, connections: int = 128) -> None:
        self.url = url.rstrip("/")
        self.http = KeptAlive(self.url, timeout=timeout, connections=connections)
        self.component_id: int | None = None

    async def __aenter__(self) -> AsyncPadClient:
        async with httpx.AsyncClient() as http:
            self.component_id = pad_component_id((await http.get(f"{self.url}/config")).json())
        return self

    async def __aexit__(self, *exc) -> None:
        await self.http.close()

    @property
    def resent(self) -> int:
        """Requests sent again because the server had closed their kept-alive connection."""
        return self.http.resent

    async def read(
        self, data_url: str, session: str, live: bool = False, max_digits: int | None = None
    ) -> dict:
        """A reading, as the pad asks for it: `live` for a frame sent while the pen moves, with
        `max_digits`, the digits its strokes can hold (ui/pad.js sends both with live frames)."""
        payload = {"image": data_url, **({"live": True} if live else {})}
        if max_digits is not None:
            payload["max_digits"] = max_digits
        return await self._post(_body(self.component_id, session, payload))

    async def correct(self, data_url: str, session: str, digit: int, label: int) -> dict:
        """A visitor's "Right!" or "No, it was…", with consent: the drawing the answer was for."""
        payload = {"image": data_url, "digit": digit, "label": label, "consent": True}
        return await self._post(_body(self.component_id, session, payload, CORRECT_FUNCTION))

    async def _post(self, body: dict) -> dict:
        status, reply = await self.http.post("/gradio_api/component_server", json.dumps(body).encode())
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {reply[:200]!r}")
        return json.loads(reply)
