"""Save and load the MLP as a .safetensors file with its provenance in the header.

safetensors holds plain tensors and a string-to-string header, so loading a file never runs
code (unlike pickle). The header carries what is needed to rebuild and to trust the network:
its config (layer sizes and input normalisation), test accuracy, training settings, dataset,
torch version and date. Writes are atomic: a temp file in the same folder, fsynced, then
renamed over the target, so an interrupted run never leaves a half-written file behind.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from .files import atomic_write
from .network import MLP, MLPConfig

FORMAT = "mnist-mlp"
FORMAT_VERSION = "1"
DEFAULT_WEIGHTS = Path(__file__).resolve().parent.parent / "weights" / "mlp.safetensors"
# Keys every file must have in its header; the rest (accuracy, training, ...) is informative.
REQUIRED_KEYS = ("format", "format_version", "config")
FIX_HINT = "Train new weights with `python train.py` (see README), or pass the path of a good file."


class WeightsError(Exception):
    """A weights file is missing, unreadable or does not match the network it describes."""


def save(
    network: MLP,
    path: str | Path,
    *,
    test_accuracy: float | None = None,
    training: dict | None = None,
    digit_energy: list[float] | None = None,
    layer_scales: list[float] | None = None,
    dataset: str = "MNIST",
) -> Path:
    """Write `network`'s weights and metadata to `path` atomically. `digit_energy`: the median
    energy of a digit read right, per digit, for these weights (model/numbers/priors.py);
    `layer_scales`: each hidden layer's 99th percentile activation (model/training/scales.py)."""
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": network.config.to_json(),
        "normalization": json.dumps({"mean": network.config.mean, "std": network.config.std}),
        "dataset": dataset,
        "torch_version": torch.__version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "num_parameters": str(network.num_parameters()),
    }
    if test_accuracy is not None:
        metadata["test_accuracy"] = f"{test_accuracy:.6f}"
    if training is not None:
        metadata["training"] = json.dumps(training, sort_keys=True, default=str)
    if digit_energy is not None:
        metadata["digit_energy"] = json.dumps([round(e, 2) for e in digit_energy])
    if layer_scales is not None:
        metadata["layer_scales"] = layer_scales_json(layer_scales)
    # contiguous CPU copies: safetensors refuses views and device tensors
    tensors = {k: v.detach().cpu().contiguous() for k, v in network.state_dict().items()}
    return atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata=metadata))


def layer_scales_json(scales: list[float]) -> str:
    """The header's form of `layer_scales`: a JSON list, one float per hidden layer."""
    return json.dumps([round(s, 2) for s in scales])


def update_metadata(path: str | Path, entries: dict[str, str]) -> Path:
    """Add or replace header entries of a weights file atomically; its tensors are written back
    unchanged (for what is measured after training, without retraining)."""
    path = Path(path)
    tensors, metadata = _read(path)
    metadata = {**metadata, **entries}
    return atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata=metadata))


def read_metadata(path: str | Path) -> dict[str, str]:
    """The header metadata of a weights file, validated; raises WeightsError."""
    return _read(Path(path))[1]


def load(path: str | Path = DEFAULT_WEIGHTS, device: str | torch.device = "cpu") -> MLP:
    """Rebuild the MLP from a weights file; raises WeightsError with what to do on any problem."""
    path = Path(path)
    tensors, metadata = _read(path)
    network = MLP(_config_from(metadata, path))
    try:
        network.load_state_dict(tensors, strict=True)
    except RuntimeError as e:
        raise WeightsError(
            f"The weights in {path} do not fit the network its header describes "
            f"({network.config.sizes}): {_first_line(e)}. {FIX_HINT}"
        ) from e
    network.metadata = metadata  # provenance, for display (e.g. the app's footer)
    return network.to(device).eval()


def _read(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    if not path.is_file():
        raise WeightsError(f"No weights file at {path}. {FIX_HINT}")
    with open(path, "rb") as f:
        head = f.read(64)
    if head.startswith(b"version https://git-lfs"):
        raise WeightsError(
            f"{path} is a Git LFS pointer, not the weights themselves. "
            "Run `git lfs install && git lfs pull` to fetch them, or retrain with `python train.py`."
        )
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
            tensors = {name: f.get_tensor(name) for name in f.keys()}  # noqa: SIM118 (a safetensors handle, not a dict)
    except (SafetensorError, OSError, ValueError) as e:
        raise WeightsError(
            f"{path} is not a readable .safetensors file (truncated or corrupt?): "
            f"{_first_line(e)}. {FIX_HINT}"
        ) from e
    missing = [k for k in REQUIRED_KEYS if k not in metadata]
    if missing:
        raise WeightsError(f"{path} lacks header metadata {missing}: not made by train.py. {FIX_HINT}")
    if metadata["format"] != FORMAT or metadata["format_version"] != FORMAT_VERSION:
        raise WeightsError(
            f"{path} has format {metadata['format']!r} v{metadata['format_version']}, "
            f"this code reads {FORMAT!r} v{FORMAT_VERSION}. {FIX_HINT}"
        )
    return tensors, metadata


def _config_from(metadata: dict[str, str], path: Path) -> MLPConfig:
    try:
        return MLPConfig.from_json(metadata["config"])
    except (TypeError, ValueError) as e:  # JSONDecodeError is a ValueError
        raise WeightsError(f"{path} has an invalid config in its header: {e}. {FIX_HINT}") from e


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
