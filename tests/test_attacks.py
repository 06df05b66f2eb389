"""A hostile visitor's requests (issue 24), sent over HTTP to `python app.py`: refused cleanly.

python -m pytest tests/test_attacks.py
"""

from __future__ import annotations

import io
import json
import secrets
import sqlite3
import threading
import time
from functools import partial

import anyio
import httpx
import pytest
from PIL import Image

from harness.bad_inputs import dotted_grid
from harness.pad_client import PadClient, png_data_url
from harness.server import ROOT
from model import ImageError, load_classifier, open_image, read_drawing
from model.synth.sketches import Placement, draw_digit
from tests.conftest import run_apart
from ui.admission import CALLER, Busy, Caller, Gone, ReadingGate
from ui.clients import Clients
from ui.limits import ByteBudget, DoorLimits, DoorMiddleware
from ui.pad import CANVAS
from ui.uploads import REFUSED, sweep

pytestmark = pytest.mark.slow
CHECKOUT_PNG = ROOT / "examples" / "drawn-2026.png"  # a real image that was never uploaded


@pytest.fixture(scope="module")
def server(feedback_server):
    app = feedback_server  # this module's own app and database (conftest.py), db.sqlite3 beside its log
    app.http = httpx.Client(base_url=app.url.rstrip("/"), timeout=60)
    app.config = app.http.get("/config").json()
    yield app
    app.http.close()


def dependency(server, api_name: str) -> dict:
    return next(d for d in server.config["dependencies"] if d.get("api_name") == api_name)


def call(server, api_name: str, data: list) -> dict:
    """Fire an event through Gradio's queue as a raw client does (no gradio_client, no "meta"
    marking a file as uploaded); the completed message."""
    event = dependency(server, api_name)
    session = secrets.token_hex(8)
    body = {"data": data, "event_data": None, "fn_index": event["id"], "trigger_id": event["targets"][0][0]}
    joined = server.http.post("/gradio_api/queue/join", json={**body, "session_hash": session})
    assert joined.status_code == 200, joined.text
    with server.http.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    return message
    raise AssertionError("the event never completed")


def read_image(server, value: object) -> dict:
    """/read_image's JSON answer ({"number", "digits", "message"}) for a raw value."""
    message = call(server, "read_image", [value])
    assert message["success"], message
    return message["output"]["data"][1]


def upload(server, data: bytes, name: str = "drawing.png") -> str:
    response = server.http.post("/gradio_api/upload", files={"files": (name, data)})
    assert response.status_code == 200, response.text
    return response.json()[0]


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def outside_paths(server) -> list[str]:
    """Paths a client may name that this server never received: a real image in the checkout,
    secrets, the corrections database, a missing file, and the upload folder climbed out of."""
    uploaded = upload(server, png(Image.new("L", (8, 8), 255)))
    return [
        str(CHECKOUT_PNG),
        "examples/drawn-2026.png",
        "/etc/passwd",
        "/proc/self/environ",
        str(server.log_path.parent / "db.sqlite3"),
        "/no/such/file.png",
        uploaded + "/../../../../" + str(CHECKOUT_PNG),
    ]


def test_read_image_opens_no_file_that_was_not_uploaded(server):
    for path in outside_paths(server):
        answer = read_image(server, {"path": path})
        assert answer["number"] == "" and answer["digits"] == [], path
        # the same words whether the path exists, is an image or not: no existence oracle
        assert answer["message"] == f"Sorry, I can't read that image: {REFUSED}.", path
        # marked as a file, Gradio's own check refuses it before the app sees it
        marked = call(server, "read_image", [{"path": path, "meta": {"_type": "gradio.FileData"}}])
        assert not marked["success"] or REFUSED in marked["output"]["data"][1]["message"], path


def test_correct_opens_no_file_that_was_not_uploaded(server):
    for path in outside_paths(server):
        for value in ({"path": path}, {"path": path, "meta": {"_type": "gradio.FileData"}}, path):
            # Gradio refuses some shapes itself (its file check, or its schema); the app the rest
            message = call(server, "correct", [value, 0, 4, True])
            if message["success"]:
                reply = message["output"]["data"][0]
                assert reply["stored"] is False and REFUSED in reply["message"], path
    assert rows_in(server) == 0


def rows_in(server) -> int:
    db = server.log_path.parent / "db.sqlite3"
    if not db.exists():
        return 0
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT COUNT(*) FROM corrections").fetchone()[0]


def test_a_real_upload_and_the_example_photos_still_read(server):
    seven = draw_digit(7, Placement((400, 400), (200, 200), 300, 0, 24), "white")
    path = upload(server, png(seven))
    assert read_image(server, {"path": path})["number"] == "7"
    assert read_image(server, {"path": path, "meta": {"_type": "gradio.FileData"}})["number"] == "7"
    # an example photo, clicked: Gradio hands the page its cached copy, which the page sends back
    example = call(server, "load_example", [0])["output"]["data"][0]
    value = example.get("value", example) if isinstance(example, dict) else example
    answer = read_image(server, value)
    assert answer["number"] != "" and answer["message"] == ""


@pytest.mark.parametrize("side", [250, 500, 750])
def test_a_dotted_grid_is_refused_with_a_reason(side):
    with pytest.raises(ImageError, match="too many separate marks"):
        read_drawing(dotted_grid(side), load_classifier())


def test_dotted_grids_do_not_stall_the_pad_or_the_upload_tab(server):
    pad = PadClient(server.url, timeout=120)
    started = time.monotonic()
    for side in (500, 750, 2000):
        reply = pad.read(png_data_url(dotted_grid(side)))
        assert reply["number"] == "", side
        assert reply["reading"]["digits"] == []
        if side < 2000:  # at 2000 px the dots shrink to grey dust: nothing to read at all
            assert "too many separate marks" in reply["reading"]["message"]
        answer = read_image(server, {"path": upload(server, png(dotted_grid(side)))})
        assert answer["number"] == "", side
    # before: 14 s + 85 s + over 120 s; a generous bound, far from the machine's noise
    assert time.monotonic() - started < 60
    three = draw_digit(3, Placement(CANVAS, (320, 160), 200, 0, 12), "white")
    assert pad.read(three)["number"] == "3"
    pad.close()


def test_bodies_over_the_limit_are_refused_at_the_door(server):
    tracebacks = server.log().count("Traceback")
    big = b'{"data": "' + b"A" * (5 * 2**20) + b'"}'
    response = server.http.post("/gradio_api/component_server", content=big)
    assert response.status_code == 413
    # no Content-Length (chunked): counted as it streams
    response = server.http.post(
        "/gradio_api/component_server", content=iter([big[i : i + 65536] for i in range(0, len(big), 65536)])
    )
    assert response.status_code == 413
    files = [("files", (f"{i}.png", b"x" * 1000)) for i in range(5)]
    response = server.http.post("/gradio_api/upload", files=files)
    assert response.status_code == 413 and "files per upload" in response.text
    assert server.http.get("/gradio_api/deep_link", params={"session_hash": "x"}).status_code == 404
    assert server.http.get("/monitoring/summary").status_code != 200
    assert server.log().count("Traceback") == tracebacks


def test_names_of_things_that_do_not_exist_get_a_clean_refusal(server):
    tracebacks = server.log().count("Traceback")
    body = {"session_hash": "x", "component_id": 99999, "fn_name": "read_pad", "data": {}}
    response = server.http.post("/gradio_api/component_server", json=body)
    assert response.status_code == 400 and "does not have" in response.text
    for index in (9999, -1, "0"):
        message = call(server, "load_example", [index])
        assert message["success"] is False and "no such example" in message["output"]["error"]
    assert server.log().count("Traceback") == tracebacks


def test_the_sweep_empties_the_upload_folder_of_old_files(tmp_path):
    old, new = tmp_path / "a1" / "old.png", tmp_path / "b2" / "new.png"
    for path in (old, new):
        path.parent.mkdir()
        path.write_bytes(b"x")
    now = time.time()
    assert sweep(tmp_path, older_than_s=600, now=now + 300) == 0
    assert sweep(tmp_path, older_than_s=600, now=now + 900) == 2
    assert not old.exists() and not new.exists() and tmp_path.exists()
    assert sweep(tmp_path, older_than_s=600, now=time.time() + 900) == 0
    assert list(tmp_path.iterdir()) == []  # the emptied folders go too, once old


def test_each_client_has_its_own_upload_allowance():
    clock = [0.0]
    budget = ByteBudget(limit=100, window_s=600, clock=lambda: clock[0])
    assert budget.spend("a", 60) and budget.spend("b", 60)
    assert not budget.spend("a", 60)  # a's allowance is spent, b's is not
    assert budget.spend("b", 40)
    clock[0] = 601
    assert budget.spend("a", 100)  # a new window


def test_a_reading_whose_client_has_gone_is_not_made():
    ran = []

    async def scenario() -> list:
        gate = ReadingGate(running=1, waiting=8)
        release = threading.Event()

        def read(name: str) -> str:  # a reading: it holds its place until released
            ran.append(name)
            release.wait(10)
            return name

        async def visitor(name: str, gone: bool) -> str:
            async def hung_up() -> bool:
                return gone

            CALLER.set(Caller(f"203.0.113.{len(name)}", hung_up))
            try:
                return await gate.run(read, name)
            except Gone:
                return "dropped"

        async with anyio.create_task_group() as tasks:
            answers = {}

            async def keep(name: str, gone: bool) -> None:
                answers[name] = await visitor(name, gone)

            tasks.start_soon(keep, "first", False)
            await anyio.sleep(0.2)  # the first holds the only place; the others wait
            tasks.start_soon(keep, "left", True)
            tasks.start_soon(keep, "stayed", False)
            await anyio.sleep(0.2)
            release.set()
        return answers

    answers = run_apart(scenario())
    assert answers == {"first": "first", "left": "dropped", "stayed": "stayed"}
    assert ran == ["first", "stayed"]


def test_the_door_tells_a_reading_whether_its_client_has_gone_without_waiting_for_it():
    """What the gate asks before a reading (test above): through the door's own check, a client
    whose disconnect has arrived is gone; one still connected is not, at once (the check never
    waits for the next message, which may come minutes later), and the route still gets it."""

    def ask(left: bool) -> tuple[bool, list]:
        answers, seen = [], []

        async def route(scope, receive, send) -> None:
            seen.append((await receive())["type"])  # the body
            answers.append(await CALLER.get().gone())
            seen.append((await receive())["type"])  # what the client does next

        async def receive():
            if not seen:
                return {"type": "http.request", "body": b"{}", "more_body": False}
            if not left:
                await anyio.sleep(0.5)  # still there, drawing
            return {"type": "http.disconnect"}

        async def send(message) -> None:
            pass

        door = DoorMiddleware(route, DoorLimits(), Clients().address)
        scope = {
            "type": "http",
            "path": "/gradio_api/component_server",
            "headers": [],
            "client": ("1.2.3.4", 1),
        }
        run_apart(door(scope, receive, send))
        return answers[0], seen

    assert ask(left=True)[0] is True
    gone, seen = ask(left=False)
    assert gone is False and seen == ["http.request", "http.disconnect"]


def test_big_photos_shrink_while_decoding_and_only_common_formats_are_decoded():
    photo = io.BytesIO()
    Image.new("RGB", (4000, 3000), "white").save(photo, "JPEG")  # a 12 MP phone photo
    assert open_image(photo.getvalue(), max_pixels=4_000_000).size == (2000, 1500)
    with pytest.raises(ImageError, match="too large"):  # a 40 MP PNG cannot shrink: refused unread
        open_image(png(Image.new("1", (8000, 5000), 1)), max_pixels=4_000_000)
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"
    for data in (eps, png(Image.new("L", (9, 9))).replace(b"PNG", b"XYZ")):
        with pytest.raises(ImageError, match="not an image"):
            open_image(data)
    for fmt in ("PNG", "JPEG", "GIF", "WEBP", "BMP", "TIFF"):
        buffer = io.BytesIO()
        Image.new("RGB", (20, 20), "white").save(buffer, fmt)
        assert open_image(buffer.getvalue()).size == (20, 20)


def test_a_stalled_body_is_cut_off_but_a_stream_that_waits_for_its_client_is_not():
    """The door's clock runs only while a body is arriving: an event stream, which waits for its
    client to leave for minutes, is left alone."""

    def exchange(chunks: list[bytes | None]) -> tuple[list, list]:
        seen, sent = [], []

        async def route(scope, receive, send) -> None:
            while True:
                message = await receive()
                seen.append(message["type"])
                if message["type"] == "http.disconnect" or not message.get("more_body"):
                    break
            if seen[-1] == "http.request":  # the body is in: stream until the client goes
                await send({"type": "http.response.start", "status": 200, "headers": []})
                seen.append((await receive())["type"])

        async def receive():
            chunk = chunks.pop(0) if chunks else None
            if chunk is None:
                await anyio.sleep(0.5)  # nothing more for a while: the client is slow, or listening
                return {"type": "http.disconnect"}
            return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

        async def send(message) -> None:
            sent.append(message.get("status"))

        door = DoorMiddleware(route, DoorLimits(body_idle_s=0.1), Clients().address)
        scope = {"type": "http", "path": "/gradio_api/queue/data", "headers": [], "client": ("1.2.3.4", 1)}
        run_apart(door(scope, receive, send))
        return seen, sent

    seen, sent = exchange([b"{}"])  # a whole body, then half a second until the client leaves
    assert seen == ["http.request", "http.disconnect"] and sent[0] == 200
    seen, sent = exchange([b"{", None])  # half a body, then nothing
    assert sent[0] == 408


def test_under_load_pen_up_readings_go_before_the_live_frames_that_came_earlier():
    order: list[str] = []

    async def scenario() -> None:
        gate = ReadingGate(running=1, waiting=8)
        release = threading.Event()

        def read(name: str) -> str:  # the first holds the only place until released
            order.append(name)
            if name == "holding":
                release.wait(10)
            return name

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(partial(gate.run, read, "holding", live=True))
            await anyio.sleep(0.2)
            for name, live in (("live 1", True), ("live 2", True), ("pen-up 1", False), ("pen-up 2", False)):
                tasks.start_soon(partial(gate.run, read, name, live=live))
                await anyio.sleep(0.05)  # they arrive in this order
            release.set()

    anyio.run(scenario)
    # the visitors who lifted the pen are answered first, each kind in the order it came
    assert order == ["holding", "pen-up 1", "pen-up 2", "live 1", "live 2"]


def test_a_reading_cancelled_while_it_waits_loses_nobody_their_place():
    async def scenario() -> list[str]:
        gate = ReadingGate(running=1, waiting=8)
        done: list[str] = []

        async def read(name: str) -> None:
            await anyio.sleep(0.3)
            done.append(name)

        with anyio.fail_after(10):  # a place handed to the cancelled one would be lost: a hang
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(gate.run, read, "first")
                await anyio.sleep(0.05)
                async with anyio.create_task_group() as leaving:
                    leaving.start_soon(gate.run, read, "gone")  # a request that goes while it waits
                    await anyio.sleep(0.05)
                    leaving.cancel_scope.cancel()
                tasks.start_soon(gate.run, read, "last")
        return done

    assert anyio.run(scenario) == ["first", "last"]


def test_one_client_holds_at_most_two_places_in_the_gate():
    async def scenario() -> dict:
        gate = ReadingGate(running=4, waiting=8, per_client=2)
        release = threading.Event()
        answers: dict[str, str] = {}

        async def still_here() -> bool:
            return False

        async def visitor(name: str, address: str | None) -> None:
            CALLER.set(Caller(address, still_here))
            try:
                answers[name] = await gate.run(lambda: release.wait(10) and name)
            except Busy:
                answers[name] = "busy"

        async with anyio.create_task_group() as tasks:
            for name in ("a1", "a2", "a3"):  # one client sending three costly drawings at once
                tasks.start_soon(visitor, name, "203.0.113.9")
            await anyio.sleep(0.2)
            tasks.start_soon(visitor, "b1", "198.51.100.7")  # someone else
            tasks.start_soon(visitor, "local", None)  # this machine: not bounded per client
            await anyio.sleep(0.2)
            release.set()
        return answers

    assert run_apart(scenario()) == {"a1": "a1", "a2": "a2", "a3": "busy", "b1": "b1", "local": "local"}
