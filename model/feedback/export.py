"""Export the corrections database as a dataset: MNIST-format IDX files, PNGs and a CSV.

    python -m model.feedback.export data/corrections.sqlite3 visitors/
    python -m model.feedback.export DB OUT --since 2026-11-28     # only rows from that day on

Writes, in OUT:
    visitors-images-idx3-ubyte.gz   (N, 28, 28) uint8, the model's inputs, laid out as MNIST's own
    visitors-labels-idx1-ubyte.gz   (N,) uint8, the labels visitors gave
    visitors.csv                    one line per digit: id, time, label, answer, right, confidence,
                                    held_out, the PNG's name, weights, session, p0..p9
    drawings/<id>-label<L>-answer<A>.png   the digit as it was drawn (grey)
    visitors-nondigits-images-idx3-ubyte.gz  (M, 28, 28) uint8: drawings visitors labelled "not a
                                    digit" (label -1 in the database), for a run that learns
                                    non-digits (outlier exposure, Hendrycks et al. 2019)
    visitors-nondigits.csv          the same columns, label "not_a_digit"
    drawings/<id>-not_a_digit-answer<A>.png

Rows are in id order, the same in the IDX files and their CSV; digits and non-digits apart, so
the digits' files are what they always were (MNIST's labels are 0-9). Both CSVs end with the
reading's verdict ("number", "unsure", "not_a_digit"; empty for rows stored before there was
one). `held_out` (split.py) marks the digits `train.py --extra-data` scores instead of training
on. The database is opened read-only, so exporting while the app runs is safe and sees one
consistent snapshot.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import struct
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .correction import NOT_A_DIGIT_NAME
from .schema import INPUT_BYTES, NOT_A_DIGIT
from .split import held_out
from .store import connect

IMAGES = "visitors-images-idx3-ubyte.gz"
LABELS = "visitors-labels-idx1-ubyte.gz"
TABLE = "visitors.csv"
NOT_DIGIT_IMAGES = "visitors-nondigits-images-idx3-ubyte.gz"
NOT_DIGIT_TABLE = "visitors-nondigits.csv"
DRAWINGS = "drawings"
_UBYTE = 0x08  # IDX type code for unsigned bytes


@dataclass(frozen=True)
class Exported:
    """What an export wrote."""

    folder: Path
    digits: int
    held_out: int
    not_digits: int = 0


def export(db_path: str | Path, out: str | Path, since: float = 0.0) -> Exported:
    """Write the dataset for every row created at or after `since` (unix time) into `out`."""
    db = connect(db_path, read_only=True)
    try:
        rows = db.execute(
            "SELECT id, created, input, drawing, label, answer, probs, weights, session, verdict "
            "FROM corrections WHERE created >= ? ORDER BY id",
            (since,),
        ).fetchall()
    finally:
        db.close()
    out = Path(out)
    (out / DRAWINGS).mkdir(parents=True, exist_ok=True)
    digits = [r for r in rows if r[4] != NOT_A_DIGIT]
    others = [r for r in rows if r[4] == NOT_A_DIGIT]
    held = _write(out, digits, IMAGES, TABLE)
    write_idx(out / LABELS, np.array([r[4] for r in digits], np.uint8))
    _write(out, others, NOT_DIGIT_IMAGES, NOT_DIGIT_TABLE)
    return Exported(out, len(digits), held, len(others))


def _write(out: Path, rows: list[tuple], images_name: str, table_name: str) -> int:
    """The rows' images as IDX, their drawings as PNGs and their CSV; how many are held out."""
    images = np.stack([_uint8(r[2]) for r in rows]) if rows else np.zeros((0, 28, 28), np.uint8)
    write_idx(out / images_name, images)
    held = 0
    with open(out / table_name, "w", newline="") as f:
        table = csv.writer(f)
        table.writerow(_header())
        for (row_id, created, _, drawing, label, answer, probs, weights, session, verdict), image in zip(
            rows, images
        ):
            said = NOT_A_DIGIT_NAME if label == NOT_A_DIGIT else label
            name = f"{row_id:06d}-{'' if label == NOT_A_DIGIT else 'label'}{said}-answer{answer}.png"
            (out / DRAWINGS / name).write_bytes(drawing)
            p = [float(x) for x in json.loads(probs)]
            is_held = held_out(image.tobytes())
            held += is_held
            when = datetime.fromtimestamp(created, timezone.utc).isoformat(timespec="seconds")
            right = int(label == answer)
            table.writerow(
                [row_id, when, said, answer, right, f"{max(p):.4f}", int(is_held), f"{DRAWINGS}/{name}"]
                + [weights, session, *(f"{x:.6f}" for x in p), verdict or ""]
            )
    return held


def write_idx(path: Path, array: np.ndarray) -> None:
    """A uint8 array as a gzipped IDX file (MNIST's format: big-endian header, then the bytes)."""
    array = np.ascontiguousarray(array, np.uint8)
    header = struct.pack(">BBBB", 0, 0, _UBYTE, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.GzipFile(path, "wb", mtime=0) as f:  # mtime 0: the same rows give the same bytes
        f.write(header + array.tobytes())


def _uint8(blob: bytes) -> np.ndarray:
    """The stored float32 input as MNIST's uint8 (0 background, 255 full ink)."""
    if len(blob) != INPUT_BYTES:
        raise ValueError(f"a stored input has {len(blob)} bytes, not {INPUT_BYTES}")
    x = np.frombuffer(blob, np.float32).reshape(28, 28)
    return (np.clip(x, 0, 1) * 255).round().astype(np.uint8)


def _header() -> list[str]:
    fixed = ["id", "time_utc", "label", "answer", "right", "confidence", "held_out", "drawing", "weights"]
    return fixed + ["session"] + [f"p{k}" for k in range(10)] + ["verdict"]


def main(argv: Iterable[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("db", help="the corrections database (DIGIT_FEEDBACK_DB)")
    p.add_argument("out", help="folder to write the dataset into")
    p.add_argument("--since", help="only rows from this UTC date on (YYYY-MM-DD)")
    args = p.parse_args(None if argv is None else list(argv))
    if not Path(args.db).is_file():
        print(f"error: no database at {args.db}", file=sys.stderr)
        return 2
    since = datetime.fromisoformat(args.since).replace(tzinfo=timezone.utc).timestamp() if args.since else 0.0
    done = export(args.db, args.out, since)
    print(
        f"Exported {done.digits} visitor digits to {done.folder}/ "
        f"({done.digits - done.held_out} for training, {done.held_out} held out for scoring), "
        f"and {done.not_digits} drawings marked not a digit."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
