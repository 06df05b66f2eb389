"""Shared fixtures: a tiny MNIST-format dataset (real IDX files) and a small trained network.

Run the tests with `make test` (or `python -m pytest` inside the dev environment).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

# Apps the tests start read in their own process unless a test asks for workers (tests/test_workers.py):
# two more interpreters per server would only slow the suite down.
os.environ.setdefault("DIGIT_WORKERS", "0")

# torch, Gradio and Playwright are imported where they are used, not here: pytest-xdist's
# controller loads this file too and runs no test (about 10 s of CPU it spent importing them).
from harness.server import ROOT, AppServer


def run_apart(coroutine):
    """Run `coroutine` to its end in a thread of its own: in a whole test session the browser
    tests' Playwright (its sync API) keeps an event loop running in the tests' thread, where
    asyncio.run refuses."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


# A test that talks to a running app or a browser is slow whether or not it says so: `make
# test-fast` leaves it out.
SERVED_BY = {"app_server", "learning_server", "feedback_server", "browser"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SERVED_BY & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    # The files with the most slow tests first: under xdist (which then keeps this order, see
    # below) the two workers take the long files early and end together on the short ones.
    slow: dict[str, int] = {}
    for item in items:
        slow[item.nodeid.split("::")[0]] = slow.get(item.nodeid.split("::")[0], 0) + bool(
            item.get_closest_marker("slow")
        )
    items.sort(key=lambda item: -slow[item.nodeid.split("::")[0]])  # stable: a file's order stays


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist, the controller starts the warm interpreter that every worker's apps and
    command lines are forked from (harness/warm_start.py): one import of torch and Gradio, not one
    per worker (about 11 s of CPU each). It imports at the first start, so a run that starts
    nothing pays only an interpreter's start. A run that starts apps (any but `make test-fast`'s
    "not slow") has it import at once, while the workers collect the tests: the two workers'
    first apps then start without both waiting, one core idle, for that import."""
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        import tempfile

        from harness.warm_start import WarmStarts

        config._warm_folder = tempfile.TemporaryDirectory(prefix="warm-start-")
        eager = "not slow" not in (config.option.markexpr or "")
        config._warm_shared = WarmStarts.shared(Path(config._warm_folder.name), eager)


def pytest_unconfigure(config: pytest.Config) -> None:
    shared = getattr(config, "_warm_shared", None)
    if shared is not None:
        shared.stdin.close()  # it ends (its children, the apps, were stopped by their tests)
        try:
            shared.wait(15)
        except subprocess.TimeoutExpired:
            shared.kill()
        config._warm_folder.cleanup()


# Files that share a costly session fixture run in one xdist worker, or each worker would make
# it: fresh_app_import is a cold interpreter importing the app.
TOGETHER = {"tests/test_boundaries.py": "tests/test_app_setup.py"}


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`--dist loadfile`, with TOGETHER's files as one, in the order collected (slow files first)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class Together(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = super()._split_scope(nodeid)
            return TOGETHER.get(file, file)

    config.option.loadscopereorder = False  # (its own order is by the number of tests)
    return Together(config, log)


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array in MNIST's IDX format (big-endian header, then raw bytes)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.tobytes())


def make_digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n MNIST-style 28x28 uint8 digits drawn from the hand-made strokes, with random placement,
    size, slant and brush, run through the real preprocessing."""
    from model import preprocess
    from model.synth.sketches import Placement, draw_digit

    rng = np.random.default_rng(seed)
    images, labels = [], []
    for i in range(n):
        label = i % 10
        height = rng.uniform(80, 180)
        place = Placement(
            (240, 240),
            tuple(rng.uniform(100, 140, 2)),
            height,
            rng.uniform(-12, 12),
            height * rng.uniform(0.08, 0.16),
        )
        x = preprocess(draw_digit(label, place))
        images.append((x[0].numpy() * 255).round().astype(np.uint8))
        labels.append(label)
    return np.stack(images), np.asarray(labels, np.uint8)


# What a test run may leave in the checkout: caches, and the screenshots kept for a person to see.
NOT_THE_CHECKOUTS = {".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache"}
SCREENSHOTS = ROOT / "tests" / "out"


def checkout_files(root: Path = ROOT) -> dict[str, tuple[int, int]]:
    """Every file in the checkout (ignored ones too, such as data/), as {path: (size, mtime)}."""
    files = {}
    for folder, names, filenames in os.walk(root):
        names[:] = [n for n in names if n not in NOT_THE_CHECKOUTS and Path(folder, n) != SCREENSHOTS]
        for name in filenames:
            stat = (Path(folder) / name).stat()
            files[str(Path(folder, name).relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return files


@pytest.fixture(scope="session", autouse=True)
def nothing_written_into_the_checkout():
    """A test run leaves the checkout as it found it: apps and trainings write to temporary
    folders (an error at the last test's teardown says which files changed)."""
    before = checkout_files()
    yield
    after = checkout_files()
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"the tests wrote into the checkout: {changed}"


@pytest.fixture(scope="session")
def tiny_mnist(tmp_path_factory) -> Path:
    """A data dir laid out like torchvision's MNIST (MNIST/raw/*-ubyte), 300 train / 100 test."""
    root = tmp_path_factory.mktemp("mnist")
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for split, n, seed in (("train", 300, 0), ("t10k", 100, 1)):
        images, labels = make_digits(n, seed)
        write_idx(raw / f"{split}-images-idx3-ubyte", images)
        write_idx(raw / f"{split}-labels-idx1-ubyte", labels)
    return root


def repeat_mnist(tiny_mnist: Path, folder: Path, times: int) -> Path:
    """The tiny set's training images repeated `times` over (its 100 test images as they are):
    MNIST-format data whose "Watch it learn" run lasts long enough to watch, or to leave."""
    raw = folder / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name, header in (("images-idx3-ubyte", 16), ("labels-idx1-ubyte", 8)):
        for split, repeat in (("train", times), ("t10k", 1)):
            data = np.fromfile(tiny_mnist / "MNIST" / "raw" / f"{split}-{name}", np.uint8)[header:]
            data = data.reshape(-1, 28, 28) if header == 16 else data
            write_idx(raw / f"{split}-{name}", np.concatenate([data] * repeat))
    return folder


@pytest.fixture(scope="session")
def drawn_cache(tmp_path_factory) -> Path:
    """One cache of the tiny set's drawings (train.py's --cache-dir) for the session's training
    runs: it is keyed by the images and the recipe (model/training/pad.py), so runs share it
    safely and the 300 digits are drawn once, not once per run."""
    return tmp_path_factory.mktemp("drawn-cache")


# What `import app` does in a fresh interpreter, then what asking it for `app.demo` (as a host
# such as Hugging Face Spaces does) makes, and the modules loaded by then.
IMPORT_APP = """
import json, os, sys, threading
before = threading.active_count()
import app
at_import = {"threads": threading.active_count() - before, "demo": "demo" in vars(app),
             "files": os.listdir(sys.argv[1])}
import gradio as gr
asked = {"blocks": isinstance(app.demo, gr.Blocks), "same": app.demo is app.demo,
         "database": "db.sqlite3" in os.listdir(sys.argv[1])}
families = ("torchvision", "matplotlib", "skimage", "model")
modules = sorted(m for m in sys.modules if m.split(".")[0] in families)
print(json.dumps({"at_import": at_import, "asked": asked, "modules": modules}))
"""


@pytest.fixture(scope="session")
def fresh_app_import(tmp_path_factory) -> dict:
    """`import app` in a fresh interpreter, once for the tests that ask what it does
    (tests/test_app_setup.py, tests/test_boundaries.py): {"at_import": {threads started, whether
    a page is built, files in the folder its settings name}, "asked": {...}, "modules": [...],
    "checkout unchanged": bool}."""
    folder = tmp_path_factory.mktemp("import-app")
    before = checkout_files()
    env = {
        **os.environ,
        "DIGIT_FEEDBACK_DB": str(folder / "db.sqlite3"),
        "DIGIT_DATA": str(folder / "data"),
        "PYTHONDONTWRITEBYTECODE": "1",  # Python's own caches are not the app's doing
    }
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_APP, str(folder)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return {
        **json.loads(result.stdout.strip().splitlines()[-1]),
        "checkout unchanged": checkout_files() == before,
    }


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium; skipped without one, unless REQUIRE_BROWSER=1 (as in CI)."""
    from harness.browser import CHROMIUM, chromium

    if not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but no Chromium at {CHROMIUM}")
        pytest.skip("no Chromium here: apt-get install chromium (make test does it when run as root)")
    with chromium(warm=True) as b:  # pads open in kept profiles: harness/browser.py
        yield b


@pytest.fixture(scope="session", autouse=True)
def one_ssl_context():
    """The test process's HTTP clients share one default SSL context. httpx makes a fresh one for
    every client (loading certifi's certificates: about 55 ms of CPU) though the suite only
    speaks plain HTTP to 127.0.0.1, and the tests make hundreds (each PadClient, QueueClient,
    gradio Client, and gradio_client's own per-request clients): 245 in test_reliability,
    test_floods and test_app_http alone."""
    import functools

    from httpx._transports import default  # where httpx's transports look it up

    made = getattr(default, "create_ssl_context", None)
    if made is None:  # another httpx: its clients are left as they are (the suite is only slower)
        yield
        return
    first = functools.cache(lambda: made())  # verify=True, no client certificate, the environment's

    def shared(verify=True, cert=None, trust_env=True):
        return first() if (verify, cert, trust_env) == (True, None, True) else made(verify, cert, trust_env)

    default.create_ssl_context = shared
    yield
    default.create_ssl_context = made


@pytest.fixture(scope="session", autouse=True)
def warm_starts():
    """The suite's apps start from one interpreter that has imported torch and Gradio
    (harness/warm_start.py): about a second each instead of ten of CPU."""
    import harness.server
    from harness.warm_start import WarmStarts

    with WarmStarts() as starts:
        harness.server.warm = starts
        yield starts
        harness.server.warm = None


# The apps tests share are started in the background when the run begins, for the selected tests
# that use them: a start (forked warm, or cold when it must be) takes seconds, which the tests before
# the first use overlap (with other tests, or with each other). Each fixture then waits until its app answers.
@pytest.fixture(scope="session", autouse=True)
def apps_started_early(request, tmp_path_factory, warm_starts) -> dict:
    """{fixture name, or (fixture name, module name): an app started for it, not yet waited for}."""
    wanted: dict = {}
    # Under pytest-xdist every worker has collected every test but runs only the files it is
    # sent: it starts early only the app nearly every file uses, and the others when asked.
    shared_only = "PYTEST_XDIST_WORKER" in os.environ
    for item in request.session.items if not shared_only else []:
        for name in ("app_server", "learning_server", "feedback_server"):
            if name in item.fixturenames:
                wanted[name if name != "feedback_server" else (name, item.module.__name__)] = None
    if shared_only and any("app_server" in item.fixturenames for item in request.session.items):
        wanted["app_server"] = None
    apps = {key: start_app(key, request, tmp_path_factory) for key in wanted}
    yield apps
    for server in apps.values():
        server.stop()


def start_app(key, request, tmp_path_factory) -> AppServer:
    """The app `key` names (see apps_started_early), started without waiting for it."""
    name = key if isinstance(key, str) else key[0]
    folder = tmp_path_factory.mktemp(name)
    env = {"DIGIT_FEEDBACK_DB": str(folder / "db.sqlite3")}  # never the checkout's data/
    if name == "learning_server":
        # 9,000 images: a run of 1 s of CPU, 3.6 s on 30,000 (the curve's dozen checks either way)
        data = repeat_mnist(request.getfixturevalue("tiny_mnist"), folder / "data", 30)
        env |= {"DIGIT_DATA": str(data), "DIGIT_BEHIND_PROXY": "1", "GRADIO_HEARTBEAT_INTERVAL": "1"}
    server = AppServer(folder / "app.log", env=env, wait=False)
    server.db = folder / "db.sqlite3"
    return server


def started_app(key, request, tmp_path_factory):
    """The app started early for `key`, once it answers; or, when none was (a fixture asked for by
    name only), one started now. Yields it and stops it afterwards."""
    server = request.getfixturevalue("apps_started_early").pop(key, None)
    server = server or start_app(key, request, tmp_path_factory)
    try:
        yield server.ready()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def app_server(request, tmp_path_factory):
    """The app as it ships, with a corrections database in a temporary folder; one for the
    session, which every test that uses it shares."""
    yield from started_app("app_server", request, tmp_path_factory)


@pytest.fixture(scope="module")
def feedback_server(request, tmp_path_factory):
    """The app with a corrections database of its own (`server.db`), fresh for each test module
    that counts rows in it."""
    yield from started_app(("feedback_server", request.module.__name__), request, tmp_path_factory)


@pytest.fixture(scope="session")
def learning_server(request, tmp_path_factory):
    """The app whose "Watch it learn" runs on 9,000 made-up training images (about 1 s here, a
    dozen updates), behind a (pretend) proxy: X-Forwarded-For is believed, so a test can be many
    clients from loopback; a closed page is noticed in 1 s; its own corrections database
    (`server.db`). One for the session: test_learn.py and test_floods.py train through it, each
    test as its own sessions and addresses, and read only the log written since it began."""
    yield from started_app("learning_server", request, tmp_path_factory)


@pytest.fixture(scope="session")
def client(app_server):
    from gradio_client import Client

    return Client(app_server.url, verbose=False)


def canvas_png(tmp_path: Path, image, name: str = "canvas.png") -> str:
    """Save a PIL image as the pad would upload it and return its path."""
    path = tmp_path / name
    image.save(path)
    return str(path)
