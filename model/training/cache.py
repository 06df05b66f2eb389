"""Content-addressed caches of what training makes once from the digits (strokes, drawings, banks).

    tensors = load_or_make(cache_dir, "drawn", images, settings, make, valid, on_build)

A cache file is named by what it is made of: `<name>-<fingerprint of the images>[-<hash of the
settings>].safetensors`, so other digits or other settings never read a stale file, and a file
that cannot be read, or is not what is asked for (`valid`), is made again. Written atomically.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from ..files import atomic_write

Tensors = dict[str, torch.Tensor]


def fingerprint(images: np.ndarray) -> str:
    """Short hash of a uint8 image array: names the caches made from it."""
    digest = hashlib.sha256(str(images.shape).encode())
    digest.update(np.ascontiguousarray(images).tobytes())
    return digest.hexdigest()[:16]


def cache_path(
    cache_dir: str | Path | None, name: str, images: np.ndarray, settings: dict | None
) -> Path | None:
    """Where the cache of `name` made from `images` with `settings` lives (None: no cache_dir)."""
    if cache_dir is None:
        return None
    stem = f"{name}-{fingerprint(images)}"
    if settings is not None:
        stem += "-" + hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    return Path(cache_dir) / f"{stem}.safetensors"


def load_or_make(
    cache_dir: str | Path | None,
    name: str,
    images: np.ndarray,
    settings: dict | None,
    make: Callable[[], Tensors],
    valid: Callable[[Tensors], bool],
    on_build: Callable[[], None] | None = None,
) -> Tensors:
    """The tensors cached for (`name`, `images`, `settings`) when a readable, `valid` file holds
    them; else `on_build()`, `make()`, and saved for next time (`cache_dir` None: always made)."""
    path = cache_path(cache_dir, name, images, settings)
    if path is not None and path.is_file():
        found = _read(path)
        if found is not None and valid(found):
            return found
    if on_build is not None:
        on_build()
    tensors = make()
    if path is not None:
        metadata = {} if settings is None else {"settings": json.dumps(settings, sort_keys=True)}
        atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata=metadata))
    return tensors


def _read(path: Path) -> Tensors | None:
    try:
        with safe_open(str(path), framework="pt") as f:
            return {key: f.get_tensor(key) for key in f.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, KeyError, ValueError):
        return None
