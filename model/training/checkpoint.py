"""Training checkpoints (network, optimizer, schedule, random state, history) as .safetensors.

A checkpoint is a nested dict of tensors, numbers, strings and lists (what `state_dict()`s hold).
Tensors go into the safetensors body under their path ("optimizer/state/0/exp_avg"); the rest of
the structure goes into the header as JSON. Like the weights, loading never unpickles anything,
and writes are atomic, so a run killed mid-save still has its previous checkpoint.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from ..files import atomic_write

_TENSOR = "__tensor__"  # marks, in the JSON skeleton, where a tensor was taken out


class CheckpointError(Exception):
    """A checkpoint is missing or unreadable."""


def save_checkpoint(state: dict[str, Any], path: str | Path) -> Path:
    """Write a nested state dict to `path` atomically."""
    tensors: dict[str, torch.Tensor] = {}
    skeleton = _split(state, "", tensors)
    metadata = {"checkpoint": json.dumps(skeleton)}
    return atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata=metadata))


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read back what `save_checkpoint` wrote (tensors on the CPU)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"No checkpoint at {path}: start a run without --resume first.")
    try:
        with safe_open(str(path), framework="pt") as f:
            skeleton = json.loads((f.metadata() or {})["checkpoint"])
            tensors = {name: f.get_tensor(name) for name in f.keys()}  # noqa: SIM118 (a safetensors handle, not a dict)
    except (SafetensorError, OSError, KeyError, ValueError) as e:
        raise CheckpointError(f"{path} is not a readable checkpoint ({e}); delete it and retrain.") from e
    return _join(skeleton, tensors)


def _split(obj: Any, prefix: str, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(obj, torch.Tensor):
        tensors[prefix] = obj.detach().cpu().contiguous()
        return {_TENSOR: prefix}
    if isinstance(obj, dict):
        # JSON keys are strings; remember int keys (optimizer state is keyed by param index)
        return {
            "__dict__": [[k, _split(v, f"{prefix}/{k}", tensors)] for k, v in obj.items()],
        }
    if isinstance(obj, (list, tuple)):
        return [_split(v, f"{prefix}/{i}", tensors) for i, v in enumerate(obj)]
    return obj  # numbers, strings, booleans, None


def _join(obj: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(obj, dict) and _TENSOR in obj:
        return tensors[obj[_TENSOR]]
    if isinstance(obj, dict) and "__dict__" in obj:
        return {k: _join(v, tensors) for k, v in obj["__dict__"]}
    if isinstance(obj, list):
        return [_join(v, tensors) for v in obj]
    return obj
