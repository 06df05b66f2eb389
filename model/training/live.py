"""A short training run kept in memory, as snapshots to watch: the app's "Watch it learn" tab.

    for snapshot in train_live("./data"):             # a fresh 784-200-150-100-80-10 MLP
        snapshot.epoch, snapshot.accuracy, snapshot.first_layer   # (200, 28, 28) weights now
    network = snapshot.network()                      # the last snapshot carries the weights

The same loop as train.py (loop.py's `start` and `epoch_records`), with a recipe sized for a
visitor's wait, nothing written (no checkpoint, weights or report, so no matplotlib) and a time
cap. Training pauses at every yield, so a consumer that stops iterating stops the run. Snapshots
hold numpy arrays and plain values only: they cross a process boundary by plain pickling
(ZeroGPU runs this in a forked worker and sends each snapshot back).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
import torch

from ..classifier import pick_device
from ..network import MLP, MLPConfig
from .loop import Run, TrainConfig, epoch_records, start

# The CPU recipe, measured with 1 torch thread (as the app trains) on this repository's 2-core
# machine while other work ran: no augmentation is what reaches 97% fastest; batch 256 runs an
# epoch in about 2 s against 3.5 s at batch 128. 3 epochs at lr 5e-3: 97% after 1.5 epochs
# (3.3 s), 97.97% at the end (6.7 s), against 97.57% in 7.7 s for 2 epochs at batch 128, and
# 98.35% in 15.7 s for 4 epochs with augmentation x0.5. bench/learn_load.py measures it in the app.
# Scans only: a visitor waits seconds, not the minutes drawing the training digits takes once.
CPU_RECIPE = TrainConfig(epochs=3, batch_size=256, lr=5e-3, augment=False, drawn_share=0.0, evals_per_epoch=4)
# On a GPU an epoch takes well under a second, so the same wait buys train.py's own recipe
# (augmentation on) for more epochs. Not measured here: this machine has no GPU.
GPU_RECIPE = TrainConfig(epochs=15, batch_size=256, lr=3e-3, augment=True, drawn_share=0.0, evals_per_epoch=1)
TIME_CAP_S = 60.0  # a run stops here whatever its recipe, and keeps what it has learned


@dataclass(frozen=True)
class Snapshot:
    """One moment of a live run: what to show, and at the end the trained weights."""

    epochs: int  # planned
    epoch: float  # done so far (fractional)
    seconds: float  # since the run began, set-up and test-set checks included
    seconds_left: float | None  # estimate; None before the first check
    history: tuple[dict, ...]  # every test-set check so far (loop.py's records)
    test_size: int  # digits in each check (MNIST's 10,000)
    first_layer: np.ndarray  # (units, 28, 28): the first layer's weights now
    device: str
    shape: MLPConfig
    weights: dict[str, np.ndarray] | None = None  # the trained network, in the last snapshot only
    capped: bool = False  # stopped by the time cap before its last epoch

    @property
    def done(self) -> bool:
        return self.weights is not None

    @property
    def accuracy(self) -> float | None:
        """Test accuracy at the latest check (of the network that is kept), or None."""
        return self.history[-1]["test_accuracy"] if self.history else None

    def network(self) -> MLP:
        """The trained network (CPU, eval mode); only the last snapshot has one."""
        if self.weights is None:
            raise ValueError("this snapshot is from the middle of the run: it carries no weights")
        network = MLP(self.shape)
        network.load_state_dict({k: torch.from_numpy(v) for k, v in self.weights.items()})
        return network.eval()


def recipe(device: torch.device) -> TrainConfig:
    """The recipe for a device: a CPU's, or a GPU's (more epochs in the same wait)."""
    return CPU_RECIPE if device.type == "cpu" else GPU_RECIPE


def train_live(
    data_dir: str,
    device: str = "auto",
    time_cap: float = TIME_CAP_S,
    seed: int | None = None,
    config: TrainConfig | None = None,
) -> Iterator[Snapshot]:
    """Train a fresh network and yield a snapshot before the first step, after every test-set
    check, and once more with the weights at the end (or at the time cap). MNIST must already be
    in `data_dir` (nothing is downloaded here: see data.fetch). `config` replaces the recipe."""
    tic = time.perf_counter()
    target = pick_device(device)
    config = replace(
        config or recipe(target),
        data_dir=str(data_dir),
        download=False,
        device=str(target),
        seed=secrets.randbelow(2**31) if seed is None else seed,
        checkpoint=None,  # kept in memory: nothing written
        cache_dir=None,  # (drawings, if a recipe asks for them, are not cached either)
        resume=False,
    )
    was = torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled()
    run = start(config, log=None)
    # start() asks the whole process for deterministic algorithms (reproducible train.py runs);
    # the app's readings share this process and want what they had.
    torch.use_deterministic_algorithms(was[0], warn_only=was[1])
    yield _snapshot(run, tic)
    while not run.done:
        for _ in epoch_records(run):
            if time.perf_counter() - tic > time_cap:
                yield _snapshot(run, tic, final=True, capped=True)
                return
            yield _snapshot(run, tic)
    yield _snapshot(run, tic, final=True)


def _snapshot(run: Run, tic: float, final: bool = False, capped: bool = False) -> Snapshot:
    seconds = time.perf_counter() - tic
    epoch = run.state.history[-1]["epoch"] if run.state.history else 0.0
    share = epoch / run.config.epochs
    scored = run.scored
    first = scored.layers[0].weight.detach().cpu().numpy()
    weights = {k: v.detach().cpu().numpy().copy() for k, v in scored.state_dict().items()} if final else None
    return Snapshot(
        epochs=run.config.epochs,
        epoch=epoch,
        seconds=seconds,
        seconds_left=seconds * (1 - share) / share if share > 0 else None,
        history=tuple(run.state.history),
        test_size=len(run.test_data[1]),
        first_layer=first.reshape(-1, 28, 28).copy(),
        device=str(run.device),
        shape=run.network.config,
        weights=weights,
        capped=capped,
    )
