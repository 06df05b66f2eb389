"""The "Watch it learn" tab: a fresh network trained live in the app, on made-up MNIST-format data.

    python -m pytest tests/test_learn.py                  # screenshots land in tests/out/learn-*

The library part (train_live: nothing written, a snapshot per check, the time cap), the bounded
per-visitor store, then the real app: the tab streams a run and keeps the network for the
visitor's pad, one run at a time with the queue, a visitor who leaves stops theirs, the ZeroGPU
path (the `spaces` package against a stand-in device API), and a real Chromium pressing Train.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pickle
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import numpy as np
import pytest
import torch

from harness.browser import PHONE, Pad
from harness.pad_client import PadClient, png_data_url
from harness.queue_client import QueueClient
from harness.server import AppServer
from harness.zerogpu import SPACES_VERSION, DeviceApi
from model.synth.sketches import Placement, draw_digit
from tests.conftest import repeat_mnist as repeated
from ui.background import in_background
from ui.learn import GPU_DURATION_S
from ui.sessions import SessionStore

OUT = Path(__file__).resolve().parent / "out"
SEVEN = draw_digit(7, Placement((280, 280), (140, 140), 180, 0, 14))


# ---- the library: model/training/live.py ---------------------------------------------------
@pytest.mark.slow  # a training run of three epochs
def test_a_live_run_writes_nothing_and_shows_every_check(tiny_mnist, tmp_path, monkeypatch):
    from model.training import TrainConfig
    from model.training.data import load_mnist
    from model.training.live import train_live

    monkeypatch.chdir(tmp_path)  # train.py's defaults would write checkpoints/ and weights/ here
    config = TrainConfig(epochs=3, batch_size=32, lr=3e-3, augment=False, evals_per_epoch=2)
    snaps = list(train_live(str(tiny_mnist), device="cpu", seed=0, config=config))

    assert list(tmp_path.iterdir()) == []  # no checkpoint, weights or report
    assert [s.epoch for s in snaps] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.0]  # before, checks, end
    assert [s.done for s in snaps] == [False] * 7 + [True]
    assert snaps[0].first_layer.shape == (200, 28, 28)
    assert not np.array_equal(snaps[0].first_layer, snaps[-1].first_layer)  # the patterns changed
    assert snaps[-1].seconds_left == 0 and snaps[1].seconds_left > 0
    # what ZeroGPU's worker sends back is what arrives: plain pickling, the same network
    final = pickle.loads(pickle.dumps(snaps[-1]))
    test_x, test_y = load_mnist(tiny_mnist, train=False, download=False)
    logits = final.network()(test_x[:, None].float() / 255)
    assert torch.equal(logits, snaps[-1].network()(test_x[:, None].float() / 255))
    assert (logits.argmax(1) == test_y).float().mean() == pytest.approx(final.accuracy)
    assert final.accuracy > 0.5  # the clean hand-made digits are easy, even in 3 short epochs


def test_the_time_cap_ends_a_run_early_and_keeps_what_it_learned(tiny_mnist):
    from model.training import TrainConfig
    from model.training.data import load_mnist
    from model.training.live import train_live

    config = TrainConfig(epochs=50, batch_size=32, augment=False, drawn_share=0)  # (nothing to draw)
    snaps = list(train_live(str(tiny_mnist), device="cpu", time_cap=0.0, seed=0, config=config))
    assert len(snaps) == 2 and snaps[-1].capped and snaps[-1].epoch == 1.0
    # what it kept is the network after its one epoch: learned patterns, and the accuracy shown
    network, final = snaps[-1].network(), snaps[-1]
    first_layer = network.layers[0].weight.detach().numpy().reshape(final.first_layer.shape)
    assert np.array_equal(first_layer, final.first_layer)
    assert not np.array_equal(first_layer, snaps[0].first_layer)
    test_x, test_y = load_mnist(tiny_mnist, train=False, download=False)
    predictions = network(test_x[:, None].float() / 255).argmax(1)
    assert (predictions == test_y).float().mean() == pytest.approx(final.accuracy)


def test_each_visitors_network_is_kept_bounded_and_expires():
    now = [0.0]
    store = SessionStore(size=2, idle_s=60, clock=lambda: now[0])
    store.put("a", 1)
    store.put("b", 2)
    assert store.get("a") == 1  # a use: "b" is now the oldest
    store.put("c", 3)
    assert store.get("b") is None and len(store) == 2  # the least recently used went
    now[0] = 50
    assert store.get("c") == 3
    now[0] = 100  # "a" unused for 100 s, "c" for 50 s
    assert store.get("a") is None and store.get("c") == 3
    store.drop("c")  # the visitor closed the page
    assert len(store) == 0 and store.get(None) is None


def test_the_loss_axis_holds_its_largest_value_on_a_few_round_steps():
    from ui.charts import loss_scale

    for largest in (0.04, 0.3, 1.3, 2.31, 2.5, 7.0, 60.0):  # 1.3: a first loss once cut off
        top, step = loss_scale(largest)
        assert largest <= top < largest + step and round(top / step) <= 5, (largest, top, step)


def test_a_background_run_yields_in_order_makes_way_and_stops_when_left():
    log: list[str] = []

    def run():
        try:
            for i in range(100):
                log.append(f"{os.getpriority(os.PRIO_PROCESS, threading.get_native_id())}")
                yield i
        finally:
            log.append("closed")

    items = in_background(run, nice=5)
    assert [next(items) for _ in range(3)] == [0, 1, 2]
    if sys.platform == "linux":  # the producing thread runs at a lower priority than this one
        assert int(log[0]) == os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) + 5
    items.close()  # the visitor left
    deadline = time.monotonic() + 5
    while "closed" not in log and time.monotonic() < deadline:
        time.sleep(0.01)
    assert log[-1] == "closed" and len(log) <= 6  # it stopped within an item or two, not at 100

    def broken():
        yield 1
        raise ValueError("no MNIST here")

    with pytest.raises(ValueError, match="no MNIST"):
        list(in_background(broken))


def test_offline_the_tab_says_which_command_fetches_mnist_beforehand(tmp_path, monkeypatch):
    from torchvision.datasets import MNIST

    from model import load_classifier
    from ui.learn import Learning

    # a real download attempt against a port where nothing listens: refused at once, like offline
    monkeypatch.setattr(MNIST, "mirrors", ["http://127.0.0.1:9/mnist/"])
    learning = Learning(load_classifier(device="cpu"), tmp_path / "data", training_device="cpu")
    statuses = [frame[0] for frame in learning.train(SimpleNamespace(session_hash="offline"))]
    assert "Fetching MNIST" in statuses[1]
    assert 'data-state="error"' in statuses[-1]
    assert f"python -m model.training.download {tmp_path / 'data'}" in statuses[-1]
    assert learning.networks.get("offline") is None


# ---- the app ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def learn_server(learning_server):
    """The app on 9,000 made-up training images: a run of about 1 s here, a dozen updates; a
    closed page is noticed in 1 s; X-Forwarded-For is believed, so a test can be two clients
    (conftest.py: shared with test_floods.py)."""
    return learning_server


def train(
    url: str, session: str | None = None, leave_after: int | None = None, address: str | None = None
) -> list[dict]:
    """Press Train in a session (from `address`); every queue message until the run ends, or until
    `leave_after` updates have arrived (then the stream is closed, as when a visitor closes the page)."""
    client = QueueClient(url, headers={"X-Forwarded-For": address} if address else None)
    messages = []
    for message in client.press("learn-train", session=session):
        messages.append(message)
        updates = [m for m in messages if m["msg"] == "process_generating"]
        if leave_after is not None and len(updates) >= leave_after:
            break
    client.close()
    return messages


def status_of(message: dict) -> str:
    """The tab's status line in an update (the first output; later updates are diffs of it)."""
    data = message["output"]["data"][0]
    return data if isinstance(data, str) else str(data)


def key_of(messages: list[dict]) -> str:
    """The key the finished run gave its page (ui/learn.py): the pad sends it with each reading."""
    return status_of(messages[-1]).split('data-key="')[1].split('"')[0]


def read_with(pad: PadClient, key: str) -> dict:
    """What the "Watch it learn" pad of the page holding `key` is answered (ui/learn.js)."""
    return pad.send({"image": png_data_url(SEVEN), "key": key}).json()


@pytest.mark.slow
def test_the_tab_trains_streams_its_progress_and_the_visitor_draws_on_their_network(learn_server):
    logged = len(learn_server.log())  # the server is shared (conftest.py): this test's part of its log
    session = "visitor-one"
    pad = PadClient(learn_server.url, elem_id="learn-pad", session=session)
    before = pad.read(SEVEN)
    assert before["number"] == "7" and "Not trained yet" in before["html"]  # ours reads; theirs waits

    messages = train(learn_server.url, session)
    updates = [m for m in messages if m["msg"] == "process_generating"]
    assert len(updates) >= 3, [m["msg"] for m in messages]  # the start, then every check
    assert any("Epoch" in status_of(m) and "test accuracy" in status_of(m) for m in updates)
    assert messages[-1]["msg"] == "process_completed" and messages[-1]["success"]
    assert "Your network reads" in status_of(messages[-1])

    after = read_with(pad, key_of(messages))
    assert 'data-testid="yours-number"' in after["html"]  # their own network reads now, beside ours
    assert 'data-testid="ours-number">7' in after["html"]
    other = PadClient(learn_server.url, elem_id="learn-pad").read(SEVEN)
    assert "Not trained yet" in other["html"]  # another visitor has no network of theirs
    assert "Traceback" not in learn_server.log()[logged:]


@pytest.mark.slow
def test_a_visitors_network_goes_when_their_page_closes(learn_server):
    session = "closing-page"
    page = httpx.Client(timeout=30)  # the page's heartbeat: Gradio's sign that the page is open
    with page.stream("GET", f"{learn_server.url}gradio_api/heartbeat/{session}") as heartbeat:
        alive = heartbeat.iter_lines()  # kept: dropping the iterator closes the connection
        assert next(alive) == "data: ALIVE"
        messages = train(learn_server.url, session)
        assert messages[-1]["success"]
        key = key_of(messages)
        pad = PadClient(learn_server.url, elem_id="learn-pad", session=session)
        assert 'data-testid="yours-number"' in read_with(pad, key)["html"]
    page.close()  # the tab is closed
    deadline = time.monotonic() + 15
    while "yours-number" in read_with(pad, key)["html"] and time.monotonic() < deadline:
        time.sleep(0.5)
    assert "yours-hint" in read_with(pad, key)["html"], learn_server.log()[-1500:]  # dropped by demo.unload


@pytest.mark.slow
def test_two_trainings_at_once_run_one_after_the_other_and_the_second_sees_its_place(learn_server):
    runs: dict[str, list[dict]] = {}
    threads = [  # two clients (one training each: ui/line.py)
        threading.Thread(
            target=lambda i=i, s=s: runs.update({s: train(learn_server.url, s, address=f"10.9.0.{i}")})
        )
        for i, s in enumerate("ab")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    def when(messages: list[dict], text: str) -> float:
        return next(m["t"] for m in messages if m["msg"] == "process_generating" and text in status_of(m))

    starting = "Starting: loading"
    first, second = sorted(runs.values(), key=lambda ms: when(ms, starting))
    # the two event streams reach this client on two threads: allow for a few ms of skew between
    # them (a run here takes about 200 ms, so overlapping runs would still show)
    completed = next(m["t"] for m in first if m["msg"] == "process_completed")
    assert when(second, starting) >= completed - 0.02
    # while it waited, the second was told so: next in line
    assert when(second, "Someone else's network is training") < when(second, starting)
    assert all(ms[-1]["msg"] == "process_completed" and ms[-1]["success"] for ms in (first, second))


@pytest.mark.slow  # the app's server
def test_without_spaces_training_runs_in_the_app_on_the_cpu(learn_server):
    # the other tests here train through this server: no `spaces`, no GPU, nothing to borrow
    assert "training on the CPU" in footer(learn_server.url) and "ZeroGPU" not in footer(learn_server.url)


def footer(url: str) -> str:
    """The footer in English: a gr.I18n key, its text in the config's translations."""
    config = QueueClient(url).config
    value = next(
        c["props"]["value"] for c in config["components"] if c.get("props", {}).get("elem_id") == "footer"
    )
    return config["i18n_translations"]["en"][json.loads(value.removeprefix("__i18n__"))["key"]]


@pytest.fixture(scope="module")
def long_runs(tiny_mnist, tmp_path_factory) -> Path:
    """180,000 made-up images: a run of about 12 s here, for the tests that need one still going."""
    return repeated(tiny_mnist, tmp_path_factory.mktemp("long-runs"), 600)


@pytest.fixture(scope="module")
def waited_runs(tiny_mnist, tmp_path_factory) -> Path:
    """60,000 made-up images (MNIST's count): a third of `long_runs`' run, still long enough for a
    second visitor to be told how long they will wait before it ends."""
    return repeated(tiny_mnist, tmp_path_factory.mktemp("waited-runs"), 200)


@pytest.mark.slow
def test_a_visitor_who_leaves_stops_their_run_and_the_next_one_starts(long_runs, tmp_path):
    with AppServer(tmp_path / "app.log", env={"DIGIT_DATA": str(long_runs)}) as server:
        train(server.url, "leaver", leave_after=3)  # the page closes during the first epoch
        left = time.monotonic()
        waited = [m for m in train(server.url, "next", leave_after=1) if m["msg"] == "process_starts"]
        # the rest of the run it left was some 10 s: far longer than this wait
        assert waited and waited[0]["t"] - left < 6, (
            f"the next run started {waited[0]['t'] - left:.1f} s later"
        )
        deadline = time.monotonic() + 10
        while "the visitor left" not in server.log() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert server.log().count("training stopped: the visitor left") >= 1, server.log()[-2000:]
        assert "trained a network" not in server.log()  # neither run went on to the end


# ---- ZeroGPU: `spaces` installed, its variables set -----------------------------------------
@pytest.fixture(scope="module")
def spaces_dir(tmp_path_factory) -> Path | None:
    """A folder to put on PYTHONPATH for `spaces`: none when it is importable already, else a pip
    install into a temporary folder (skips when pip cannot reach the index)."""
    if importlib.util.find_spec("spaces") is not None:
        return None
    target = tmp_path_factory.mktemp("spaces")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target)]
        + [f"spaces=={SPACES_VERSION}"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        pytest.skip(f"`spaces` is not installed and pip could not fetch it: {result.stderr.strip()[-300:]}")
    return target


@pytest.mark.slow
def test_on_zerogpu_reading_stays_on_the_cpu_and_training_asks_for_the_gpu(tiny_mnist, spaces_dir, tmp_path):
    with DeviceApi() as api:
        # two reading workers, as a 2-vCPU Space would start: they read on the CPU too
        env = {**api.env(spaces_dir), "DIGIT_DATA": str(tiny_mnist), "DIGIT_WORKERS": "2"}
        with AppServer(tmp_path / "app.log", env=env) as server:
            # spaces reports at launch only when a function is decorated with @spaces.GPU
            assert api.paths() == ["/startup-report"]
            assert "reading runs on cpu" in footer(server.url) and "ZeroGPU" in footer(server.url)
            reply = PadClient(server.url).read(SEVEN)
            assert reply["number"] == "7" and reply["worker"] != server.process.pid  # read by a worker

            messages = train(server.url)
            schedule = [query for path, query in api.requests if path == "/schedule"]
            assert len(schedule) == 1 and schedule[0]["durationSeconds"] == str(GPU_DURATION_S)  # a GPU task
            assert "No GPU was available" in status_of(messages[-1])  # what `spaces` says, shown calmly
            assert PadClient(server.url).read(SEVEN)["number"] == "7" and server.alive()


# ---- a real browser (the `browser` fixture: tests/conftest.py) ---------------------------------

# The two charts as drawn (ui/learn.py draws them as SVG): each line's points, whether every
# point lies inside the plot area, whether the last one reaches the area's right edge (the run's
# last epoch), and whether the chart is within the window.
CHARTS = """() => Object.fromEntries(['accuracy', 'loss'].map(name => {
  const svg = document.querySelector(`[data-testid=chart-${name}] svg`);
  if (!svg || !svg.querySelector('polyline')) return [name, null];
  const a = svg.querySelector('.plot-area').getBBox();
  const lines = [...svg.querySelectorAll('polyline')].map(l => [...l.points]);
  const inside = (p) => p.x >= a.x - 0.5 && p.x <= a.x + a.width + 0.5
    && p.y >= a.y - 0.5 && p.y <= a.y + a.height + 0.5;
  const box = svg.getBoundingClientRect();
  return [name, {
    points: lines.map(ps => ps.length),
    inside: lines.every(ps => ps.every(inside)),
    toTheEnd: lines.every(ps => ps.length && Math.abs(ps[ps.length - 1].x - (a.x + a.width)) < 0.5),
    inView: box.width > 0 && box.left >= 0 && box.right <= window.innerWidth,
  }];
}))"""


# Records CHARTS in window.seenCharts at every change of the page until the run is done.
WATCH_CHARTS = """() => {
  const charts = CHARTS;
  window.seenCharts = [];
  new MutationObserver(() => {
    const status = document.querySelector('[data-testid=learn-status]');
    if (!status || status.dataset.state === 'done') return;
    const now = charts();
    if (now.accuracy !== null) window.seenCharts.push(now);
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("look", ["light", "dark", "phone"])
def test_pressing_train_grows_the_curve_then_the_pad_reads_with_both_networks(browser, learn_server, look):
    options = {"theme": "dark"} if look == "dark" else PHONE if look == "phone" else {}
    pad = Pad(browser, learn_server.url, tab="Watch it learn", elem_id="learn-pad", **options)
    page = pad.page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    status = page.get_by_test_id("learn-status")
    assert status.get_attribute("data-state") == "idle"
    pad.screenshot(OUT / f"learn-{look}-before.png")

    # the page records the charts at every change while the run goes on (polling from here
    # could miss most of a short run on a busy machine)
    page.evaluate(WATCH_CHARTS.replace("CHARTS", CHARTS))
    page.locator("#learn-train").click()
    shot = False
    while status.get_attribute("data-state") != "done":
        assert status.get_attribute("data-state") != "error", status.inner_text()
        if not shot and len({c["accuracy"]["points"][0] for c in page.evaluate("window.seenCharts")}) >= 2:
            pad.screenshot(OUT / f"learn-{look}-during.png")  # the first points on screen, the run goes on
            shot = True
        time.sleep(0.05)
    seen = page.evaluate("window.seenCharts")
    for during in seen:  # both charts showed every check so far, every point in view
        accuracy, loss = during["accuracy"], during["loss"]
        assert accuracy["points"] == loss["points"] and accuracy["inside"] and loss["inside"], during
    points = [c["accuracy"]["points"][0] for c in seen]
    charts = page.evaluate(CHARTS)
    # it grew while the run went on: several sizes shown, the last with every check of the run
    assert len(set(points)) >= 2 and charts["accuracy"]["points"][0] >= max(points) >= 4, points
    for chart in charts.values():
        assert chart["inside"] and chart["toTheEnd"] and chart["inView"], charts
        assert chart["points"] == charts["accuracy"]["points"]
    assert "Your network reads" in status.inner_text()
    pad.screenshot(OUT / f"learn-{look}-after.png")
    page.set_viewport_size({"width": 600, "height": 800})  # a window resized: the charts follow
    assert page.evaluate(CHARTS)["loss"]["inView"]
    page.set_viewport_size(options.get("viewport", {"width": 1280, "height": 900}))

    pad.canvas.scroll_into_view_if_needed()  # the pad is below the curves
    pad.write("7", touch=look == "phone")
    # the answer line shows the visitor's network: one digit, whichever (it learned made-up data)
    answer = pad.final_answer()
    assert re.fullmatch(r"\d", answer), answer
    assert pad.result.get_by_test_id("yours-number").inner_text().split()[0] == answer
    assert pad.result.get_by_test_id("ours-number").inner_text().startswith("7")
    assert pad.result.get_by_test_id("yours-number").is_visible()
    pad.screenshot(OUT / f"learn-{look}-drawn.png")
    assert errors == []
    pad.close()


# Records in window.seenStatus each text the learning status shows, from now on.
WATCH_STATUS = """() => {
  const text = () => document.querySelector('#learn-status').innerText;
  window.seenStatus = [text()];
  new MutationObserver(() => {
    const now = text();
    if (now !== window.seenStatus[window.seenStatus.length - 1]) window.seenStatus.push(now);
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""


@pytest.mark.slow
@pytest.mark.browser
def test_a_visitor_waiting_to_train_is_told_in_words_when_theirs_starts(browser, waited_runs, tmp_path):
    env = {"DIGIT_DATA": str(waited_runs), "DIGIT_BEHIND_PROXY": "1"}  # X-Forwarded-For: two visitors
    with AppServer(tmp_path / "app.log", env=env) as server:
        first: list[dict] = []
        leave = threading.Event()  # the first visitor closes their page: the second's run starts

        def first_visitor() -> None:
            client = QueueClient(server.url, headers={"X-Forwarded-For": "10.9.0.1"})
            for message in client.press("learn-train", session="first"):
                first.append(message)
                if leave.is_set():
                    break
            client.close()

        thread = threading.Thread(target=first_visitor)
        thread.start()
        pad = Pad(
            browser,
            server.url,
            tab="Watch it learn",
            elem_id="learn-pad",
            extra_http_headers={"X-Forwarded-For": "10.9.0.2"},
        )
        # the page records every text the status shows (with whatever Gradio shows on it), so
        # none is missed between two looks from here and the looks cost Chromium little
        pad.page.evaluate(WATCH_STATUS)
        while thread.is_alive() and not any(m["msg"] == "process_generating" for m in first):
            time.sleep(0.1)  # until the first visitor's run has begun
        pad.page.locator("#learn-train").click()
        told = r"Someone else's network is training: yours starts in about \d+ s\."
        shown = "(pattern) => window.seenStatus.some(t => new RegExp(pattern).test(t))"
        try:
            pad.page.wait_for_function(shown, arg=told, polling=100, timeout=120_000)
            pad.screenshot(OUT / "learn-waiting.png")
        finally:
            leave.set()
        pad.page.wait_for_function(shown, arg="Epoch|Your network reads", polling=100, timeout=120_000)
        seen = pad.page.evaluate("window.seenStatus")
        thread.join(120)
        assert any(re.search(told, t) for t in seen), seen
        # and no Gradio progress in code ("queue: 1/1 | 2.3/14.4s", "processing | 0.7s")
        assert not [t for t in seen if re.search(r"queue|processing|\d+(\.\d+)?/\d+(\.\d+)? ?s", t)], seen
        pad.close()
