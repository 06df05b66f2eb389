"""The "Watch it learn" tab: a visitor trains a fresh network, live, then draws on it beside ours.

    learning = Learning(classifier, data_dir="./data", training_device="cpu", clients=clients, pages=pages)
    with gr.Tab("Watch it learn"):
        learning.build(read_pad, examples)      # read_pad(payload, session) -> learning.answer(...)
    demo.unload(learning.forget)                # the visitor's network goes with their page

Train runs model/training/live.py (train.py's loop, nothing written) as a Gradio generator: one
run at a time per server, a few more waiting in a short line with one place per client (ui/line.py,
their place shown in the status), a snapshot after every test-set check, so the curves and the
first-layer patterns move while it learns. A run whose page is gone (ui/pages.py: no event stream
or heartbeat open for its session) is dropped before it starts and stops at the next check.
On a CPU the run has a thread of its own at a lower priority (ui/background.py).
The trained network stays on the CPU in a bounded store (ui/sessions.py) under a key the server
issues when the run ends, sent only to the page that trained it (the status line's data-key);
that page's pad sends it back with every reading (ui/learn.js). A forged session hash therefore
reads with, replaces or evicts no one's network: the key is needed, and it must belong to the
session that asks. On ZeroGPU
only the training itself borrows the GPU (host.gpu); MNIST is fetched before that, in the app's
own process. Nothing of model.training (torchvision) is imported until Train is pressed.
"""

from __future__ import annotations

import contextlib
import html
import logging
import math
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import gradio as gr
import numpy as np
import torch
from PIL import Image

from model import MLP, Classifier, Reading, read_drawing
from model.reading import reread
from ui import host
from ui.background import in_background
from ui.charts import Line, line_chart, loss_scale
from ui.clients import Clients
from ui.i18n import label
from ui.inside import patterns_png
from ui.line import FULL, ONE_EACH, Place, Refused, TrainingLine
from ui.pad import drawing_pad
from ui.pages import OpenPages
from ui.render import hint_html, is_sure, pad_reply, reading_html
from ui.sessions import SessionStore
from ui.words import DEFAULT, marked, of_request, text

if TYPE_CHECKING:
    from model.training.live import Snapshot

# A run's cap. On ZeroGPU the GPU is asked for a little longer, since the worker's start-up
# (fork, CUDA, the data onto the GPU) counts too; the duration asked for is what ZeroGPU checks
# against a visitor's quota before it lends the GPU, so it is kept short.
TIME_CAP_S = 30 if host.ZERO_GPU else 60
GPU_DURATION_S = 45
NETWORKS_KEPT = 64  # visitors' networks in memory at most: 0.84 MB each
IDLE_S = 3600  # a network unused this long is dropped
WAITING = 3  # trainings waiting behind the one that runs; more are told to come back
TRAIN_SLOTS = 1 + WAITING + 4  # Gradio workers for Train: the line, and room to refuse at once
LEARN_GROUP = "learn"  # Train's concurrency group in Gradio's queue
TRAIN_JOINS = (
    16  # Train presses waiting there to be answered; more are refused at the door (ui/queue_room.py)
)
KEY_CHARS = 64  # a network's key is 22 characters: anything longer is not one
# The tab's words are in ui/strings/ ("learn.*"), in every language the page speaks.
HINT_BOTH = text("learn.hint_both")
STALE = text("learn.stale")  # a key that is no longer, or never was, this page's (in English)
TRAINING, TEST = "learn.set_training", "learn.set_test"  # the curves' two lines
log = logging.getLogger("draw-a-digit")


def _snapshots(data_dir: str, time_cap: float) -> Iterator[Snapshot]:
    """A visitor's training run: on ZeroGPU, the one function that runs on the GPU."""
    from model.training.live import train_live  # torchvision: only once Train is pressed

    yield from train_live(data_dir, time_cap=time_cap)


snapshots = host.gpu(_snapshots, duration=GPU_DURATION_S)


@dataclass(frozen=True)
class Trained:
    """A visitor's finished network, and how it did."""

    classifier: Classifier
    accuracy: float


class Learning:
    """The tab's server side: the Train event, the side-by-side readings, the visitors' networks."""

    def __init__(
        self,
        shipped: Classifier,
        data_dir: str | Path,
        training_device: str,
        clients: Clients | None = None,
        pages: OpenPages | None = None,
    ) -> None:
        self.shipped = shipped
        self.data_dir = Path(data_dir)
        self.training_device = training_device
        self.clients = clients or Clients()
        self.pages = pages  # None: every page counts as open (no middleware, e.g. a unit test)
        self.line = TrainingLine(WAITING, alive=self._page_open)
        # the run now training: (when its latest snapshot came, its seconds so far, seconds left)
        self.running: tuple[float, float, float | None] | None = None
        # key -> (the session that trained it, the network): the key is the server's, not the client's
        self.networks: SessionStore[tuple[str, Trained]] = SessionStore(NETWORKS_KEPT, IDLE_S)

    # ---- the tab -------------------------------------------------------------------------
    def build(self, read_pad: Callable, examples: list[list]) -> None:
        """The tab's components and its Train event (call inside a gr.Tab)."""
        gr.Markdown(label("learn.intro"), elem_id="learn-intro")
        with gr.Row(equal_height=False, elem_id="learn-controls"):
            button = gr.Button(
                label("learn.train"), variant="primary", scale=0, min_width=160, elem_id="learn-train"
            )
            status = gr.HTML(status_html(None), min_width=300, elem_id="learn-status")
        # the two curves, drawn as SVG on the server: one HTML for both, so they always agree
        charts = gr.HTML("", elem_id="learn-charts")
        patterns = gr.HTML(patterns_html(_fresh_first_layer(), None), elem_id="learn-patterns")
        gr.Markdown(label("learn.draw_heading"), elem_id="learn-draw")
        drawing_pad(
            read_pad,
            examples=examples,
            empty_html=hint_html("learn.hint_both"),
            elem_id="learn-pad",
            per_session=True,
            js=(Path(__file__).resolve().parent / "learn.js").read_text(),
        )
        button.click(
            self.train,
            None,
            [status, charts, patterns],
            concurrency_limit=TRAIN_SLOTS,  # not Gradio's queue: the line (ui/line.py) holds them
            concurrency_id=LEARN_GROUP,
            # the status line says in words where the visitor stands (waiting, training, done);
            # Gradio's own "processing | 2.3s" and queue counters would say it in code
            show_progress="hidden",
            api_visibility="private",
        )

    # ---- the Train event (a generator: Gradio streams each yield) --------------------------
    def train(self, request: gr.Request) -> Iterator[tuple]:
        """A place in the line, then the run: one client, one place; a page that is gone, no run."""
        session, lang = request.session_hash, of_request(request)
        try:
            place = self.line.join(self.clients.address(request), session)
        except Refused as e:
            said = {FULL: "learn.full", ONE_EACH: "learn.one_each"}.get(str(e))
            yield _status_only(status_html(None, text(said, lang) if said else str(e), error=True, lang=lang))
            return
        with place:
            if (yield from self._wait_turn(place, lang)):
                yield from self._run(session, lang)

    def _wait_turn(self, place: Place, lang: str = DEFAULT) -> Iterator[tuple]:
        """Show the visitor their place until it is their turn; False when their page is gone."""
        shown = None
        while not place.wait_turn(1.0 if shown else 0.0):  # the first word at once
            if not place.alive():
                log.info("a waiting training was dropped: its page is gone")
                return False
            ahead = place.ahead()
            said = waiting_text(ahead, self._wait_estimate(ahead), lang)
            if said != shown:
                shown = said
                yield _status_only(status_html(None, said, lang=lang))
        while not self._page_open(place.session):  # its turn came before its page said it was there
            if not place.alive():
                log.info("a training was dropped before it started: nobody is listening")
                return False
            time.sleep(0.1)
        return True

    def _run(self, session: str, lang: str = DEFAULT) -> Iterator[tuple]:
        """Fetch MNIST when needed, train, stream the snapshots, keep the network for the page."""
        # the first press also imports torchvision (3 s)
        yield _status_only(status_html(None, text("learn.starting", lang), lang=lang))
        if not self._data_ready():
            yield _status_only(status_html(None, text("learn.fetching", lang), lang=lang))
            problem = self._fetch(lang)
            if problem:
                yield _status_only(status_html(None, problem, error=True, lang=lang))
                return
        last = None
        make = partial(snapshots, str(self.data_dir), TIME_CAP_S)
        # On ZeroGPU the GPU worker trains and this process only waits; on a CPU the training
        # thread makes way for the readings (ui/background.py).
        run = make() if host.ZERO_GPU else in_background(make)
        try:
            with contextlib.closing(run):  # a visitor who leaves: Gradio closes us at a yield
                for last in run:
                    if not self._page_open(session):  # nobody watches: nobody would get the network
                        log.info("training stopped: the visitor left (no page) at epoch %.2f", last.epoch)
                        return
                    self.running = (time.monotonic(), last.seconds, last.seconds_left)
                    yield _frame(last, lang)
        except gr.Error as e:  # ZeroGPU's own messages (quota, no GPU free) are for the visitor
            zerogpu = text("learn.zerogpu", lang, message=e.message)
            yield _status_only(status_html(last, zerogpu, error=True, lang=lang))
            return
        except GeneratorExit:
            log.info("training stopped: the visitor left at epoch %.2f", last.epoch if last else 0)
            raise
        finally:
            self.running = None
        if last is None or not last.done:
            return
        trained = Trained(Classifier(last.network(), torch.device("cpu")), last.accuracy or 0.0)
        key = secrets.token_urlsafe(16)  # 128 bits: sent to this page only, in the status line
        self.networks.put(key, (session, trained))
        log.info("trained a network for a visitor: %.2f%% in %.1f s", 100 * trained.accuracy, last.seconds)
        yield _status_only(status_html(last, finished=True, key=key, lang=lang))

    def _wait_estimate(self, ahead: int) -> float | None:
        """Seconds until a place `ahead` trainings back starts: what the run now training has
        left, and as long as it takes in all for each one waiting before. None until that run's
        first check has given an estimate."""
        if self.running is None or self.running[2] is None:
            return None
        arrived, seconds, left = self.running
        return max(left - (time.monotonic() - arrived), 1.0) + (ahead - 1) * (seconds + left)

    def _page_open(self, session: str | None) -> bool:
        return self.pages is None or self.pages.open(session)

    def _data_ready(self) -> bool:
        from model.training.data import is_present

        return is_present(self.data_dir)

    def _fetch(self, lang: str = DEFAULT) -> str | None:
        """Download MNIST; None when it worked, else what the visitor (or the host) should know."""
        from model.training.data import DataError, fetch

        try:
            fetch(self.data_dir)
        except DataError:
            log.exception("MNIST download failed")
            command = f"<code>python -m model.training.download {html.escape(str(self.data_dir))}</code>"
            return text("learn.no_mnist", lang, command=command)
        return None

    # ---- the pad: both networks on one drawing ---------------------------------------------
    def answer(
        self, image: Image.Image, session: str | None, key: object = None, lang: str = DEFAULT
    ) -> dict:
        """The pad's reply in `lang`: our reading and, once trained, the visitor's, side by side.
        `key` is what the page was given when its training ended; without the right one (and the
        session it was given to) there is no network of theirs, and a wrong one says to train again."""
        ours = read_drawing(image, self.shipped)
        if not ours.digits:
            hint = reading_html(None, text("learn.hint_both", lang), lang=lang)
            return pad_reply(ours, text("reading.hint", lang), html=hint, lang=lang)
        trained = self._network(session, key)
        theirs = reread(ours, trained.classifier) if trained else None
        stale = trained is None and bool(key)
        return pad_reply(theirs or ours, "", html=self._versus(theirs, ours, trained, stale, lang), lang=lang)

    def _network(self, session: str | None, key: object) -> Trained | None:
        if not isinstance(key, str) or not key or len(key) > KEY_CHARS:
            return None
        found = self.networks.get(key)
        return found[1] if found is not None and found[0] == session else None

    def _versus(
        self, theirs: Reading | None, ours: Reading, trained: Trained | None, stale: bool, lang: str = DEFAULT
    ) -> str:
        shipped = float(self.shipped.metadata.get("test_accuracy", "nan"))
        yours = _side("yours", "learn.yours", theirs, trained.accuracy if trained else None, stale, lang)
        return f'<div class="versus">{yours}{_side("ours", "learn.ours", ours, shipped, lang=lang)}</div>'

    def forget(self, request: gr.Request) -> None:
        """A page of this session closed (demo.unload): its networks go, unless the session still
        has a page open (a closed stream under a forged hash does not evict anyone)."""
        session = request.session_hash
        if self.pages is not None and self.pages.open(session):
            log.info("a stream closed, the page stays: %s", session)
            return
        log.info("page closed: %s", session)
        self.networks.drop_if(lambda entry: entry[0] == session)


def _side(
    name: str,
    title: str,
    reading: Reading | None,
    accuracy: float | None,
    stale: bool = False,
    lang: str = DEFAULT,
) -> str:
    """One network's answer ("yours" or "ours"): its name and test accuracy, the number it reads,
    its cards."""
    if reading is None:
        hint = text("learn.stale" if stale else "learn.not_trained", lang)
        body = f'<p class="hint" data-testid="{name}-hint">{hint}</p>'
    else:
        unsure = "" if is_sure(reading) else f' <span class="unsure">{text("pad.not_sure", lang)}</span>'
        number = f'<p class="versus-number" data-testid="{name}-number">{reading.number}{unsure}</p>'
        body = number + reading_html(reading, headline=False, lang=lang)
    score = (
        f"<small>{text('learn.on_mnist', lang, accuracy=_pct(accuracy))}</small>"
        if accuracy is not None
        else ""
    )
    return f'<section data-testid="{name}"><h4>{text(title, lang)} {score}</h4>{body}</section>'


def _frame(snapshot: Snapshot, lang: str = DEFAULT) -> tuple:
    """One update of the tab while training, in `lang`: status, both curves, the first-layer patterns."""
    return (
        status_html(snapshot, lang=lang),
        charts_html(snapshot, lang),
        patterns_html(snapshot.first_layer, snapshot, lang),
    )


def waiting_text(ahead: int, seconds: float | None, lang: str = DEFAULT) -> str:
    """What a visitor waiting to train is told, in `lang`: who is ahead, and about when theirs starts."""
    if ahead <= 1:
        if seconds is None:
            return text("learn.waiting_one_done", lang)
        return text("learn.waiting_one", lang, seconds=f"{seconds:.0f}")
    if seconds is None:
        return text("learn.waiting_many_done", lang, n=ahead)
    return text("learn.waiting_many", lang, n=ahead, seconds=f"{seconds:.0f}")


def _status_only(status: str) -> tuple:
    return status, gr.skip(), gr.skip()


def charts_html(snapshot: Snapshot, lang: str = DEFAULT) -> str:
    """Accuracy and loss at every check so far, as two SVG charts (ui/charts.py), each with a line
    for the training batches and one for the test digits. Drawn whole from the run's history at
    every update, so both charts always show every check, on axes that hold every point."""
    # a run stopped by the time cap ends its axis where it stopped
    epochs = snapshot.epoch if snapshot.capped and snapshot.epoch > 0 else snapshot.epochs
    lines = {"accuracy": [], "loss": []}
    for name, key, kind in ((TRAINING, "train", "training"), (TEST, "test", "test")):
        for measure, times in (("accuracy", 100), ("loss", 1)):
            points = [(r["epoch"], times * r[f"{key}_{measure}"]) for r in snapshot.history]
            lines[measure].append(Line(text(name, lang), kind, points))
    largest = max((y for line in lines["loss"] for _, y in line.points if math.isfinite(y)), default=1.0)
    words = {"x_title": text("learn.epoch_axis", lang), "legend": text("learn.legend_title", lang)}
    accuracy = line_chart(
        "accuracy", text("learn.accuracy_title", lang), text("learn.accuracy_axis", lang), lines["accuracy"],
        epochs, (100.0, 25.0), text("learn.accuracy_caption", lang), **words,
    )  # fmt: skip
    loss = line_chart(
        "loss", text("learn.loss_title", lang), text("learn.loss_axis", lang), lines["loss"],
        epochs, loss_scale(largest), text("learn.loss_caption", lang), **words,
    )  # fmt: skip
    return f'<div class="learn-charts">{accuracy}{loss}</div>'


def status_html(
    snapshot: Snapshot | None,
    message: str = "",
    error: bool = False,
    finished: bool = False,
    key: str | None = None,
    lang: str = DEFAULT,
) -> str:
    """The line above the curves, in `lang`: what to do, how far the run is, or how it ended."""
    if snapshot is None:
        if not message:  # the page's first line: switched with the page's language, as it stands
            return _status(marked("learn.untrained", lang), 0.0, "idle")
        return _status(message, 0.0, "error" if error else "running")
    say = partial(text, lang=lang)
    share = min(snapshot.epoch / snapshot.epochs, 1.0)
    where = (
        say("learn.on_gpu")
        if snapshot.device.startswith("cuda")
        else say("learn.on_device", device=snapshot.device.upper())
    )
    if finished:
        how = (
            say("learn.capped", cap=TIME_CAP_S, epochs=f"{snapshot.epoch:.2f}")
            if snapshot.capped
            else say("learn.epochs", epochs=snapshot.epochs)
        )
        line = say(
            "learn.finished",
            accuracy=_pct(snapshot.accuracy),
            test_size=f"{snapshot.test_size:,}",
            how=how,
            seconds=f"{snapshot.seconds:.1f}",
            where=where,
        )
        return _status(line, share, "done", key)
    if error:
        return _status(message, share, "error")
    if snapshot.accuracy is None:
        return _status(say("learn.first_score", where=where), 0.0, "running")
    left = (
        say("learn.seconds_left", seconds=f"{snapshot.seconds_left:.0f}")
        if snapshot.seconds_left is not None
        else ""
    )
    line = say(
        "learn.progress",
        epoch=min(int(snapshot.epoch) + 1, snapshot.epochs),
        epochs=snapshot.epochs,
        left=left,
        accuracy=_pct(snapshot.accuracy),
    )
    return _status(line, share, "running")


def _status(text: str, share: float, state: str, key: str | None = None) -> str:
    # data-key: the trained network's key, for this page's pad only (ui/learn.js sends it back)
    attribute = f' data-key="{html.escape(key)}"' if key else ""
    return (
        f'<div class="learn-status {state}" data-testid="learn-status" data-state="{state}"{attribute}>'
        f'<p>{text}</p><div class="learn-progress"><i style="width:{100 * share:.1f}%"></i></div></div>'
    )


def patterns_html(first_layer: np.ndarray, snapshot: Snapshot | None, lang: str = DEFAULT) -> str:
    """The first layer's units as 28x28 weight pictures (red: ink there excites, blue: calms)."""
    epoch = 0.0 if snapshot is None else snapshot.epoch
    units = len(first_layer)
    if snapshot is None:  # the page's first picture: its caption switches with the page's language
        caption = marked("learn.patterns_before", lang, "figcaption", units=units)
    else:
        after = text("learn.patterns_after", lang, units=units, epochs=f"{epoch:.2f}")
        caption = f"<figcaption>{after}</figcaption>"
    fresh = " fresh" if snapshot is None else ""
    return (
        f'<figure class="learn-patterns{fresh}" data-testid="learn-patterns" data-epoch="{epoch}">'
        f'<img alt="{text("learn.patterns_alt", lang, units=units)}" '
        f'src="data:image/png;base64,{patterns_png(first_layer)}">{caption}</figure>'
    )


def _fresh_first_layer() -> np.ndarray:
    """The first layer of an untrained network (what Train starts from), for the page before it."""
    with torch.random.fork_rng(devices=[]):  # the CPU generator only: on ZeroGPU, CUDA is off limits here
        torch.manual_seed(0)
        network = MLP()
    return network.layers[0].weight.detach().numpy().reshape(-1, 28, 28)


def _pct(value: float | None) -> str:
    return "" if value is None or value != value else f"{100 * value:.1f}%"
