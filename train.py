"""Train the 784-200-150-100-80-10 MLP on MNIST; save its weights and a training report.

    python train.py                             # downloads MNIST into ./data, writes weights/
    python train.py --data-dir /path/to/mnist   # MNIST files already on disk (torchvision layout)
    python train.py --resume                    # continue an interrupted run from its checkpoint
    python train.py --whole-digit               # the whole-digit check segmentation uses (~1 min)
    python train.py --not-a-digit               # the verdict's not-a-digit check (~1 min once drawn)
    python train.py --path-weights              # learn how reading numbers scores its search (~15 min)
    python train.py --verdict                   # choose the not-a-digit thresholds (~10 min)
    python train.py --measure-scales weights/mlp.safetensors  # add layer_scales to a trained file
    python train.py --help                      # every option with its default

The command line only: the recipe and the loop are `model.training` (see its loop.py). Settings
go argparse -> TrainConfig -> train(); configuration mistakes get a one-line message, anything
else keeps its traceback.
"""

from __future__ import annotations

import argparse
import signal
import sys
from dataclasses import fields
from typing import TypeVar

from model import WeightsError
from model.numbers.training.not_a_digit import NotADigitConfig, train_not_a_digit
from model.numbers.training.path_weights import PathWeightsConfig, learn_path_weights
from model.numbers.training.verdict import VerdictConfig, learn_verdict
from model.numbers.training.whole_digit import WholeDigitConfig, train_whole_digit
from model.training import ConfigError, TrainConfig, train
from model.training.checkpoint import CheckpointError
from model.training.data import DataError
from model.training.scales import add_layer_scales

DEFAULTS = TrainConfig()
CheckConfig = TypeVar("CheckConfig", WholeDigitConfig, NotADigitConfig)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    d = DEFAULTS
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--data-dir", default=d.data_dir, help="MNIST folder (downloaded there if absent)")
    p.add_argument("--no-download", action="store_true", help="fail instead of downloading MNIST")
    p.add_argument("--epochs", type=int, default=d.epochs, help="passes over the 60,000 training images")
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--lr", type=float, default=d.lr, help="peak learning rate of the one-cycle schedule")
    p.add_argument(
        "--weight-decay", type=float, default=d.weight_decay, help="AdamW's decoupled weight decay"
    )
    p.add_argument("--warmup", type=float, default=d.warmup, help="share of steps spent warming up the lr")
    p.add_argument("--ema-decay", type=float, default=d.ema_decay, help="weight averaging; 0 turns it off")
    p.add_argument("--no-augment", action="store_true", help="train on the plain images")
    p.add_argument(
        "--augment-strength", type=float, default=d.augment_strength, help="scales every distortion"
    )
    p.add_argument(
        "--drawn-share",
        type=float,
        default=d.drawn_share,
        help="share of training samples drawn as the app's pad draws them; 0: scans only",
    )
    p.add_argument(
        "--drawn-variants",
        type=int,
        default=d.drawn_variants,
        help="drawings made of every training digit (once, then cached)",
    )
    p.add_argument(
        "--cache-dir", default=d.cache_dir, help="where the drawings of the training digits are cached"
    )
    p.add_argument("--hidden", type=int, nargs="+", default=list(d.hidden), help="hidden layer widths")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--device", default=d.device, help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument("--threads", type=int, default=d.threads, help="CPU threads for torch (default: torch's)")
    p.add_argument("--evals-per-epoch", type=int, default=d.evals_per_epoch, help="test-set checks per epoch")
    p.add_argument("--out", default=d.out, help="where to write the weights")
    p.add_argument("--report-dir", default=d.report_dir, help="report folder (default: <out folder>/report)")
    p.add_argument("--checkpoint", default=d.checkpoint, help="saved after every epoch")
    p.add_argument("--resume", action="store_true", help="continue from --checkpoint with its settings")
    p.add_argument(
        "--extra-data", default=d.extra_data, help="visitor digits (python -m model.feedback.export)"
    )
    p.add_argument(
        "--extra-weight", type=int, default=d.extra_weight, help="times each visitor digit is seen per epoch"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar, no per-epoch lines")
    p.add_argument(
        "--whole-digit",
        action="store_true",
        help="instead of the classifier, train the whole-digit check that reading numbers uses "
        f"(model/numbers/whole_digit.py; {WholeDigitConfig.epochs} epochs; written to "
        "weights/whole_digit.safetensors unless --out says otherwise; uses --data-dir, --no-download, "
        "--cache-dir, --seed, --threads and --non-digits)",
    )
    p.add_argument(
        "--not-a-digit",
        action="store_true",
        help="instead of the classifier, train the not-a-digit check, the verdict's second opinion "
        f"(model/numbers/not_a_digit.py; {NotADigitConfig.epochs} epochs; written to "
        "weights/not_a_digit.safetensors unless --out says otherwise; uses --data-dir, --no-download, "
        "--cache-dir, --seed, --threads and --non-digits; run --verdict after it)",
    )
    p.add_argument(
        "--non-digits",
        type=int,
        metavar="N",
        help="with --whole-digit or --not-a-digit: made-up non-digits drawn for the check (default: "
        f"{WholeDigitConfig.outliers:,} for the whole-digit check, {NotADigitConfig.outliers:,} for the "
        "not-a-digit check; a small training set draws fewer still)",
    )
    p.add_argument(
        "--path-weights",
        action="store_true",
        help="instead of training a network, learn the weights of reading's path score from numbers "
        "written from held-out training digits, into weights/path_weights.json unless --out says "
        "otherwise (model/numbers/training/path_weights.py; uses --data-dir, --no-download and --seed)",
    )
    p.add_argument(
        "--verdict",
        action="store_true",
        help="instead of training a network, choose the thresholds of the reading's verdict "
        "(not a digit, a guess) on the tune split of the non-digit drawings and held-out sketch-style "
        "digits, into weights/verdict.json unless --out says otherwise "
        "(model/numbers/training/verdict.py; uses --data-dir, --no-download and --seed)",
    )
    p.add_argument(
        "--measure-scales",
        metavar="WEIGHTS",
        help="instead of training, measure how strongly each hidden layer of the WEIGHTS file fires "
        "on the MNIST test digits and write it into the file's header as layer_scales (the \"Look "
        "inside\" panel's brightness; training writes it itself); the tensors are unchanged "
        "(uses --data-dir and --no-download)",
    )
    args = p.parse_args(argv)
    if args.non_digits is not None and args.non_digits < 0:
        p.error("--non-digits must be 0 or more")
    return args


def verdict_config(args: argparse.Namespace) -> VerdictConfig:
    """The command line's settings for choosing the verdict's thresholds."""
    out = VerdictConfig.out if args.out == DEFAULTS.out else args.out
    return VerdictConfig(data_dir=args.data_dir, download=not args.no_download, seed=args.seed, out=out)


def path_weights_config(args: argparse.Namespace) -> PathWeightsConfig:
    """The command line's settings for learning the path weights."""
    out = PathWeightsConfig.out if args.out == DEFAULTS.out else args.out
    return PathWeightsConfig(data_dir=args.data_dir, download=not args.no_download, seed=args.seed, out=out)


def check_config(args: argparse.Namespace, kind: type[CheckConfig]) -> CheckConfig:
    """The command line's settings for training one of the reader's small checks (the whole-digit
    check, the not-a-digit check): `kind` is its config class, whose own `out` is the default."""
    out = kind.out if args.out == DEFAULTS.out else args.out
    return kind(
        data_dir=args.data_dir,
        download=not args.no_download,
        cache_dir=args.cache_dir,
        seed=args.seed,
        threads=args.threads,
        out=out,
        outliers=kind.outliers if args.non_digits is None else args.non_digits,
    )


def config_from(args: argparse.Namespace) -> TrainConfig:
    """The command line's settings as a TrainConfig (raises ConfigError when one is out of range).

    Flags are named after the config's fields; the two negative flags are turned around.
    """
    same = {f.name: getattr(args, f.name) for f in fields(TrainConfig) if hasattr(args, f.name)}
    same["hidden"] = tuple(args.hidden)
    return TrainConfig(**same, download=not args.no_download, augment=not args.no_augment)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_interrupt)  # `kill` behaves like Ctrl-C: a clean stop
    try:
        if args.whole_digit:
            train_whole_digit(check_config(args, WholeDigitConfig), log=None if args.quiet else print)
            return 0
        if args.not_a_digit:
            train_not_a_digit(check_config(args, NotADigitConfig), log=None if args.quiet else print)
            return 0
        if args.measure_scales:
            scales = add_layer_scales(args.measure_scales, args.data_dir, download=not args.no_download)
            print(f"layer_scales {[round(v, 2) for v in scales]} written into {args.measure_scales}")
            return 0
        if args.path_weights:
            learn_path_weights(path_weights_config(args), log=None if args.quiet else print)
            return 0
        if args.verdict:
            learn_verdict(verdict_config(args), log=None if args.quiet else print)
            return 0
        config = config_from(args)
        train(
            config,
            on_eval=None if args.quiet else _show_record,
            wrap_batches=None if args.quiet else _progress_bar,
        )
    except (ConfigError, DataError, CheckpointError, WeightsError) as e:  # the user's to fix: one line
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"\nInterrupted. The weights at {args.out} are untouched; the last finished epoch is "
            f"saved in {args.checkpoint}: run again with --resume to continue.",
            file=sys.stderr,
        )
        return 130
    return 0


def _progress_bar(batches, total: int, description: str):
    from tqdm import tqdm

    return tqdm(batches, total=total, desc=description, leave=False)


def _show_record(r: dict) -> None:
    from tqdm import tqdm

    tqdm.write(  # does not break a progress bar that is on screen
        f"epoch {r['epoch']:>6.2f}  train loss {r['train_loss']:.4f} acc {100 * r['train_accuracy']:.2f}%"
        f"  test acc {100 * r['test_accuracy']:.2f}%  ({r['train_seconds']:.0f}s)"
    )


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
