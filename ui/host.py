"""Where the app runs: a laptop, a CPU or GPU server, or a free Hugging Face ZeroGPU Space.

    from ui import host
    host.ZERO_GPU                                    # True on a ZeroGPU Space
    train = host.gpu(train, duration=90)             # @spaces.GPU there, `train` itself elsewhere

On ZeroGPU (the `spaces` package with SPACES_ZERO_GPU=true), a GPU is lent per call of a function
decorated with `@spaces.GPU`, which then runs in a forked worker; everywhere else in the process
torch only *looks* as if it had CUDA (spaces emulates it), so the per-stroke reading must stay on
the CPU. app.py imports `spaces` before anything touches torch, as the package requires; here it
is only looked up. Spaces preinstall the package on ZeroGPU hardware: it is not a requirement.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "t", "true")  # as spaces reads its variables


spaces = sys.modules.get("spaces")  # imported by app.py first, when it is installed
ZERO_GPU = spaces is not None and _truthy(os.environ.get("SPACES_ZERO_GPU"))


def gpu(fn: F, duration: int) -> F:
    """`fn` as a ZeroGPU task asking for at most `duration` seconds of GPU; unchanged elsewhere."""
    return spaces.GPU(duration=duration)(fn) if ZERO_GPU else fn


def reading_device() -> str | None:
    """Where the pad's readings run: the CPU on ZeroGPU, else the best there is (None)."""
    return "cpu" if ZERO_GPU else None


def training_place(device: str) -> str:
    """Where a visitor's training runs, for the footer: the key of its words in ui/strings/, or
    the device's name."""
    if ZERO_GPU:
        return "page.place_zerogpu"
    return "page.place_cpu" if device == "cpu" else device
