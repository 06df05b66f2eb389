"""Training speed, side by side: the tutorial's recipe against ours, in one run, on one machine.

    python -m bench.training_speed                       # writes bench/results/training_speed.*
    python -m bench.training_speed --tutorial-epochs 10 --our-epochs 30
    python -m bench.training_speed --drawn-share 0        # ours on scans only: training_speed_scans.*

The tutorial's recipe: the same 784-200-150-100-80-10 MLP, Adam with lr 0.01, batch 100, a
torchvision Dataset with ToTensor + Normalize per image through a DataLoader, no augmentation.
Ours: train.py (the whole set as one tensor, batched augmentation, AdamW, one-cycle lr, weight
averaging), with a shorter schedule than the shipped run's so it finishes sooner.

Both are checked on the 10,000 test images every 10,000 training images; the clock stops while
they are checked. Reported: time to 97% and to 99% test accuracy, seconds per epoch, ratios.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

from bench.common import DEFAULT_DATA, markdown_table, write
from model.network import MLP, MLPConfig
from model.training import TrainConfig, train
from model.training.data import load_mnist
from model.training.evaluate import evaluate

CHECK_EVERY = 10_000  # training images between test-set checks


def tutorial_run(data_dir: str, epochs: int, seed: int) -> list[dict]:
    """The tutorial's recipe, faithfully slow; returns test accuracy against training seconds."""
    torch.manual_seed(seed)
    to_tensor = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    test_x, test_y = load_mnist(data_dir, train=False)  # downloads MNIST when absent
    train_set = datasets.MNIST(data_dir, train=True, download=False, transform=to_tensor)
    loader = DataLoader(train_set, batch_size=100, shuffle=True)
    test_x = ((test_x.float() / 255 - 0.1307) / 0.3081).unsqueeze(1)
    network = MLP(MLPConfig(mean=0.0, std=1.0))  # the transform already normalised
    optimizer = torch.optim.Adam(network.parameters(), lr=0.01)
    history, seconds, seen, next_check = [], 0.0, 0, CHECK_EVERY
    for _ in range(epochs):
        tic = time.perf_counter()
        for x, y in loader:
            loss = F.cross_entropy(network(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            seen += len(y)
            if seen >= next_check:
                seconds += time.perf_counter() - tic
                accuracy = evaluate(network, test_x, test_y).accuracy
                history.append(
                    {
                        "epoch": round(seen / len(train_set), 3),
                        "train_seconds": seconds,
                        "test_accuracy": accuracy,
                    }
                )
                print(
                    f"tutorial  epoch {seen / len(train_set):5.2f}  {seconds:6.1f}s  "
                    f"test {100 * accuracy:.2f}%"
                )
                next_check += CHECK_EVERY
                tic = time.perf_counter()
        seconds += time.perf_counter() - tic
    return history


def our_run(data_dir: str, epochs: int, seed: int, drawn_share: float) -> list[dict]:
    """train.py's recipe with `epochs` epochs, checked as often as the tutorial's."""
    history = []

    def record(r: dict) -> None:
        history.append({k: r[k] for k in ("epoch", "train_seconds", "test_accuracy")})
        print(
            f"ours      epoch {r['epoch']:5.2f}  {r['train_seconds']:6.1f}s  "
            f"test {100 * r['test_accuracy']:.2f}%"
        )

    with tempfile.TemporaryDirectory() as tmp:
        config = TrainConfig(
            data_dir=data_dir,
            download=False,
            epochs=epochs,
            seed=seed,
            drawn_share=drawn_share,
            evals_per_epoch=60_000 // CHECK_EVERY,
            device="cpu",
            out=str(Path(tmp) / "w.safetensors"),
            checkpoint=str(Path(tmp) / "ck.safetensors"),
        )
        train(config, on_eval=record, log=None)
    return history


def time_to(history: list[dict], accuracy: float) -> float | None:
    """Training seconds until the test accuracy first reached `accuracy` (None: never)."""
    return next((h["train_seconds"] for h in history if h["test_accuracy"] >= accuracy), None)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", default=str(DEFAULT_DATA))
    p.add_argument("--tutorial-epochs", type=int, default=10, help="the tutorial trained for 10 epochs")
    p.add_argument("--our-epochs", type=int, default=30)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--drawn-share",
        type=float,
        default=TrainConfig.drawn_share,
        help="ours: share of samples drawn as on the pad (as train.py; drawings made once, not timed)",
    )
    args = p.parse_args()
    default = args.drawn_share == TrainConfig.drawn_share
    name = "training_speed" if default else "training_speed_scans" if args.drawn_share == 0 else None
    name = name or f"training_speed_drawn{args.drawn_share:g}"
    tutorial = tutorial_run(args.data_dir, args.tutorial_epochs, args.seed)
    ours = our_run(args.data_dir, args.our_epochs, args.seed, args.drawn_share)

    def cell(seconds: float | None, total: float) -> str:
        return f"{seconds:.1f} s" if seconds is not None else f"not reached in {total:.0f} s"

    def ratio(theirs: float | None, mine: float | None, theirs_total: float) -> str:
        if mine is None:
            return "-"
        if theirs is None:  # never reached: the ratio is at least their whole run over ours
            return f"> {theirs_total / mine:.1f}x"
        return f"{theirs / mine:.1f}x"

    t_total, o_total = tutorial[-1]["train_seconds"], ours[-1]["train_seconds"]
    results = {}
    rows = []
    for target in (0.97, 0.99):
        t, o = time_to(tutorial, target), time_to(ours, target)
        results[f"to_{target}"] = {"tutorial_s": t, "ours_s": o, "ratio": ratio(t, o, t_total)}
        rows.append(
            [
                f"time to {100 * target:.0f}% test accuracy",
                cell(t, t_total),
                cell(o, o_total),
                ratio(t, o, t_total),
            ]
        )
    t_epoch, o_epoch = t_total / args.tutorial_epochs, o_total / args.our_epochs
    rows.append(
        [
            "seconds per epoch",
            f"{t_epoch:.1f}",
            f"{o_epoch:.1f} (with augmentation{', drawings' if args.drawn_share > 0 else ''})",
            f"{t_epoch / o_epoch:.1f}x",
        ]
    )
    best_t = max(h["test_accuracy"] for h in tutorial)
    rows.append(
        [
            "best test accuracy in the run",
            f"{100 * best_t:.2f}% ({args.tutorial_epochs} epochs)",
            f"{100 * ours[-1]['test_accuracy']:.2f}% ({args.our_epochs} epochs)",
            "-",
        ]
    )
    table = markdown_table(["", "tutorial recipe", "ours (train.py)", "speed-up"], rows)
    write(
        name,
        {
            **results,
            "seconds_per_epoch": {"tutorial": t_epoch, "ours": o_epoch},
            "tutorial_history": tutorial,
            "our_history": ours,
            "settings": {
                "tutorial_epochs": args.tutorial_epochs,
                "our_epochs": args.our_epochs,
                "check_every_images": CHECK_EVERY,
                "threads": torch.get_num_threads(),
                "drawn_share": args.drawn_share,
            },
        },
        table,
        "python -m bench.training_speed "
        f"--tutorial-epochs {args.tutorial_epochs} --our-epochs {args.our_epochs}"
        + (f" --drawn-share {args.drawn_share:g}" if not default else ""),
    )


if __name__ == "__main__":
    main()
