"""Fetch MNIST into a folder and check that it reads: what an offline machine needs beforehand.

    python -m model.training.download            # into ./data (train.py's and the app's default)
    python -m model.training.download /srv/mnist # then: DIGIT_DATA=/srv/mnist python app.py

The app's "Watch it learn" tab and train.py download MNIST themselves on first use where there
is a network; this is the one command for a laptop that will be offline later.
"""

from __future__ import annotations

import argparse
import sys

from .data import DataError, load_mnist, raw_folder


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m model.training.download", description=__doc__.split("\n")[0])
    p.add_argument("dir", nargs="?", default="./data", help="train.py's --data-dir, the app's DIGIT_DATA")
    args = p.parse_args(argv)
    try:
        sizes = [len(load_mnist(args.dir, train=split)[0]) for split in (True, False)]
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"MNIST is ready in {raw_folder(args.dir)}: {sizes[0]:,} training and {sizes[1]:,} test images.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
