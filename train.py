"""Train the 784-200-150-100-80-10 MLP on MNIST; save its weights and a training report.

    python train.py                             # downloads MNIST into ./data, writes weights/
    python train.py --data-dir ../shared/data   # MNIST files already on disk
    python train.py --resume                    # continue an interrupted run from its checkpoint
    python train.py --help                      # every option with its default

Recipe: the whole training set lives in memory as one tensor; each batch gets its own random
distortions (model/augment.py); AdamW with a one-cycle learning rate; the weights shipped are an
exponential moving average of the trained ones. The final test accuracy is measured once, at the
end, on the 10,000 test images, which are never used to choose anything.
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel
from tqdm import tqdm

from model import weights
from model.augment import Augment, AugmentConfig
from model.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from model.classifier import pick_device
from model.data import DataError, batches, load_mnist
from model.evaluate import evaluate
from model.network import MLP, MLPConfig


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--data-dir", default="./data", help="MNIST folder (downloaded there if absent)")
    p.add_argument("--no-download", action="store_true", help="fail instead of downloading MNIST")
    p.add_argument("--epochs", type=int, default=100, help="passes over the 60,000 training images")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--lr", type=float, default=3e-3, help="peak learning rate of the one-cycle schedule")
    p.add_argument("--weight-decay", type=float, default=1e-4, help="AdamW's decoupled weight decay")
    p.add_argument("--warmup", type=float, default=0.15, help="share of steps spent warming up the lr")
    p.add_argument("--label-smoothing", type=float, default=0.0)
    p.add_argument("--ema-decay", type=float, default=0.998, help="weight averaging; 0 turns it off")
    p.add_argument("--no-augment", action="store_true", help="train on the plain images")
    p.add_argument("--augment-strength", type=float, default=1.0, help="scales every distortion")
    p.add_argument(
        "--hidden", type=int, nargs="+", default=list(MLPConfig().hidden), help="hidden layer widths"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's)")
    p.add_argument("--evals-per-epoch", type=int, default=1, help="test-set checks per epoch (curves)")
    p.add_argument("--out", default="weights/mlp.safetensors", help="where to write the weights")
    p.add_argument("--report-dir", default=None, help="report folder (default: <out folder>/report)")
    p.add_argument("--checkpoint", default="checkpoints/last.safetensors", help="saved after every epoch")
    p.add_argument("--resume", action="store_true", help="continue from --checkpoint with its settings")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1 or args.lr <= 0 or args.evals_per_epoch < 1:
        p.error("--epochs, --batch-size, --evals-per-epoch must be >= 1 and --lr > 0")
    return args


@dataclass
class RunState:
    """Everything a run accumulates; saved in the checkpoint so --resume continues exactly."""

    epoch: int = 0  # epochs completed
    step: int = 0
    train_seconds: float = 0.0  # time spent training, excluding test-set checks
    history: list[dict] = field(default_factory=list)


# Settings that define the run; on --resume they come from the checkpoint, not the command line.
RECIPE_KEYS = [
    "epochs",
    "batch_size",
    "lr",
    "weight_decay",
    "warmup",
    "label_smoothing",
    "ema_decay",
    "no_augment",
    "augment_strength",
    "hidden",
    "seed",
    "evals_per_epoch",
]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return train(args)
    except (DataError, CheckpointError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"\nInterrupted. The weights at {args.out} are untouched; the last finished epoch is "
            f"saved in {args.checkpoint}: run again with --resume to continue.",
            file=sys.stderr,
        )
        return 130


def train(args: argparse.Namespace, on_eval=None) -> int:
    """Run the whole training; `on_eval(record)` is called after every test-set check."""
    signal.signal(signal.SIGTERM, _raise_interrupt)  # `kill` behaves like Ctrl-C: clean exit
    checkpoint = load_checkpoint(args.checkpoint) if args.resume else None
    if checkpoint is not None:
        for key, value in checkpoint["args"].items():
            if key in RECIPE_KEYS:
                setattr(args, key, value)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    torch.use_deterministic_algorithms(True, warn_only=True)  # same seed + device -> same weights

    train_x, train_y = load_mnist(args.data_dir, train=True, download=not args.no_download)
    test_x, test_y = load_mnist(args.data_dir, train=False, download=not args.no_download)
    train_x, train_y = train_x.to(device), train_y.to(device)

    torch.manual_seed(args.seed)
    network = MLP(MLPConfig(hidden=tuple(args.hidden))).to(device)
    ema = AveragedModel(network, multi_avg_fn=_ema_update(args.ema_decay)) if args.ema_decay else None
    steps_per_epoch = math.ceil(len(train_x) / args.batch_size)
    optimizer = torch.optim.AdamW(network.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=args.lr,
        total_steps=args.epochs * steps_per_epoch,
        pct_start=args.warmup,
        anneal_strategy="cos",
        cycle_momentum=False,
    )
    augment = None if args.no_augment else Augment(AugmentConfig().scaled(args.augment_strength))
    shuffle_gen = torch.Generator().manual_seed(args.seed)
    augment_gen = torch.Generator(device=device).manual_seed(args.seed + 1)
    state = RunState()

    if checkpoint is not None:
        network.load_state_dict(checkpoint["network"])
        if ema is not None:
            ema.load_state_dict(checkpoint["ema"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        schedule.load_state_dict(checkpoint["schedule"])
        shuffle_gen.set_state(checkpoint["shuffle_gen"])
        augment_gen.set_state(checkpoint["augment_gen"])
        state = RunState(**checkpoint["state"])
        print(f"Resuming from {args.checkpoint} after epoch {state.epoch} of {args.epochs}.")

    scored = ema.module if ema is not None else network  # what gets evaluated and shipped
    print(
        f"Training {network.config.sizes} ({network.num_parameters():,} parameters) on {device}: "
        f"{len(train_x):,} images, {args.epochs} epochs, batch {args.batch_size}, "
        f"augmentation {'off' if augment is None else f'x{args.augment_strength}'}."
    )
    eval_points = {
        round(steps_per_epoch * k / args.evals_per_epoch) for k in range(1, args.evals_per_epoch + 1)
    }
    for epoch in range(state.epoch, args.epochs):
        network.train()
        running_loss, running_correct, seen = 0.0, 0, 0
        progress = tqdm(
            batches(train_x, train_y, args.batch_size, shuffle_gen),
            total=steps_per_epoch,
            desc=f"epoch {epoch + 1}/{args.epochs}",
            disable=args.quiet,
            leave=False,
        )
        tic = time.perf_counter()
        for i, (x, y) in enumerate(progress, start=1):
            if augment is not None:
                x = augment(x, augment_gen)
            logits = network(x)  # (B, 10)
            loss = F.cross_entropy(logits, y, label_smoothing=args.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            if ema is not None:
                ema.update_parameters(network)
            state.step += 1
            running_loss += loss.item() * len(y)
            running_correct += (logits.argmax(1) == y).sum().item()
            seen += len(y)
            if i % 20 == 0:  # postfix updates are not free; a few per second is plenty
                progress.set_postfix(loss=f"{running_loss / seen:.4f}", acc=f"{running_correct / seen:.4f}")
            if i in eval_points:
                state.train_seconds += time.perf_counter() - tic
                result = evaluate(scored, test_x, test_y)
                record = {
                    "epoch": round(epoch + i / steps_per_epoch, 4),
                    "step": state.step,
                    "train_seconds": round(state.train_seconds, 3),
                    "train_loss": running_loss / seen,
                    "train_accuracy": running_correct / seen,
                    "test_loss": result.loss,
                    "test_accuracy": result.accuracy,
                    "lr": schedule.get_last_lr()[0],
                }
                state.history.append(record)
                if on_eval is not None:
                    on_eval(record)
                tic = time.perf_counter()
        state.epoch = epoch + 1
        last = state.history[-1]
        if not args.quiet:
            tqdm.write(
                f"epoch {state.epoch:>3}/{args.epochs}  train loss {last['train_loss']:.4f} "
                f"acc {100 * last['train_accuracy']:.2f}%  test acc {100 * last['test_accuracy']:.2f}%"
                f"  ({state.train_seconds:.0f}s)"
            )
        save_checkpoint(
            {
                "args": {k: getattr(args, k) for k in RECIPE_KEYS},
                "network": network.state_dict(),
                "ema": ema.state_dict() if ema is not None else {},
                "optimizer": optimizer.state_dict(),
                "schedule": schedule.state_dict(),
                "shuffle_gen": shuffle_gen.get_state(),
                "augment_gen": augment_gen.get_state(),
                "state": asdict(state),
            },
            args.checkpoint,
        )

    final = evaluate(scored, test_x, test_y)
    print(f"Test accuracy: {100 * final.accuracy:.2f}% ({len(test_y) - len(final.mistakes())}/{len(test_y)})")
    settings = {k: getattr(args, k) for k in RECIPE_KEYS}
    settings.update(
        device=str(device), threads=torch.get_num_threads(), train_seconds=round(state.train_seconds, 1)
    )
    settings["augment"] = None if augment is None else augment.config.to_dict()
    out = weights.save(scored.cpu(), args.out, test_accuracy=final.accuracy, training=settings)
    print(f"Saved weights to {out}")

    from model.report import write_report  # matplotlib only when a report is written

    report_dir = Path(args.report_dir) if args.report_dir else Path(args.out).parent / "report"
    metrics = {
        "test_accuracy": final.accuracy,
        "test_loss": final.loss,
        "per_class_accuracy": final.per_class_accuracy(),
        "confusion_matrix": final.confusion().tolist(),
        "mistakes": len(final.mistakes()),
        "settings": settings,
        "torch_version": torch.__version__,
        "history": state.history,
    }
    write_report(report_dir, metrics, final, test_x)
    print(f"Saved report to {report_dir}/ (metrics.json, curves.png, confusion.png, mistakes.png)")
    Path(args.checkpoint).unlink(missing_ok=True)  # finished: nothing left to resume
    return 0


def _ema_update(decay: float):
    """Exponential moving average with warm-up: early on, follow the weights closely."""

    @torch.no_grad()
    def update(averaged: list[torch.Tensor], current: list[torch.Tensor], n: torch.Tensor) -> None:
        d = min(decay, (1 + int(n)) / (10 + int(n)))
        torch._foreach_lerp_(averaged, current, 1 - d)

    return update


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
