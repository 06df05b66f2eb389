"""Training the MLP: MNIST in memory, batched augmentation, the loop, scoring, checkpoints, report.

    from model.training import TrainConfig, train
    result = train(TrainConfig(data_dir="./data", epochs=10), on_eval=print)

    data.py        MNIST as tensors (downloaded by torchvision when absent)
    strokes.py     each training digit's centre line as pen strokes, traced once and cached
    pad.py         those strokes redrawn as the app's pad draws, read by the app's preprocess
    workers.py     one-off work (tracing, drawing) in several processes
    augment.py     per-sample distortions of whole batches in one grid_sample; scan or drawing
    cache.py       content-addressed caches of what is made once from the digits
    loop.py        TrainConfig and train(): set up or resume, one epoch, finish
    live.py        a short run kept in memory, as snapshots to watch (the app's "Watch it learn")
    evaluate.py    accuracy, per-class accuracy, confusion matrix, mistakes
    scales.py      how strongly each hidden layer fires (the "Look inside" brightness), for the header
    checkpoint.py  resumable checkpoints as .safetensors
    report.py      metrics.json and the report's pictures (matplotlib, imported only to write it)

Needs torchvision (in requirements.txt); the report also needs matplotlib (requirements-dev.txt).
The app imports this package only when a visitor presses Train, never at start-up.
"""

from .loop import (
    ConfigError,
    Run,
    TrainConfig,
    TrainResult,
    epoch_records,
    finish,
    run_epoch,
    start,
    train,
)

__all__ = [
    "ConfigError",
    "Run",
    "TrainConfig",
    "TrainResult",
    "epoch_records",
    "finish",
    "run_epoch",
    "start",
    "train",
]
